"""Published letters as a source of the site's one search box (the masked public text only)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dangjian.search.registry import Source, register
from dangjian.supervision.models import Letter


def visible(user):
    return Letter.objects.published().select_related("channel")


SOURCE = register(
    Source(
        key="supervision.letter",
        label=_("Published letters"),
        visible=visible,
        url=lambda letter: letter.get_absolute_url(),
        title=lambda letter: letter.public_title,
        text=lambda letter: letter.public_body[:500],
        date="published_at",
    )
)
