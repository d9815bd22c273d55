"""`dangjian seed-scale`: generated data at a chosen scale, for benchmarks and load tests (never on a live site)."""

import time

from django.core.management.base import BaseCommand, CommandError

from dangjian.portal import scale


class Command(BaseCommand):
    help = (
        "Fill the database with generated data: a county of its own with townships, villages, branches, "
        "stations, members, letters, library resources and public pages. For benchmark databases only."
    )

    def add_arguments(self, parser):
        defaults = scale.Scale()
        parser.add_argument("--members", type=int, default=defaults.members)
        parser.add_argument("--letters", type=int, default=defaults.letters)
        parser.add_argument("--resources", type=int, default=defaults.resources)
        parser.add_argument("--stations", type=int, default=defaults.stations)
        parser.add_argument(
            "--pages", type=int, default=defaults.pages, help="live public articles, in a column of their own"
        )
        parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed (same seed, same data)")
        parser.add_argument("--prefix", default="S", help="unit code prefix of the generated county")

    def handle(self, *args, members, letters, resources, stations, pages, seed: int, prefix: str, **options):
        if min(members, letters, resources, pages) < 0 or stations < 1 or stations > 9999 * 25:
            raise CommandError("counts must be positive, and 1 ≤ stations ≤ 249,975")
        started = time.monotonic()

        def report(message: str) -> None:
            self.stdout.write(f"  {time.monotonic() - started:7.1f} s  {message}")

        try:
            size = scale.Scale(members, letters, resources, stations, seed, pages)
            done = scale.seed(size, prefix=prefix, report=report)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"seeded in {time.monotonic() - started:.1f} s: {done.units:,} units, {done.stations:,} stations, "
            f"{done.members:,} members, {done.letters:,} letters, {done.resources:,} resources, {done.pages:,} pages"
        )
