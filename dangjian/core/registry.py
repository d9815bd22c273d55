"""Extension points the supermarkets plug into: demo data loaders (their own part of `dangjian demo`)."""

from __future__ import annotations

from collections.abc import Callable

DemoLoader = Callable[[object], None]
_demo_loaders: list[DemoLoader] = []


def register_demo(loader: DemoLoader) -> DemoLoader:
    """Register a function that loads an app's demo data idempotently; it gets the command's stdout."""
    if loader not in _demo_loaders:
        _demo_loaders.append(loader)
    return loader


def demo_loaders() -> list[DemoLoader]:
    return list(_demo_loaders)
