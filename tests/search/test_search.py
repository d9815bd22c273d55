"""The one search box: jieba-segmented Chinese search on SQLite FTS5 and PostgreSQL, filtered by what the visitor
may see, with highlighted snippets and filters by kind and date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from freezegun import freeze_time

from dangjian.core.models import RoleKind
from dangjian.publicity.models import Classification, KnowledgeEntryPage
from dangjian.search.queries import highlight, search
from dangjian.search.text import query_words, segment_for_index
from tests.search.conftest import add_page

ANON = AnonymousUser()

#: A small relevance set: pages written for the test, and queries with the pages they must find.
CORPUS = {
    "lianzheng": ("会昌县召开党风廉政建设工作会议", "县纪委书记部署今年党风廉政建设和反腐败工作。"),
    "dangjian": ("文武坝镇抓实基层党建", "镇党委推行三会一课台账，基层党建工作有新气象。"),
    "huichang": ("会昌脐橙丰收", "会昌县脐橙种植面积扩大，果农增收。"),
    "cunguan": ("大学生村干部座谈会召开", "全县大学生村干部交流在村工作体会。"),
    "ganbu": ("干部任免公示", "经县委常委会研究，拟任命张明同志为筠门岭镇党委书记。"),
    "rencai": ("人才工作会议", "引进人才2026年计划招聘教师120名。"),
    "zhuti": ("主题党日活动", "上坑村党支部开展主题党日，学习党章。"),
    "xiangcun": ("乡村振兴示范点建设", "推进乡村振兴，建设美丽乡村。"),
    "huanglong": ("脐橙黄龙病防治讲座", "农技站讲解果园管护。"),
}
QUERIES = {
    "党风廉政": {"lianzheng"},
    "党建": {"dangjian"},
    "会昌": {"lianzheng", "huichang"},
    "大学生村干部": {"cunguan"},
    "黨風廉政": {"lianzheng"},  # traditional characters, as some users type them
    "人才 2026": {"rencai"},  # mixed Chinese and numbers
    "主题党日": {"zhuti"},
    "乡村振兴": {"xiangcun"},
    "筠门岭镇": {"ganbu"},
    "三会一课": {"dangjian"},
    "黄龙病": {"huanglong"},  # the query cuts as 黄龙 + 病, the title as 黄龙 + 病防治
}


@pytest.fixture
def corpus(site):
    return {key: add_page(site["news"], title=t, body=f"<p>{b}</p>") for key, (t, b) in CORPUS.items()}


def test_searching_a_chinese_word_finds_the_page_that_contains_it(corpus):
    hits = search(ANON, "党风廉政")
    assert [h.obj.pk for h in hits] == [corpus["lianzheng"].pk]


def test_the_relevance_set_is_found_with_full_precision_and_recall(corpus):
    pk_of = {page.pk: key for key, page in corpus.items()}
    found = relevant = correct = 0
    for query, expected in QUERIES.items():
        got = {pk_of[h.obj.pk] for h in search(ANON, query)}
        found, relevant, correct = found + len(got), relevant + len(expected), correct + len(got & expected)
    precision, recall = correct / found, correct / relevant
    assert (precision, recall) == (1.0, 1.0), (precision, recall)


def test_a_two_character_word_inside_a_longer_word_is_found():
    # jieba's search mode indexes the words inside a long word too, so 党建 is found inside 基层党建.
    assert {"基层", "党建", "基层党建"} <= set(segment_for_index("抓实基层党建").split())
    assert query_words("黨建") == ("党建",)
    assert query_words("ＡＢＣ１２３ 党建") == ("abc123", "党建")


def test_every_word_of_a_query_is_in_the_index_of_a_text_that_contains_the_query():
    # A precise-mode query can leave a single character that the text's segmentation holds inside a longer word.
    title = "脐橙黄龙病防治讲座"
    for query in ("黄龙病", "龙病", "病防治", "防治讲座", "脐橙"):
        assert query in title
        assert set(query_words(query)) <= set(segment_for_index(title).split()), query


def test_search_shows_only_what_the_visitor_may_see(site, make_user):
    tree = site["tree"]
    public = add_page(site["news"], title="党风廉政公开通报", body="<p>党风廉政</p>")
    internal = add_page(
        site["news"],
        title="党风廉政内部情况",
        body="<p>党风廉政</p>",
        classification=Classification.INTERNAL,
        unit=tree["t1"],
    )
    draft = add_page(site["news"], title="党风廉政草稿", body="<p>党风廉政</p>", publish=False)
    member = make_user("m", (RoleKind.MEMBER, tree["v1"]))
    outsider = make_user("o", (RoleKind.MEMBER, tree["v2"]))
    assert {h.obj.pk for h in search(ANON, "党风廉政")} == {public.pk}
    assert {h.obj.pk for h in search(outsider, "党风廉政")} == {public.pk}
    assert {h.obj.pk for h in search(member, "党风廉政")} == {public.pk, internal.pk}
    assert draft.pk not in {h.obj.pk for h in search(member, "党风廉政")}


def test_a_page_with_the_query_in_its_title_and_more_often_in_its_text_comes_first(site):
    passing = add_page(site["news"], title="全县工作简报", body="<p>会上也提到脐橙产业发展，另有多项议题。</p>")
    about = add_page(site["news"], title="脐橙产业发展大会", body="<p>脐橙产业是会昌的支柱，脐橙种植面积持续扩大。</p>")
    hits = search(ANON, "脐橙")
    assert [h.obj.pk for h in hits] == [about.pk, passing.pk]
    assert hits[0].score > hits[1].score


def test_a_query_matching_more_than_the_pool_is_ranked_among_its_newest_visible_matches(site, monkeypatch):
    from dangjian.search import backends

    monkeypatch.setattr(backends, "POOL", 3)
    older = [add_page(site["news"], title=f"党建简报第{n}期", body="<p>党建</p>") for n in range(3)]
    newer = [add_page(site["news"], title=f"党建动态第{n}期", body="<p>党建</p>") for n in range(3)]
    internal = {"classification": Classification.INTERNAL, "unit": site["tree"]["t1"]}
    hidden = add_page(site["news"], title="党建内部通报", body="<p>党建</p>", **internal)
    found = {h.obj.pk for h in search(ANON, "党建")}
    # The three newest the visitor may see: a newer page they may not see takes no place of theirs.
    assert found == {page.pk for page in newer}
    assert hidden.pk not in found and not found & {page.pk for page in older}
    monkeypatch.setattr(backends, "POOL", 1000)
    assert {h.obj.pk for h in search(ANON, "党建")} == {page.pk for page in older + newer}


def test_an_unpublished_page_leaves_the_results(site):
    page = add_page(site["news"], title="党风廉政专题", body="<p>内容</p>")
    assert search(ANON, "党风廉政")
    page.unpublish()
    assert search(ANON, "党风廉政") == []


def test_results_filter_by_kind_and_date(site):
    article = add_page(site["news"], title="乡村振兴文章", body="<p>乡村振兴</p>")
    entry = add_page(site["news"], KnowledgeEntryPage, title="乡村振兴知识", body="<p>乡村振兴</p>")
    assert {h.obj.pk for h in search(ANON, "乡村振兴", kind="publicity.page")} == {article.pk, entry.pk}
    assert search(ANON, "乡村振兴", kind="education.resource") == []
    today = timezone.localdate()
    assert len(search(ANON, "乡村振兴", since=today, until=today)) == 2
    assert search(ANON, "乡村振兴", since=today + timedelta(days=1)) == []


def test_the_snippet_highlights_the_query_words_and_escapes_the_text():
    snippet = highlight("会昌县<b>召开</b>党风廉政建设工作会议", ("党风廉政",))
    assert "<mark>党风廉政</mark>" in snippet
    assert "&lt;b&gt;" in snippet and "<b>" not in snippet
    assert "<mark>黨風廉政</mark>" in highlight("黨風廉政建設", ("党风廉政",))


def test_the_search_page_shows_highlighted_results_and_refuses_a_bad_date_range(client, corpus):
    response = client.get("/search/", {"q": "党风廉政"})
    assert response.status_code == 200
    html = response.content.decode()
    assert corpus["lianzheng"].url in html and "<mark>党风廉政</mark>" in html
    bad = client.get("/search/", {"q": "党建", "since": "2026-02-01", "until": "2026-01-01"})
    assert bad.status_code == 400
    assert "search-results" not in bad.content.decode()
    assert client.get("/search/", {"q": "党建", "since": "not a date"}).status_code == 400
    assert client.get("/search/", {"q": "", "kind": "nonsense"}).status_code == 400


def test_the_date_filter_uses_the_county_day_not_the_utc_day(site):
    """00:30 on 1 July in Huichang is still 30 June in UTC; the page belongs to 1 July."""
    with freeze_time(datetime(2026, 7, 1, 0, 30, tzinfo=ZoneInfo("Asia/Shanghai"))):
        add_page(site["news"], title="乡村振兴七一", body="<p>乡村振兴七一</p>")
    july_first = date(2026, 7, 1)
    assert len(search(ANON, "乡村振兴七一", since=july_first, until=july_first)) == 1
    assert search(ANON, "乡村振兴七一", until=date(2026, 6, 30)) == []
