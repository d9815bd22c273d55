#!/usr/bin/env python
"""Django's manage.py; `dangjian` is the same command, installed on PATH."""

from dangjian.cli import main

if __name__ == "__main__":
    main()
