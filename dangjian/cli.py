"""The `dangjian` command: the project's own commands (serve, worker, scheduler, demo, createadmin, audit,
backup, restore, totp) and every manage.py command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["dangjian", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
