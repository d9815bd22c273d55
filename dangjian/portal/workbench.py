"""The staff workbench's dashboard: each app registers a provider of panels for the user's roles.

A provider takes the user and their Scope and returns Panels (or nothing). Items carry a state: `waiting`
(for me to act on), `due` (a deadline is near) or `late` (a deadline has passed).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.functional import Promise

from dangjian.core.permissions import Scope, scope_for

logger = logging.getLogger(__name__)

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


def providers() -> list[Provider]:
    return list(_providers)


def panels_for(user) -> list[Panel]:
    """Every provider's panels; one that fails is logged and left out, so the rest of the dashboard still shows."""
    scope = scope_for(user)
    panels: list[Panel] = []
    for provider in _providers:
        try:
            panels.extend(provider(user, scope) or [])
        except Exception:
            logger.exception("workbench provider %s failed", getattr(provider, "__qualname__", provider))
    return sorted(panels, key=lambda p: p.order)
