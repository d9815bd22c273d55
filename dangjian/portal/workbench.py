"""The staff workbench's dashboard: each app registers a provider of panels for the user's roles.

A provider takes the user and their Scope and returns Panels (or nothing). Items carry a state: `waiting`
(for me to act on), `due` (a deadline is near) or `late` (a deadline has passed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

from dangjian.core.permissions import Scope, scope_for

WAITING, DUE, LATE = "waiting", "due", "late"


@dataclass(frozen=True)
class WorkItem:
    label: str | Promise
    count: int
    url: str = ""
    state: str = WAITING


@dataclass(frozen=True)
class Panel:
    title: str | Promise
    items: list[WorkItem] = field(default_factory=list)
    order: int = 100


Provider = Callable[[object, Scope], list[Panel]]
_providers: list[Provider] = []


def register(provider: Provider) -> Provider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def panels_for(user) -> list[Panel]:
    scope = scope_for(user)
    panels = [p for provider in _providers for p in provider(user, scope)]
    return sorted(panels, key=lambda p: p.order)
