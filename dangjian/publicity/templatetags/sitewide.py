"""`{% sitewide "name" %}…{% endsitewide %}`: a fragment of the site's frame rendered once per language in each
process, then reused by every request (the navigation between the supermarkets, the footer).

Only for markup that depends on nothing but the language and the code: whatever else the fragment reads from
the context is frozen at its first rendering. It holds no content of the public site, so no publish changes it
and it needs no generation; a new release starts new processes.
"""

from __future__ import annotations

import threading

from django import template
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_rendered: dict[tuple[str, str | None], SafeString] = {}
_lock = threading.Lock()


class SitewideNode(template.Node):
    def __init__(self, name: str, nodelist: template.NodeList) -> None:
        self.name = name
        self.nodelist = nodelist

    def render(self, context) -> str:
        key = (self.name, translation.get_language())
        html = _rendered.get(key)
        if html is None:
            html = mark_safe(self.nodelist.render(context))  # noqa: S308  (the template's own escaped output)
            with _lock:
                _rendered[key] = html
        return html


@register.tag
def sitewide(parser, token) -> SitewideNode:
    bits = token.split_contents()
    if len(bits) != 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% sitewide %} takes one quoted name")
    nodelist = parser.parse(("endsitewide",))
    parser.delete_first_token()
    return SitewideNode(bits[1][1:-1], nodelist)
