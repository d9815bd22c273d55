"""The anonymous page cache: whole public pages for visitors without a session, gone the moment anything changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from dangjian.publicity import hits, pagecache
from dangjian.publicity.models import Classification, NoticeKind, NoticePage
from dangjian.supervision.models import Channel
from tests.publicity.conftest import add_page

HIT, MISS = "hit", "miss"


@pytest.fixture(autouse=True)
def _generation_read_as_in_production(settings):
    # Tests reread the token on every request (settings); here it is kept as a web process keeps it, and long
    # enough that a slow run does not reread it between two requests of one test and so count a query.
    settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS = 60.0


def cached(response) -> str | None:
    return response.headers.get(pagecache.HEADER)


def test_a_cached_page_is_answered_without_a_database_query(article, client, django_assert_num_queries):
    first = client.get(article.url)
    assert first.status_code == 200 and cached(first) == MISS
    with django_assert_num_queries(0):
        again = client.get(article.url)
    assert cached(again) == HIT and again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] and "Content-Security-Policy" in again


def test_a_published_change_shows_at_once(site, article, client):
    client.get(article.url)
    assert cached(client.get(article.url)) == HIT
    column_html = client.get(site["news"].url).content.decode()
    article.title = "会昌县召开基层党建工作推进会（更正）"
    article.save_revision().publish()
    response = client.get(article.url)
    assert cached(response) == MISS and "（更正）" in response.content.decode()
    newer = add_page(site["news"], title="筠门岭镇开展主题党日活动")
    assert "筠门岭镇开展主题党日活动" not in column_html
    assert "筠门岭镇开展主题党日活动" in client.get(site["news"].url).content.decode()
    newer.unpublish()
    assert client.get(newer.url).status_code == 404


def test_moves_deletes_and_closing_notices_start_a_new_generation(site, article):
    from dangjian.publicity import actions
    from dangjian.publicity.models import ColumnPage

    tokens = [pagecache.generation()]
    other = add_page(site["home"], ColumnPage, title="干部工作", slug="gbgz")
    article.move(other, pos="last-child")
    tokens.append(pagecache.generation())
    other.specific.get_children().first().delete()
    tokens.append(pagecache.generation())
    notice = add_page(other, NoticePage, title="表彰先进公示", kind=NoticeKind.COMMENDATION, period_workdays=3)
    tokens.append(pagecache.generation())
    NoticePage.objects.filter(pk=notice.pk).update(period_end=timezone.localdate() - timedelta(days=1))
    actions.close_notices()
    tokens.append(pagecache.generation())
    assert len(set(tokens)) == len(tokens)


def test_a_logged_in_user_never_gets_a_cached_page(article, client, make_user):
    client.get(article.url)
    assert cached(client.get(article.url)) == HIT
    client.force_login(make_user("reader"))
    for _ in range(2):
        response = client.get(article.url)
        assert response.status_code == 200 and cached(response) is None
        assert "Log out" in response.content.decode() or "退出" in response.content.decode()
    client.logout()
    anonymous = client.get(article.url).content.decode()
    assert "退出" not in anonymous and "Log out" not in anonymous


def test_care_mode_language_and_query_each_have_their_own_entry(article, client):
    standard = client.get(article.url)
    care = client.get(article.url, headers={"cookie": "dangjian_care=1"})
    english = client.get(article.url, headers={"accept-language": "en"})
    printed = client.get(article.url, {"print": "1"})
    assert [cached(r) for r in (standard, care, english, printed)] == [MISS] * 4
    assert 'class="care' in care.content.decode() and 'class="care' not in standard.content.decode()
    assert 'lang="en"' in english.content.decode() and 'lang="zh-Hans"' in standard.content.decode()
    assert "print-view" in printed.content.decode()
    client.cookies.load({"dangjian_care": "1"})
    again = client.get(article.url)
    assert cached(again) == HIT and again.content == care.content
    del client.cookies["dangjian_care"]
    again = client.get(article.url, headers={"accept-language": "en"})
    assert cached(again) == HIT and again.content == english.content


def test_hits_are_counted_for_pages_answered_from_the_cache(article, client):
    for _ in range(3):
        client.get(article.url)
    assert hits.pending() == 3 and hits.flush() == 3


def test_a_session_a_message_or_an_error_is_never_cached(article, client):
    client.get(article.url)
    assert cached(client.get(article.url, headers={"cookie": "sessionid=abc"})) is None
    assert cached(client.get(article.url, headers={"cookie": "messages=abc"})) is None
    assert cached(client.get(article.url, headers={"hx-request": "true"})) is None
    for _ in range(2):
        missing = client.get("/jcdj/no-such-page/")
        assert missing.status_code == 404 and cached(missing) is None


def test_the_header_forms_carry_no_csrf_token_and_still_work(article, client):
    from django.test import Client

    html = client.get(article.url).content.decode()
    assert "csrfmiddlewaretoken" not in html
    strict = Client(enforce_csrf_checks=True)
    switched = strict.post("/care/", {"next": article.url})
    assert switched.status_code == 302 and switched.cookies["dangjian_care"].value == "1"
    english = strict.post("/language/", {"language": "en", "next": article.url})
    assert english.status_code == 302 and english.cookies["django_language"].value == "en"
    refused = strict.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert refused.status_code == 302 and refused["Location"] == "/"


@pytest.fixture
def open_notice(site):
    Channel.objects.create(code="notice", name="公示异议", unit=site["tree"]["d1"], accepts_anonymous=True)
    return add_page(
        site["news"],
        NoticePage,
        title="表彰先进公示：优秀共产党员",
        kind=NoticeKind.COMMENDATION,
        period_start=timezone.localdate(),
        period_workdays=3,
    )


def test_a_page_with_the_objection_form_is_not_cached(open_notice, client):
    for _ in range(2):
        response = client.get(open_notice.url)
        assert "objection-form" in response.content.decode() and cached(response) is None


def test_a_notice_past_its_end_is_not_served_from_the_cache(site, open_notice, client):
    home = client.get("/publicity/")
    assert cached(home) == MISS and "open-notices" in home.content.decode()
    assert cached(client.get("/publicity/")) == HIT
    after_the_end = timezone.make_aware(
        timezone.datetime.combine(open_notice.period_end + timedelta(days=1), timezone.datetime.min.time())
    )
    with freeze_time(after_the_end + timedelta(minutes=1)):
        home = client.get("/publicity/")
        assert cached(home) == MISS and "open-notices" not in home.content.decode()
        page = client.get(open_notice.url).content.decode()
        assert "objection-form" not in page and "notice-state closed" in page


def test_an_entry_lives_no_longer_than_the_next_expiry_of_a_page(site, article):
    now = timezone.now()
    assert pagecache._until(now) <= now + timedelta(seconds=pagecache.MAX_AGE)
    soon = now + timedelta(minutes=5)
    expiring = add_page(site["news"], title="限时公开", classification=Classification.PUBLIC, expire_at=soon)
    assert expiring.live and pagecache._until(now) == soon


def test_the_notices_list_and_the_sitemap_are_cached_until_a_publish(site, article, client, make_user):
    from dangjian.supervision.models import Bulletin

    for url in ("/publicity/notices/", "/sitemap.xml"):
        assert cached(client.get(url)) == MISS
        assert cached(client.get(url)) == HIT
    notice = add_page(site["news"], NoticePage, title="政绩概要公示", kind=NoticeKind.PERFORMANCE, period_workdays=0)
    listed = client.get("/publicity/notices/")
    assert cached(listed) == MISS and "政绩概要公示" in listed.content.decode()
    sitemap = client.get("/sitemap.xml")
    assert cached(sitemap) == MISS and notice.url in sitemap.content.decode()
    assert cached(client.get("/publicity/notices/")) == HIT
    leader = make_user("leader")
    month = timezone.localdate().replace(day=1)
    Bulletin.objects.create(month=month, title="十一月通报批评", published_at=timezone.now(), published_by=leader)
    listed = client.get("/publicity/notices/")
    assert cached(listed) == MISS and "十一月通报批评" in listed.content.decode()
    assert hits.pending() == 0  # a listing is no page's hit


def test_a_column_whose_slug_begins_like_another_apps_address_is_cached(site, client):
    from dangjian.publicity.models import ColumnPage

    column = add_page(site["home"], ColumnPage, title="媒体报道", slug="media-reports")
    assert cached(client.get(column.url)) == MISS
    assert cached(client.get(column.url)) == HIT
    assert cached(client.get("/media/x.css")) is None


class SharedCache:
    """A shared page cache that is not this process's memory: Redis when the suite runs with it, else files."""

    @staticmethod
    def make(tmp_path):
        from django.core.cache import caches
        from django.core.cache.backends.filebased import FileBasedCache
        from django.core.cache.backends.locmem import LocMemCache

        cache = caches[pagecache.CACHE_ALIAS]
        return FileBasedCache(str(tmp_path / "pages"), {}) if isinstance(cache, LocMemCache) else cache


def _entry(text: str) -> pagecache.Entry:
    return pagecache.Entry(None, timezone.now().timestamp() + 60, 200, (("Content-Type", "text/html"),), text.encode())


def test_the_near_tier_answers_without_the_shared_cache_and_only_briefly(site, tmp_path, monkeypatch):
    shared = SharedCache.make(tmp_path)
    one = pagecache.ProcessState()
    key = f"page:{one.generation()}:k"
    one.store(shared, key, _entry("页面"), 60)
    shared.delete(key)
    assert one.lookup(shared, key).content == "页面".encode()  # from the near tier
    clock = [0.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    one.store(shared, key, _entry("页面"), 60)
    shared.delete(key)
    clock[0] += pagecache.NEAR_SECONDS + 0.1
    assert one.lookup(shared, key) is None


def test_a_publish_in_one_process_reaches_another_processs_near_tier_when_it_rereads_the_token(
    site, article, tmp_path, settings, monkeypatch
):
    """Two processes (two states, one shared cache and one database): B's near tier holds a page; A publishes;
    B answers from its tier until it rereads the token (at most DANGJIAN_PAGE_CACHE_CHECK_SECONDS), then not."""
    settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS = 1.0  # as in production
    shared = SharedCache.make(tmp_path)
    clock = [1000.0]
    monkeypatch.setattr(pagecache.time, "monotonic", lambda: clock[0])
    a, b = pagecache.ProcessState(), pagecache.ProcessState()
    old = f"page:{b.generation()}:article"
    a.store(shared, old, _entry("旧标题"), 60)
    assert b.lookup(shared, old).content == "旧标题".encode()
    article.title = "新标题"
    article.save_revision().publish()  # in process A: a new token in the database
    a.forget()
    assert a.generation() != b.generation()  # B still holds the old token: its window
    assert pagecache.NEAR_SECONDS > settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS
    clock[0] += settings.DANGJIAN_PAGE_CACHE_CHECK_SECONDS  # B's window is over; its near entry is still there
    new = f"page:{b.generation()}:article"
    assert new != old and b.generation() == a.generation()
    assert b.lookup(shared, old) is not None  # kept near, but under a token no request uses any more
    assert b.lookup(shared, new) is None  # rendered afresh: neither tier has anything under the new token


def test_only_the_saves_of_what_a_public_page_shows_end_the_stored_pages(site, article, make_user, monkeypatch):
    from django.contrib.auth import get_user_model
    from wagtail.models import PageViewRestriction, Site

    from dangjian.publicity.models import ArticlePage, ColumnPage, PublicityDocument
    from dangjian.supervision.models import Bulletin, Letter

    watched = set(pagecache.watched_models())
    assert {ArticlePage, ColumnPage, NoticePage, PublicityDocument, Bulletin, Site, PageViewRestriction} <= watched
    assert not {Channel, Letter, get_user_model()} & watched
    bumps = []
    monkeypatch.setattr(pagecache, "bump", lambda **kw: bumps.append(kw))
    make_user("clerk")
    channel = Channel.objects.create(code="voice", name="民声通道", unit=site["tree"]["d1"])
    channel.save()
    assert bumps == []
    article.title = "会昌县召开基层党建工作推进会（更正）"
    article.save()
    assert len(bumps) == 1
    article.delete()
    assert len(bumps) > 1  # the page, its parent-table row, its unpublishing: each ends them (harmless)
