"""The URLconf of a request for a page of the site's tree: Wagtail's serve pattern first, then the project's own.

The project's URLconf (`dangjian.config.urls`) tries every other app's patterns before Wagtail's catch-all, twenty
of them with the portal's included list, so each article's path was matched against all of them first (a tenth of
an uncached article's time). A path whose first segment none of those patterns starts with can only end at the
catch-all, so `AnonymousPageCacheMiddleware` gives such a request this URLconf instead (`request.urlconf`, which
Django uses in place of ROOT_URLCONF when middleware sets it: "How Django processes a request" in its
documentation). The project's patterns follow in full, so everything `reverse()` and `{% url %}` find while the
page renders is what they find in the project's URLconf, and a path the serve pattern does not take (one without
its trailing slash) is resolved as before.
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.urls import URLPattern, URLResolver, re_path
from django.urls.resolvers import RoutePattern
from wagtail import urls as wagtail_urls
from wagtail import views as wagtail_views

#: The URLconf these patterns stand in front of.
PROJECT = "dangjian.config.urls"
_project = import_module(PROJECT)

urlpatterns = [re_path(wagtail_urls.serve_pattern, wagtail_views.serve), *_project.urlpatterns]

# Django takes the error views from the URLconf in use.
handler400 = getattr(_project, "handler400", None)
handler403 = getattr(_project, "handler403", None)
handler404 = getattr(_project, "handler404", None)
handler500 = getattr(_project, "handler500", None)


def _first_segments(patterns) -> set[str] | None:
    """The first path segments the patterns (but Wagtail's serve) start with; "" for the site's root path. None when
    a pattern's first segment is not a literal (then nothing is told apart, and the project's URLconf serves)."""
    found: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and pattern.callback is wagtail_views.serve:
            continue
        is_route = isinstance(pattern.pattern, RoutePattern)
        route = str(pattern.pattern) if is_route else str(pattern.pattern).removeprefix("^")
        if route == "" and isinstance(pattern, URLResolver):  # an included list at the root: its own patterns
            below = _first_segments(pattern.url_patterns)
            if below is None:
                return None
            found |= below
        elif route in ("", "$"):
            found.add("")
        else:
            first = route.split("/", 1)[0]
            literal = "-_." if is_route else "-_"  # in a regular expression a dot is any character
            if not first or not all(c.isalnum() or c in literal for c in first):
                return None
            found.add(first)
    return found


_segments = _first_segments(_project.urlpatterns)


def serves(path_info: str) -> bool:
    """Whether a path can only be Wagtail's, so that this URLconf may resolve it."""
    return _segments is not None and settings.ROOT_URLCONF == PROJECT and path_info.split("/", 2)[1] not in _segments
