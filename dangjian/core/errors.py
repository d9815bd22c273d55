"""The answer to an unexpected fault: a page of our own, and 503 with Retry-After when the database is away.

When PostgreSQL restarts or a SQLite file is locked past its timeout, Django raises `OperationalError` or
`InterfaceError`. That is a temporary condition, not a fault in the request: the answer is 503 Service Unavailable
with Retry-After (RFC 9110 §15.6.4, §10.2.3), so a browser, a partner's client or a load balancer tries again.
Whether a write went through cannot always be known (a connection lost during COMMIT), so the page does not say;
sending a letter again is safe, since the duplicate check answers "already received" for a stored one. Anything
else is 500. Both pages are rendered without the database or the session (the template uses no context
processor), and API paths answer JSON.

Three doors lead here, so the answer is the same with DEBUG on or off: `handler500` (Django, DEBUG off), the
middleware's `process_exception` (a view's database error, DEBUG on or off), and the API's exception handler
(Ninja answers a view's exception itself when DEBUG is on).
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30


def database_away(exc: BaseException | None = None) -> bool:
    """Whether the exception (by default the one being handled) is the database being unreachable."""
    exc = exc if exc is not None else sys.exc_info()[1]
    while exc is not None:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while the exception is being handled (sys.exc_info() holds it)."""
    return error_response(request, away=database_away())


def error_response(request: HttpRequest, *, away: bool) -> HttpResponse:
    status = 503 if away else 500
    message = (
        _("The service is briefly unavailable; please try again in a minute.")
        if away
        else _("Something went wrong on our side. It has been recorded; please try again later.")
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"errors": {"__all__": [message]}}, status=status,
                                              json_dumps_params={"ensure_ascii": False})  # fmt: skip
    else:
        html = loader.get_template("core/error.html").render({"status": status, "message": message})
        response = HttpResponse(html, status=status)
    if away:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """A view's database error is a 503 with Retry-After, with DEBUG on as well as off."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not database_away(exception):
            return None
        logger.warning("database unavailable on %s: %s", request.path, exception)
        return error_response(request, away=True)
