"""The core's API: the units a user may see. Scoped by the same permission layer as views and admin."""

from ninja import Router, Schema
from ninja.pagination import paginate

from dangjian.api.pagination import Pagination
from dangjian.core.models import Unit, UnitKind

router = Router(tags=["core"])


class UnitOut(Schema):
    code: str
    name: str
    kind: str
    parent_code: str | None

    @staticmethod
    def resolve_parent_code(obj: Unit) -> str | None:
        return obj.parent.code if obj.parent is not None else None


@router.get("/units", response=list[UnitOut])
@paginate(Pagination)
def list_units(request, kind: UnitKind | None = None):
    qs = Unit.objects.for_user(request.user).select_related("parent")
    if kind:
        qs = qs.filter(kind=kind)
    return qs
