"""In a real browser, an online interview from question to archived transcript: the office schedules it (the form's
error summary first), the public asks, a moderator approves on the workbench, the guest's answer is posted, the
public page shows it without a reload (htmx polls every 5 s), the office archives, the transcript stays; the
public page also in 关怀版."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from dangjian.core.models import RoleKind
from dangjian.supervision.models import Interview, InterviewState, QuestionState
from tests.browser.a11y import assert_no_axe_violations, screenshot
from tests.supervision.test_browser import PASSWORD, log_in

pytestmark = pytest.mark.browser
#: One htmx poll is 5 s; give the answer two polls and some slack on a busy machine.
POLL_WAIT_MS = 15_000


def test_an_interview_from_question_to_archived_transcript(page, server, artifacts, tree, make_user):
    cache.clear()
    office = make_user("office", (RoleKind.SUPERVISION_OFFICE, tree["county"]), password=PASSWORD)
    start = timezone.localtime(timezone.now() + timedelta(hours=1))

    log_in(page, server, office)
    page.goto(f"{server}/work/supervision/interviews/")
    page.get_by_role("link", name="安排访谈").click()
    assert page.get_by_role("heading", level=1).inner_text() == "安排访谈"
    page.get_by_label("标题").fill("优化营商环境在线访谈")
    page.get_by_label("开始时间").fill(start.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("结束时间").fill((start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="安排", exact=True).click()
    summary = page.locator(".sv-error-summary")
    assert "访谈结束时间须晚于开始时间" in summary.inner_text() and "此项为必填项" in summary.inner_text()
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.classList.contains('sv-error-summary')")
    assert not Interview.objects.exists()
    assert_no_axe_violations(page, "the scheduling form with errors")
    page.get_by_label("主题").fill("听取企业和群众对营商环境的意见建议")
    page.get_by_label("嘉宾").fill("县发改委主任 张三")
    page.get_by_label("主办单位").select_option(label="会昌县")
    page.get_by_label("结束时间").fill((start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="安排", exact=True).click()
    assert "访谈已安排" in page.get_by_role("status").inner_text()
    session = Interview.objects.get()
    moderation = page.url

    office_cookies = page.context.cookies()
    page.context.clear_cookies()  # the public is not logged in
    public = page.context.new_page()
    public.goto(f"{server}/supervision/interviews/")
    public.get_by_role("link", name="优化营商环境在线访谈").click()
    public.get_by_label("您的问题").fill("企业开办能否实现一网通办？")
    public.get_by_role("button", name="提交问题").click()
    assert "审核" in public.get_by_role("status").inner_text()
    transcript = public.locator("#transcript")
    assert "一网通办" not in transcript.inner_text()  # not before a moderator approves it
    assert_no_axe_violations(public, "the public interview page")
    loads = []
    public.on("load", lambda: loads.append(public.url))

    # The office's session back (a second sign-in within the same 30 s would reuse the spent one-time code).
    page.context.add_cookies(office_cookies)
    page.goto(moderation)
    assert_no_axe_violations(page, "the moderation page")
    page.get_by_role("button", name="通过", exact=True).click()
    transcript.get_by_text("企业开办能否实现一网通办").wait_for(timeout=POLL_WAIT_MS)
    assert "等待嘉宾答复" in transcript.inner_text()

    page.get_by_label("嘉宾").fill("县发改委主任 张三")
    page.get_by_label("答复").fill("已经实现，企业开办全流程一个工作日办结。")
    page.get_by_role("button", name="发布答复").click()
    transcript.get_by_text("全流程一个工作日办结").wait_for(timeout=POLL_WAIT_MS)
    assert "县发改委主任 张三" in transcript.inner_text()
    assert loads == []  # the answer came by polling, not by reloading the page
    session.refresh_from_db()
    assert session.state == InterviewState.LIVE
    screenshot(public, artifacts / "supervision-interview-live.png")

    page.get_by_role("button", name="结束并归档实录").click()
    session.refresh_from_db()
    assert session.state == InterviewState.ARCHIVED
    assert session.questions.get().state == QuestionState.APPROVED

    public.goto(public.url)  # a fresh GET (reloading would send the question form again)
    assert public.get_by_role("heading", level=2).first.inner_text() == "访谈实录"
    assert "全流程一个工作日办结" in public.locator("#transcript").inner_text()
    assert public.locator("[hx-trigger]").count() == 0 and public.get_by_label("您的问题").count() == 0
    assert_no_axe_violations(public, "the archived transcript")
    public.get_by_role("button", name="关怀版（大字）").click()
    assert "care" in (public.locator("body").get_attribute("class") or "")
    assert "全流程一个工作日办结" in public.locator("#transcript").inner_text()
    assert_no_axe_violations(public, "the archived transcript in 关怀版")
    screenshot(public, artifacts / "supervision-interview-archived-care.png")
