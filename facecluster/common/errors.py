"""The one exception a user ever sees: its message is a whole sentence."""


class UserError(Exception):
    """Bad input or a state the program will not touch.

    main.py prints the message on stderr (no traceback) and exits non-zero.
    """
