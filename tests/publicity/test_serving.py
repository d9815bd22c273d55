"""Rendering a page of the public site from what its generation knows: how many queries a page costs, and that a
change is still shown at once."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import PageViewRestriction

from dangjian.core.models import RoleKind
from dangjian.publicity import pagecache
from dangjian.publicity.models import Classification, ColumnPage
from tests.publicity.conftest import add_page


@pytest.fixture(autouse=True)
def _generation_read_as_in_production(settings):
    # As a web process keeps the token (tests reread it on every call otherwise), long enough for a slow run.
    settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS = 60.0


@pytest.fixture
def uncached(monkeypatch):
    """The anonymous page cache off, so that every request renders its page."""
    monkeypatch.setattr(pagecache, "key_for", lambda request: None)


def queries_of(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_an_article_rendered_again_makes_no_query(site, article, client, uncached, django_assert_num_queries):
    first = client.get(article.url)
    assert first.status_code == 200 and pagecache.HEADER not in first
    with django_assert_num_queries(0):
        again = client.get(article.url)
    assert again.content == first.content and article.title in again.content.decode()


def test_the_first_render_after_a_change_reads_the_token_site_route_page_and_tree(
    site, article, client, uncached, django_assert_num_queries
):
    # The token, the site, the pages along the path, the page's own fields, the tree's facts (one union).
    section = add_page(site["news"], ColumnPage, title="支部风采", slug="zbfc")
    nested = add_page(section, title="文武坝镇支部主题党日", slug="ztdr")
    client.get(article.url)  # Wagtail's site root paths, which it keeps in the default cache until a site changes
    pagecache.bump()
    with django_assert_num_queries(5):
        html = client.get(nested.url).content.decode()
    assert "文武坝镇支部主题党日" in html
    assert '<a href="/jcdj/">基层党建</a>' in html and '<a href="/jcdj/zbfc/">支部风采</a>' in html
    with django_assert_num_queries(0):
        assert client.get(nested.url).content.decode() == html
    pagecache.bump()
    assert queries_of(client, article.url) == 5
    draft = add_page(site["news"], title="草稿", slug="draft", publish=False)
    for missing in (draft.url or "/jcdj/draft/", "/jcdj/nothing/", "/jcdj/zbfc/ztdr/more/", "/zbfc/ztdr/"):
        assert client.get(missing).status_code == 404, missing


def test_an_article_with_attachments_reads_only_them(site, client, uncached, django_assert_num_queries):
    from django.core.files.base import ContentFile

    from dangjian.publicity.models import PageAttachment, PublicityDocument

    document = PublicityDocument(title="会议材料")
    document.file.save("material.txt", ContentFile(b"text"), save=False)
    document.save()
    page = add_page(site["news"], title="附件页", publish=False)
    PageAttachment.objects.create(page=page, document=document)
    page.save_revision().publish()
    client.get(page.url)
    with django_assert_num_queries(1):
        html = client.get(page.url).content.decode()
    assert "会议材料" in html


def test_a_logged_in_readers_article_costs_a_fixed_number_of_queries(site, article, client, make_user, uncached):
    client.force_login(make_user("reader", (RoleKind.EDITOR, site["tree"]["t1"])))
    client.get(article.url)
    first = queries_of(client, article.url)
    for i in range(5):
        add_page(site["news"], title=f"又一篇{i}")
    client.get(article.url)
    assert queries_of(client, article.url) == first <= 5  # the session, the user, their roles: never the tree


def test_column_and_home_cost_the_same_with_more_pages(site, article, client, uncached):
    other = add_page(site["home"], ColumnPage, title="干部工作", slug="gbgz")
    for url in (site["news"].url, "/publicity/"):
        client.get(url)
    before = {url: queries_of(client, url) for url in (site["news"].url, "/publicity/")}
    for i in range(25):
        add_page(site["news"] if i % 2 else other, title=f"第{i}篇")
    for url in before:
        client.get(url)
    assert {url: queries_of(client, url) for url in before} == before
    assert before[site["news"].url] <= 3 and before["/publicity/"] <= 4  # a query per column box on the home


def test_a_change_in_this_process_is_rendered_at_once(site, article, client, uncached):
    assert "推进会" in client.get(article.url).content.decode()
    article.title = "会昌县召开基层党建工作推进会（更正）"
    article.save_revision().publish()
    assert "（更正）" in client.get(article.url).content.decode()
    crumbs_before = client.get(article.url).content.decode()
    news = site["news"]
    news.title = "基层党建工作"
    news.save_revision().publish()
    page = client.get(article.url).content.decode()
    assert ">基层党建工作</a>" in page and ">基层党建工作</a>" not in crumbs_before
    article.unpublish()
    assert client.get(article.url).status_code == 404


def test_a_view_restriction_or_a_withdrawn_column_takes_a_rendered_page_off_at_once(site, article, client, uncached):
    assert client.get(article.url).status_code == 200
    restriction = PageViewRestriction.objects.create(page=site["news"], restriction_type=PageViewRestriction.LOGIN)
    assert client.get(article.url).status_code == 404
    restriction.delete()
    assert client.get(article.url).status_code == 200
    site["news"].unpublish()
    assert client.get(article.url).status_code == 404


def test_an_internal_page_rendered_for_one_reader_is_not_shown_to_another(site, client, make_user, uncached):
    tree = site["tree"]
    internal_column = add_page(
        site["home"], ColumnPage, title="内部栏目", slug="nb", classification=Classification.INTERNAL, unit=tree["t1"]
    )
    page = add_page(internal_column, title="内部通知", classification=Classification.INTERNAL, unit=tree["t1"])
    client.force_login(make_user("inside", (RoleKind.EDITOR, tree["v1"])))
    assert client.get(page.url).status_code == 200
    client.force_login(make_user("outside", (RoleKind.EDITOR, tree["t2"])))
    assert client.get(page.url).status_code == 404
    client.logout()
    assert client.get(page.url).status_code == 404


def test_the_navigation_and_footer_are_kept_per_language(site, article, client, uncached):
    from dangjian.publicity.templatetags import sitewide

    sitewide._rendered.clear()
    chinese = client.get(article.url).content.decode()
    english = client.get(article.url, headers={"accept-language": "en"}).content.decode()
    assert 'aria-label="四大超市"' in chinese and 'aria-label="The four supermarkets"' in english
    assert "Public information is never classified" in english and "Public information" not in chinese
    assert {key[1] for key in sitewide._rendered} == {"zh-hans", "en"}
    assert client.get("/").content.decode().count('<footer class="site-footer"') == 1  # the portal's pages too


def test_the_kept_header_fills_each_requests_path_and_search_words(site, article, client, uncached):
    from dangjian.portal.context import CARE_COOKIE
    from dangjian.publicity.templatetags import sitewide

    sitewide._rendered.clear()
    first = client.get(article.url).content.decode()
    second = client.get(article.url + '?q=<b>"党建"</b>').content.decode()
    assert f'name="next" value="{article.url}"' in first
    assert 'name="q" value=""' in first
    assert 'value="&lt;b&gt;&quot;党建&quot;&lt;/b&gt;"' in second and "<b>" not in second  # escaped as {{ }}
    assert second.count(f'name="next" value="{article.url}?q=') == 2  # this request's path, in both forms
    client.cookies[CARE_COOKIE] = "1"
    care = client.get(article.url).content.decode()
    assert 'aria-pressed="true"' in care and 'aria-pressed="false"' in first  # kept apart per care mode
