"""A URL configuration for the error-page tests: the project's, plus views that fail in the two ways."""

from django.db import OperationalError
from django.urls import path

from dangjian.config.urls import handler500, urlpatterns  # noqa: F401 - handler500 is read from this module


def database_away(request):
    raise OperationalError("server closed the connection unexpectedly")


def bug(request):
    raise ZeroDivisionError


urlpatterns = [
    path("test-errors/db/", database_away),
    path("test-errors/bug/", bug),
    *urlpatterns,
]
