#!/usr/bin/env python3
"""Footage in, per-person folders of face portraits out. Run `python main.py --help`."""

import sys

from facecluster.cli import main

if __name__ == "__main__":
    sys.exit(main())
