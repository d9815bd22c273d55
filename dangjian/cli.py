"""The `dangjian` command: the project's own commands (serve, worker, scheduler, demo, createadmin, audit,
backup, restore, totp, seed-scale) and every manage.py command. A command may be spelt with dashes:
`dangjian seed-scale` runs the `seed_scale` command."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dangjian.config.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if args and not args[0].startswith("-"):
        args[0] = args[0].replace("-", "_")
    execute_from_command_line(["dangjian", *args])


if __name__ == "__main__":
    main()
