"""The library as a source of the site's one search box."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from dangjian.education import queries
from dangjian.education.models import Resource
from dangjian.search.registry import Source, register


def _text(r: Resource) -> str:
    return r.summary or r.text[:500]


SOURCE = register(
    Source(
        key="education.resource",
        label=_("Library"),
        visible=queries.visible_resources,
        url=lambda r: reverse("education:detail", args=[r.pk]),
        title=lambda r: r.title,
        text=_text,
        date="published_at",
    )
)
