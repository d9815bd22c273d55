"""The Ninja API at /api/v1/ (OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs).

Each app adds its router here. Session authentication (with CSRF on unsafe methods) for logged-in users;
every endpoint filters through the same permission layer as the views and the admin.
"""

from ninja import NinjaAPI
from ninja.security import django_auth

from dangjian.core.api import router as core_router

api = NinjaAPI(title="Dangjian API", version="1", urls_namespace="api")
api.add_router("/core/", core_router, auth=django_auth)
