"""Wagtail hooks: serving checks for pages and documents (the classification rule at the door)."""

from __future__ import annotations

from django.http import Http404
from wagtail import hooks

from dangjian.publicity.queries import can_view, can_view_document


@hooks.register("before_serve_page")
def refuse_pages_the_reader_may_not_see(page, request, serve_args, serve_kwargs):
    # PublicityPage.serve checks too; this also covers Wagtail's own pages (the tree root, a default page).
    if not can_view(request.user, page):
        raise Http404


@hooks.register("before_serve_document")
def refuse_documents_the_reader_may_not_see(document, request):
    if not can_view_document(request.user, document):
        raise Http404
