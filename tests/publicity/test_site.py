"""The public site: 政务公开 by category, the knowledge base, the demo site with the seed's columns."""

from __future__ import annotations

import io

from wagtail.models import Site

from dangjian.core.models import RoleKind
from dangjian.publicity import demo
from dangjian.publicity.models import (
    ColumnKind,
    ColumnPage,
    KnowledgeEntryPage,
    NoticePage,
    OpenGovernmentKind,
    OpenGovernmentPage,
    PublicityPage,
)
from tests.publicity.conftest import add_page


def test_open_government_items_are_listed_by_category_with_their_reference(site, client):
    column = add_page(site["home"], ColumnPage, title="政务公开", slug="zwgk", kind=ColumnKind.OPEN_GOVERNMENT)
    procedure = add_page(
        column, OpenGovernmentPage, title="党员组织关系转接程序", category=OpenGovernmentKind.PROCEDURE,
        reference="会组字〔2026〕3号",
    )  # fmt: skip
    plan = add_page(column, OpenGovernmentPage, title="年度组织工作要点", category=OpenGovernmentKind.PLAN)
    listing = client.get(column.url, {"category": OpenGovernmentKind.PROCEDURE}).content.decode()
    assert procedure.title in listing and plan.title not in listing
    assert plan.title in client.get(column.url).content.decode()
    page = client.get(procedure.url).content.decode()
    assert "会组字〔2026〕3号" in page and str(OpenGovernmentKind.PROCEDURE.label) in page


def test_the_knowledge_base_lists_its_entries_under_sub_columns(site, client):
    base = add_page(site["home"], ColumnPage, title="党建知识库", slug="zsk", kind=ColumnKind.KNOWLEDGE)
    sub = add_page(base, ColumnPage, title="组织工作业务知识", slug="zzgz", kind=ColumnKind.KNOWLEDGE)
    entry = add_page(sub, KnowledgeEntryPage, title="发展党员的五个阶段")
    html = client.get(base.url).content.decode()
    assert sub.title in html and entry.title in html


def test_the_print_view_and_sitemap_serve_public_pages(article, client):
    assert "print-view" in client.get(article.url, {"print": "1"}).content.decode()
    sitemap = client.get("/sitemap.xml")
    assert sitemap["Content-Type"].startswith("application/xml") and article.url in sitemap.content.decode()


def test_the_demo_loads_the_seed_columns_once(tree, make_user):
    make_user("editor", (RoleKind.EDITOR, tree["county"]))
    make_user("reviewer", (RoleKind.REVIEWER, tree["county"]))
    out = io.StringIO()
    home = demo.load_site(out)
    count = PublicityPage.objects.count()
    demo.load_site(out)
    assert PublicityPage.objects.count() == count  # idempotent
    assert Site.objects.get(is_default_site=True).root_page_id == home.pk
    titles = set(ColumnPage.objects.child_of(home).values_list("title", flat=True))
    assert {
        "基层党建",
        "大学生村干部",
        "干部工作",
        "人才工作",
        "会昌组工通讯",
        "政务公开",
        "党建知识库",
        "公示公告",
    } <= titles
    assert {k for k in NoticePage.objects.values_list("kind", flat=True)} >= {"pre_appointment", "commendation"}
    assert KnowledgeEntryPage.objects.count() >= 3 and OpenGovernmentPage.objects.count() == 4
