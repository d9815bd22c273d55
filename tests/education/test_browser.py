"""The main flow in a real browser: a member finds a lecture by searching in Chinese, listens to it (range requests),
the learning record counts the time and the member requests it for the Sunday class; the station manager builds next
Sunday's programme from that request, publishes it, downloads the offline package, uploads the report, and the
month's report card shows the class."""

from __future__ import annotations

import json
import time
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from dangjian.core.models import RoleKind
from dangjian.education import actions, samples
from dangjian.education.models import (
    Attempt,
    ClassReport,
    Kind,
    Programme,
    ProgrammeState,
    QuestionKind,
    QuizKind,
    StudyRecord,
)
from tests.browser.a11y import assert_no_axe_violations
from tests.core.otp import code_for

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-battery"


def _log_in(page, server, username, device=None):
    page.goto(f"{server}/accounts/login/?next=/education/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="继续").click()
    if device is not None:
        page.wait_for_url("**/accounts/otp/**")
        page.get_by_label("验证码").fill(code_for(device))
        page.get_by_role("main").get_by_role("button", name="验证").click()
    page.wait_for_url(f"{server}/education/")


def test_member_studies_and_requests_manager_plans_and_reports(
    page,
    server,
    tree,
    make_user,
    add,
    settings,
):
    settings.DANGJIAN_EDUCATION_BEAT_SECONDS = 2
    member = make_user("villager", (RoleKind.MEMBER, tree["v1"]), password=PASSWORD)
    manager = make_user("manager", (RoleKind.STATION_MANAGER, tree["s1"]), password=PASSWORD)
    station = actions.ensure_station(actor=None, unit=tree["s1"], manager=manager)
    station.members.add(member)
    lecture = add("脐橙黄龙病防治讲座", samples.wav(30.0), kind=Kind.AUDIO)

    _log_in(page, server, "villager")
    page.get_by_label("搜索资源库").fill("黄龙病")
    page.get_by_label("搜索资源库").press("Enter")
    page.get_by_role("link", name=lecture.title).click()
    range_status = page.evaluate(
        "async (u) => (await fetch(u, {headers: {Range: 'bytes=0-99'}})).status", f"/education/r/{lecture.pk}/file"
    )
    assert range_status == 206
    player = page.locator("audio.edu-player")
    player.click()
    page.evaluate("document.querySelector('audio.edu-player').play()")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not StudyRecord.objects.filter(user=member, seconds__gt=0).exists():
        page.wait_for_timeout(500)  # not time.sleep: that stops Playwright's dispatcher while the page plays
    assert StudyRecord.objects.get(user=member).seconds > 0
    page.evaluate("document.querySelector('audio.edu-player').pause()")
    assert_no_axe_violations(page, "the lecture page")

    page.get_by_role("link", name="点播到星期日课堂").click()
    page.get_by_label("站点", exact=True).select_option(str(station.pk))
    page.get_by_role("button", name="提交点播").click()
    assert page.locator(".messages").inner_text().startswith("已收到您的点播")

    page.goto(f"{server}/education/me/")
    assert "我的学习档案" in page.get_by_role("heading", level=1).inner_text()
    page.context.clear_cookies()

    _log_in(page, server, "manager", TOTPDevice.objects.create(user=manager, name="phone", confirmed=True))
    page.goto(f"{server}/work/education/")
    page.get_by_role("link", name=station.name).click()
    page.get_by_role("button", name="生成").click()
    page.wait_for_url("**/work/education/programmes/**")
    assert lecture.title in page.get_by_role("table").inner_text()
    assert_no_axe_violations(page, "the programme")
    page.get_by_role("button", name="发布节目预报").click()
    assert "节目预报已发布" in page.locator(".messages").inner_text()
    programme = Programme.objects.get(station=station)
    assert programme.state == ProgrammeState.PUBLISHED
    with page.expect_download() as download:
        page.get_by_role("link", name="离线包（zip）").click()
    with zipfile.ZipFile(download.value.path()) as z:
        report = json.loads(z.read("report.json"))
    # The class is held; the manager fills the report in offline and uploads it back.
    today = timezone.localdate()
    held = today - timedelta(days=(today.weekday() + 1) % 7)
    report.update(held_on=held.isoformat(), attendance=23, discussion="大家讨论了黄龙病的防治。")
    page.goto(f"{server}/work/education/stations/{station.pk}/report/")
    page.get_by_label("报告文件（离线包中的 report.json）").set_input_files(
        {"name": "report.json", "mimeType": "application/json", "buffer": json.dumps(report).encode()}
    )
    page.get_by_role("button", name="上传报告").click()
    page.wait_for_url(f"**/work/education/stations/{station.pk}/")
    assert ClassReport.objects.get(station=station).attendance == 23

    page.goto(f"{server}/work/education/report-card/?month={held:%Y-%m}")
    row = page.get_by_role("row", name=station.name)
    assert "23" in row.inner_text()
    assert_no_axe_violations(page, "the report card")


def test_member_takes_the_daily_quiz_with_an_error_summary_and_sees_the_answers(page, server, tree, make_user, editor):
    """The daily quiz in a real browser, in the standard and the care (large text) version: a missing answer is
    named in the error summary (focused, linked to its question), the submission shows the score, the right answers
    and the explanations; no accessibility violation on either page."""
    member = make_user("villager", (RoleKind.MEMBER, tree["v1"]), password=PASSWORD)
    bank = actions.create_bank(actor=editor, name="党章知识", unit=tree["county"])
    for i in range(3):
        actions.add_question(actor=editor, bank=bank, kind=QuestionKind.SINGLE, text=f"第{i + 1}问：根本组织原则？",
                             options=[("民主集中制", True), ("集体领导", False)], explanation="党章总纲。")  # fmt: skip
    actions.create_quiz(actor=editor, kind=QuizKind.DAILY, title="每日答题", unit=tree["county"], banks=[bank],
                        question_count=3, opens_at=timezone.now() - timedelta(days=1))  # fmt: skip

    _log_in(page, server, "villager")
    page.get_by_role("link", name="答题与测试").first.click()
    page.get_by_role("link", name="每日答题").click()
    page.get_by_role("button", name="开始今日答题").click()
    page.wait_for_url("**/education/quizzes/attempts/**")
    questions = page.get_by_role("group")
    assert questions.count() == 3
    for i in range(2):
        questions.nth(i).get_by_label("A. 民主集中制").check()
    page.get_by_role("button", name="提交答案").click()
    summary = page.locator(".edu-error-summary")
    assert "请为第3题选择答案" in summary.inner_text()
    expect(summary).to_be_focused()  # by the deferred script: waited for, not read at once
    assert_no_axe_violations(page, "the quiz with an error")

    page.get_by_role("button", name="关怀版（大字）").click()
    assert "care" in (page.locator("body").get_attribute("class") or "")
    for i in range(3):  # the switch reloads the page: the answers are chosen again
        page.get_by_role("group").nth(i).get_by_label("A. 民主集中制").check()
    page.get_by_role("button", name="提交答案").click()
    assert "得分 100" in page.locator(".lead").inner_text()
    assert "党章总纲" in page.get_by_role("main").inner_text()
    assert_no_axe_violations(page, "the quiz result in the care version")
    assert Attempt.objects.get(user=member).score == 100
