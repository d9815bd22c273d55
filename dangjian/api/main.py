"""The Ninja API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Each app adds its router here. Session authentication (with CSRF on unsafe methods) for logged-in users;
every endpoint filters through the same permission layer as the views and the admin.
"""

from django.db import InterfaceError, OperationalError
from ninja import NinjaAPI
from ninja.security import django_auth

from dangjian.core.api import router as core_router
from dangjian.core.errors import error_response
from dangjian.supervision.api import router as supervision_router


class DangjianAPI(NinjaAPI):
    """The schema states what operations may answer besides their own codes: 422 when the input does not
    validate; for authenticated ones, 401 without a (two-step verified) login and 403 outside the user's units.
    OpenAPI 3.1, "Responses Object"."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        error = {
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"detail": {"type": "string"}}, "required": ["detail"]}
                }
            }
        }
        for methods in schema.get("paths", {}).values():
            for operation in methods.values():
                if operation.get("parameters") or operation.get("requestBody"):
                    operation.setdefault("responses", {}).setdefault(
                        422, {"description": "A parameter or the body does not validate", **error}
                    )
                if operation.get("security"):
                    responses = operation.setdefault("responses", {})
                    responses.setdefault(
                        401, {"description": "Not logged in, or the second factor not verified", **error}
                    )
                    responses.setdefault(403, {"description": "Outside the units of the user's roles", **error})
        return schema


api = DangjianAPI(title="Dangjian API", version="1", urls_namespace="api")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request, exc):
    """The database away: 503 with Retry-After (with DEBUG on, Ninja would answer a bare 500 itself)."""
    return error_response(request, away=True)


api.add_router("/core/", core_router, auth=django_auth)
api.add_router("/", supervision_router)  # public: each operation says auth=None
