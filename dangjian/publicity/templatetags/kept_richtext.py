"""`{{ value|kept_richtext }}`: Wagtail's `|richtext` (links and embeds expanded, wrapped by its template), kept per
generation in the process.

The expansion depends on the text and on the pages and documents it links to; a change to any of them replaces the
page cache's generation (`pagecache.bump`), which drops what was kept. The text itself is the key, so a preview
of a draft or another page's body never gets a kept value that is not its own.
"""

from __future__ import annotations

from django import template
from django.utils import translation
from wagtail.templatetags.wagtailcore_tags import richtext

from dangjian.publicity import pagecache

register = template.Library()


@register.filter
def kept_richtext(value):
    if not isinstance(value, str):
        return richtext(value)
    return pagecache.derived(("richtext", translation.get_language(), value), lambda: richtext(value))
