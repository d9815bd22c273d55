"""The one permission layer: which units a user may see, applied to every query by views, API and admin.

A role reaches its unit's subtree. A model declares where its unit is with a class attribute
`unit_field` (a lookup path such as "unit" or "letter__unit"; "" for Unit itself). `Scope.filter()` turns the
user's roles into one OR of indexed subtree conditions; a superuser is unrestricted; anyone else sees nothing.
"""

from __future__ import annotations

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
