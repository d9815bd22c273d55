"""`{% breadcrumbs %}`: the trail from the site's home to the page, for the articles and columns of the public site.

Written out in Python rather than included as a template: an `{% include %}` renders a template of its own within
the page (its context pushed, its nodes walked), a twentieth of an article's whole request for five lines of
markup. The trail is the context's `breadcrumbs` ((title, url) of the ancestors below the home, `serving.breadcrumbs`)
and its `page`; the home link is the same for every page and kept per language, as `{% sitewide %}` keeps the frame.
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()


@lru_cache(maxsize=16)
def _home(language: str | None) -> SafeString:  # the active language, the key of what is kept
    return format_html(
        '<nav class="breadcrumbs" aria-label="{}"><ol>\n  <li><a href="{}">{}</a></li>',
        gettext("You are here"),
        reverse("publicity:home"),
        gettext("Party Affairs Online"),
    )


@register.simple_tag(takes_context=True)
def breadcrumbs(context) -> SafeString:
    return format_html(
        '{}\n  {}\n  <li aria-current="page">{}</li>\n</ol></nav>\n',
        _home(translation.get_language()),
        format_html_join("", '<li><a href="{}">{}</a></li>', ((url, title) for title, url in context["breadcrumbs"])),
        context["page"].title,
    )
