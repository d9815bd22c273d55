"""The public shell (home, supermarket pages, 关怀版 switch, search) and the staff workbench."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from dangjian.core.models import Channel, Notification, NotificationState
from dangjian.core.permissions import scope_for
from dangjian.portal.context import CARE_COOKIE
from dangjian.portal.supermarkets import BY_SLUG
from dangjian.portal.workbench import panels_for

PAGE_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/home.html")


def supermarket(request: HttpRequest, slug: str) -> HttpResponse:
    market = BY_SLUG.get(slug)
    if market is None:
        raise Http404
    return render(request, "portal/supermarket.html", {"market": market})


def _safe_back(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    return target if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) else "/"


# The header's two switches carry no CSRF token, so that a public page holds nothing personal and can be cached
# whole (dangjian.publicity.pagecache): each only sets a display preference of the browser that sends it, which
# a forged request could flip but not use to read or change anything else.
@csrf_exempt
@require_POST
def toggle_care(request: HttpRequest) -> HttpResponse:
    """Switch 关怀版 (large text, high contrast) on or off; a cookie, so it works without an account or JS."""
    response = redirect(_safe_back(request))
    if request.COOKIES.get(CARE_COOKIE) == "1":
        response.delete_cookie(CARE_COOKIE)
    else:
        response.set_cookie(CARE_COOKIE, "1", max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


#: Django's language switch (POST, checks the language and the `next` address), without the CSRF token (above).
set_language = csrf_exempt(django_set_language)


def workbench(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    roles = request.user.roles.select_related("unit").order_by("unit__path", "kind")
    return render(
        request, "portal/workbench.html", {"panels": panels_for(request.user), "roles": roles, "scope": scope}
    )


def inbox(request: HttpRequest) -> HttpResponse:
    messages_qs = Notification.objects.filter(
        channel=Channel.INBOX, recipient=request.user, state=NotificationState.SENT
    ).order_by("-created_at")
    if request.method == "POST":
        messages_qs.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("portal:inbox")
    page = Paginator(messages_qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/inbox.html", {"page": page})
