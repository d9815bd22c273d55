"""The benchmark harness: timing helpers and results measured as ratios against a baseline in the same run."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str
    ok: bool
    note: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def timings(fn: Callable[[], object], *, repeat: int = 50, warmup: int = 3) -> list[float]:
    """Seconds per call, `repeat` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


# `make bench QUICK=1`: a small version of every benchmark (minutes, not an hour); the figures are then indicative.
QUICK = os.environ.get("QUICK", "") not in ("", "0")


def scale(full: int, quick: int) -> int:
    """The size of a benchmark's data: `full` normally, `quick` under QUICK=1."""
    return quick if QUICK else full


def progress(message: str) -> None:
    """A line on the terminal while a long benchmark runs."""
    print(f"     … {message}", flush=True)
