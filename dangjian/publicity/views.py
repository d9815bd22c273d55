"""Views of the public site beside Wagtail's page serving: the home at /publicity/, notices, sitemap, objections."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.publicity import actions, pagecache, serving
from dangjian.publicity.forms import ObjectionForm
from dangjian.publicity.models import HomePage, NoticeKind, NoticePage, PublicityPage
from dangjian.publicity.queries import can_view, public_pages, visible_pages

PAGE_SIZE = 20


def home(request: HttpRequest) -> HttpResponse:
    """The Wagtail site root (the publicity home page), served at /publicity/ since "/" is the portal's."""
    site = serving.site_for(request)
    setattr(request, "_wagtail_site", site)  # noqa: B010  (where Wagtail's page URLs look for it)
    page = site.root_page.specific if site is not None else None
    if not isinstance(page, HomePage) or not can_view(request.user, page):
        raise Http404
    return page.serve(request)


def _bulletins() -> list:
    """The supervision supermarket's published 通报批评 bulletins, once that app has them."""
    try:
        from dangjian.supervision.models import Bulletin
    except ImportError:
        return []
    return list(Bulletin.objects.filter(published_at__isnull=False).order_by("-published_at")[:10])


def notices(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    qs = visible_pages(request.user, NoticePage).order_by("-period_start", "-pk")
    if kind in NoticeKind.values:
        qs = qs.filter(kind=kind)
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    response = render(
        request,
        "publicity/notices.html",
        {"page_obj": page_obj, "kinds": NoticeKind.choices, "kind": kind, "bulletins": _bulletins()},
    )
    pagecache.mark_listing(request, response)  # a published bulletin starts a new generation too
    return response


def sitemap(request: HttpRequest) -> HttpResponse:
    """sitemap.xml (sitemaps.org protocol 0.9): public, live pages only, whoever asks."""
    pages = public_pages(PublicityPage).order_by("path").only("url_path", "last_published_at", "pk")
    response = render(request, "publicity/sitemap.xml", {"pages": pages}, content_type="application/xml")
    pagecache.mark_listing(request, response)
    return response


@require_POST
def object_to_notice(request: HttpRequest, pk: int) -> HttpResponse:
    notice = visible_pages(request.user, NoticePage).filter(pk=pk).first()
    if notice is None:
        raise Http404
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            actions.submit_objection(notice=notice, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Your report has been received by the supervision office. Thank you."))
            return redirect(notice.url)
    context = notice.get_context(request)
    context["objection_form"] = form
    return render(request, notice.get_template(request), context, status=400)
