"""Filters of the public site whose results are kept in the process, because its pages repeat them on every render.

`{{ value|kept_richtext }}`: Wagtail's `|richtext` (links and embeds expanded, wrapped by its template), kept per
generation. The expansion depends on the text and on the pages and documents it links to; a change to any of them
replaces the page cache's generation (`pagecache.bump`), which drops what was kept. The text itself is the key, so a
preview of a draft or another page's body never gets a kept value that is not its own.

`{{ value|kept_date:"Y-m-d H:i" }}`: Django's `|date` of the value in the current time zone, remembered for the
value, the format, the language and the time zone, of which it is a function (a column's list formats forty dates,
the same ones on every render; Django's formatting of one costs more than the rest of its line).
"""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.defaultfilters import date
from django.utils import timezone, translation
from wagtail.templatetags.wagtailcore_tags import richtext

from dangjian.publicity import pagecache

register = template.Library()


@register.filter
def kept_richtext(value):
    if not isinstance(value, str):
        return richtext(value)
    return pagecache.derived(("richtext", translation.get_language(), value), lambda: richtext(value))


@lru_cache(maxsize=8192)
def _formatted(value, format_string: str | None, language: str | None, zone: str) -> str:
    return date(timezone.template_localtime(value), format_string)  # in `language` and `zone`, which are active


@register.filter(is_safe=False)
def kept_date(value, format_string=None):
    try:
        return _formatted(value, format_string, translation.get_language(), timezone.get_current_timezone_name())
    except TypeError:  # not hashable: formatted each time
        return date(timezone.template_localtime(value), format_string)
