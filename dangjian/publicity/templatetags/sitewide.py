"""`{% sitewide "name" [value ...] %}…{% endsitewide %}`: a fragment of the site's frame rendered once per language
(and per each listed value) in each process, then reused by every request: the header, the navigation between
the supermarkets, the footer.

Only for markup that depends on nothing but the language, the listed values and the code: whatever else the
fragment reads from the context is frozen at its first rendering, except its holes. `{% hole expression %}` marks
a per-request value inside a fragment (the path the header's forms return to, the search box's words): the fixed
markup around the holes is kept, and each request fills them, escaped as `{{ expression }}` would be. A
fragment holds no content of the public site, so no publish changes it and it needs no generation; a new release
starts new processes. No `{% csrf_token %}` inside one: a token is the request's, and a hole is for text only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django import template
from django.template.base import FilterExpression, render_value_in_context
from django.template.loader_tags import BlockNode
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

#: (name, language, *values) → the fixed markup, split at the holes, and the holes in the order they came.
_rendered: dict[tuple, Fragment] = {}
_lock = threading.Lock()
#: Stands for a hole while a fragment is rendered for the first time (no template output holds a NUL).
_MARK = "\x00"
_RECORDING = "_sitewide_recording"  # in the context while a fragment is recorded


@dataclass(frozen=True)
class Fragment:
    parts: tuple[SafeString, ...]
    holes: tuple[HoleNode, ...]

    def render(self, context) -> SafeString:
        if not self.holes:
            return self.parts[0]
        pieces = [self.parts[0]]
        for hole, part in zip(self.holes, self.parts[1:], strict=True):
            pieces += (hole.fill(context), part)
        return mark_safe("".join(pieces))  # noqa: S308  (escaped markup, holes escaped by fill)


class SitewideNode(template.Node):
    # The fragment's markup is fixed: `{% extends %}` need not look inside it for blocks on every render (Django walks
    # the root template's nodes for them each time), and `sitewide` refuses a block inside one.
    child_nodelists = ()

    def __init__(self, name: str, vary: list[FilterExpression], nodelist: template.NodeList) -> None:
        self.name = name
        self.vary = vary
        self.nodelist = nodelist

    def render(self, context) -> str:
        key = (self.name, translation.get_language(), *(value.resolve(context) for value in self.vary))
        fragment = _rendered.get(key)
        if fragment is None:
            holes: list[HoleNode] = []
            with context.push(**{_RECORDING: holes}):
                html = self.nodelist.render(context)
            parts = tuple(mark_safe(part) for part in html.split(_MARK))  # noqa: S308  (the template's own output)
            fragment = Fragment(parts, tuple(holes))
            with _lock:
                _rendered[key] = fragment
        return fragment.render(context)


class HoleNode(template.Node):
    def __init__(self, expression: FilterExpression) -> None:
        self.expression = expression

    def fill(self, context) -> str:
        return render_value_in_context(self.expression.resolve(context), context)

    def render(self, context) -> str:
        recording = context.get(_RECORDING)
        if recording is None:  # outside a fragment: an ordinary {{ expression }}
            return self.fill(context)
        recording.append(self)
        return _MARK


@register.tag
def sitewide(parser, token) -> SitewideNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("{% sitewide %} takes one quoted name, then the values it varies with")
    nodelist = parser.parse(("endsitewide",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% sitewide %} holds fixed markup: no {% block %} inside one")
    return SitewideNode(bits[1][1:-1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)


@register.tag
def hole(parser, token) -> HoleNode:
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("{% hole %} takes one expression")
    return HoleNode(parser.compile_filter(bits[1]))
