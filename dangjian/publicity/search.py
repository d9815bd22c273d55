"""The public site's pages (articles, knowledge base, 政务公开, notices) and the text of the documents attached to
them (PDF, DOCX) as sources of the one search box."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from dangjian.publicity.models import BodyPage, PublicityDocument
from dangjian.publicity.queries import visible_attached_documents, visible_pages
from dangjian.search.registry import Source, register

SOURCE = register(
    Source(
        key="publicity.page",
        label=_("Public site"),
        visible=lambda user: visible_pages(user, BodyPage),
        url=lambda page: page.url,
        title=lambda page: page.title,
        text=lambda page: page.text_for_search(),
        date="first_published_at",
    )
)


#: The snippet is cut around the first query word found in this much of a document's text.
SNIPPET_SOURCE_CHARS = 20_000


def _document_text(document: PublicityDocument) -> str:
    return document.text[:SNIPPET_SOURCE_CHARS]


DOCUMENT_SOURCE = register(
    Source(
        key="publicity.document",
        label=_("Documents"),
        visible=visible_attached_documents,
        url=lambda document: document.url,
        title=lambda document: document.title,
        text=_document_text,
        date="created_at",
    )
)
