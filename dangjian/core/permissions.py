"""The one permission layer: which units a user may see, applied to every query by views, API and admin.

A role reaches its unit's subtree. A model declares where its unit is with a class attribute
`unit_field` (a lookup path such as "unit" or "letter__unit"; "" for Unit itself). `Scope.filter()` turns the
user's roles into one OR of indexed subtree conditions; a superuser is unrestricted; anyone else sees nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from dangjian.core.models import RoleKind, Unit


@dataclass(frozen=True)
class Scope:
    """The unit paths a user reaches, per role kind."""

    unrestricted: bool = False
    paths_by_kind: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def paths(self, kinds: Iterable[str] | None = None) -> tuple[str, ...]:
        wanted = set(kinds) if kinds is not None else set(self.paths_by_kind)
        found = sorted({p for k, ps in self.paths_by_kind.items() if k in wanted for p in ps})
        # Drop paths already covered by an ancestor path: fewer OR branches, same rows.
        return tuple(p for i, p in enumerate(found) if not any(p.startswith(q) for q in found[:i]))

    def q(self, unit_field: str, kinds: Iterable[str] | None = None) -> Q:
        if self.unrestricted:
            return Q()
        lookup = f"{unit_field}__path__descendant_of" if unit_field else "path__descendant_of"
        paths = self.paths(kinds)
        if not paths:
            return Q(pk__in=[])
        condition = Q()
        for p in paths:
            condition |= Q(**{lookup: p})
        return condition

    def filter(self, qs: QuerySet, unit_field: str | None = None, kinds: Iterable[str] | None = None) -> QuerySet:
        if unit_field is None:
            unit_field = qs.model.unit_field
        return qs.filter(self.q(unit_field, kinds)) if not self.unrestricted else qs

    def covers(self, unit: Unit | None, kinds: Iterable[str] | None = None) -> bool:
        if self.unrestricted:
            return True
        if unit is None:
            return False
        return any(unit.path.startswith(p) for p in self.paths(kinds))

    def has_kind(self, *kinds: str) -> bool:
        return self.unrestricted or any(self.paths_by_kind.get(k) for k in kinds)

    def require(self, unit: Unit | None, kinds: Iterable[str] | None = None) -> None:
        """Raise PermissionDenied unless the unit lies in the scope (for the given role kinds)."""
        if not self.covers(unit, kinds):
            raise PermissionDenied


EMPTY = Scope()


def scope_for(user) -> Scope:
    """The scope of a user, computed once per user object (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return EMPTY
    cached = getattr(user, "_dangjian_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(unrestricted=True)
    else:
        by_kind: dict[str, list[str]] = {}
        for kind, path in user.roles.filter(unit__is_active=True).values_list("kind", "unit__path"):
            by_kind.setdefault(kind, []).append(path)
        scope = Scope(paths_by_kind={k: tuple(v) for k, v in by_kind.items()})
    user._dangjian_scope = scope
    return scope


STAFF_KINDS = tuple(k for k in RoleKind.values if k != RoleKind.MEMBER)

#: How long one process trusts what it read of who holds a role at a unit, in seconds. A role or user saved or
#: deleted in this process clears it at once; another process's change is seen within this time (as a letter
#: received at the moment of the change would have been told to the holders before it).
HOLDERS_SECONDS = 1.0
_HOLDERS_MAX = 4096
_holders: dict[tuple[int, tuple[str, ...]], tuple[float, tuple[int, ...]]] = {}
_holders_lock = threading.Lock()


def holder_ids(unit_id: int, kinds: Iterable[str]) -> tuple[int, ...]:
    """The ids of the active users holding one of `kinds` at the unit itself (not above it), in id order.

    Who is told of a new letter is asked for every letter and changes seldom: a process asks the database again
    at most once every HOLDERS_SECONDS for the same unit and kinds."""
    key = (unit_id, tuple(sorted(kinds)))
    now = time.monotonic()
    hit = _holders.get(key)
    if hit is not None and now - hit[0] < HOLDERS_SECONDS:
        return hit[1]
    from dangjian.core.models import User

    users = User.objects.filter(roles__unit_id=unit_id, roles__kind__in=key[1], is_active=True)
    ids = tuple(users.distinct().order_by("pk").values_list("pk", flat=True))
    with _holders_lock:
        if len(_holders) >= _HOLDERS_MAX:
            _holders.clear()
        _holders[key] = (now, ids)
    return ids


def forget_holders(**_signal_kwargs) -> None:
    """Drop this process's memory of role holders (a role or a user changed; between tests)."""
    with _holders_lock:
        _holders.clear()


class ScopedQuerySet(QuerySet):
    """Base for any model with a unit: `Model.objects.for_user(user)` is what a staff user may see."""

    def for_user(self, user, kinds: Iterable[str] | None = None) -> QuerySet:
        return scope_for(user).filter(self, kinds=kinds)


class ScopedAdminMixin:
    """Django admin: lists, lookups, change and delete pages see only the staff user's units."""

    def get_queryset(self, request):
        qs = super().get_queryset(request)  # type: ignore[misc]
        return scope_for(request.user).filter(qs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]
        related = db_field.remote_field.model
        if field is not None and hasattr(related, "unit_field"):
            field.queryset = scope_for(request.user).filter(field.queryset)
        return field
