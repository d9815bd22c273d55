"""The public site in a real browser: a visitor reads an article from its column, finds it by a Chinese search,
objects to a running 任前公示 (the objection reaches the supervision office), and sees the period close by itself."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from dangjian.publicity import actions, pagecache
from dangjian.publicity.models import NoticeKind, NoticePage
from dangjian.supervision.models import Channel, Letter
from tests.browser.a11y import assert_no_axe_violations
from tests.publicity.conftest import add_page

pytestmark = pytest.mark.browser


def test_a_visitor_reads_searches_and_objects_to_a_running_notice(page, server, site):
    Channel.objects.create(code="notice", name="公示异议", unit=site["tree"]["d1"], accepts_anonymous=True)
    article = add_page(
        site["news"], title="会昌县召开党风廉政建设工作会议", body="<p>会议部署党风廉政建设和反腐败工作。</p>"
    )
    notice = add_page(
        site["news"], NoticePage, title="县管干部任前公示", kind=NoticeKind.PRE_APPOINTMENT,
        period_start=timezone.localdate(), period_workdays=5, objection_contact="电话：0797-5621234",
    )  # fmt: skip

    page.goto(f"{server}/publicity/")
    assert page.get_by_role("heading", level=1).inner_text() == "会昌党务公开网"
    assert_no_axe_violations(page, "the public site's home")
    page.get_by_role("link", name="基层党建").first.click()
    page.get_by_role("link", name=article.title).click()
    assert page.get_by_role("heading", level=1).inner_text() == article.title
    assert_no_axe_violations(page, "an article")

    page.locator("#site-search").fill("党风廉政")
    page.locator("form.search button").click()
    result = page.locator(".search-results li").first
    assert result.get_by_role("link").inner_text() == article.title
    assert "党风廉政" in result.locator("mark").first.inner_text()
    assert_no_axe_violations(page, "the search results")

    page.goto(f"{server}{notice.url}")
    assert "0797-5621234" in page.locator(".objection").inner_text()
    page.locator("#id_title").fill("对拟任人选的意见")
    page.locator("#id_body").fill("反映该同志工作作风方面的情况。")
    page.locator("#id_anonymous").check()
    page.locator(".objection-form button[type=submit]").click()
    page.locator(".messages").wait_for()
    letter = Letter.objects.get()
    assert letter.channel.code == "notice" and letter.subject_ref == actions.objection_ref(notice)

    # The period moved into the past beneath Wagtail (as if its days had gone by): the page, rendered from what the
    # generation knows, is told of the change as the daily `close_notices` tells it of the rows it updates.
    NoticePage.objects.filter(pk=notice.pk).update(period_start=date(2026, 1, 5), period_end=date(2026, 1, 9))
    pagecache.bump()
    page.goto(f"{server}{notice.url}")
    assert page.locator(".notice-state.closed").is_visible()
    assert page.locator(".objection-form").count() == 0
    assert_no_axe_violations(page, "a closed notice")
