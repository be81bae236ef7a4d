"""Small helpers for the sentences the program prints."""


def plural(count, one, many=None):
    """'1 face', '2 faces', '3 people'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
