"""The core's API: the units a user may see. Scoped by the same permission layer as views and admin."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from dangjian.core.models import Unit

router = Router(tags=["core"])


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent_id else None


@router.get("/units", response=list[UnitOut])
@paginate(LimitOffsetPagination)
def list_units(request, kind: str | None = None):
    qs = Unit.objects.for_user(request.user).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    return qs
