"""在线访谈: from a public question through moderation and the guest's answer to the archived transcript."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dangjian.supervision import interviews
from dangjian.supervision.models import InterviewState, Question, QuestionState


@pytest.fixture
def session(people, tree):
    cache.clear()
    start = timezone.now() + timedelta(hours=1)
    return interviews.schedule_interview(
        actor=people["office"], unit=tree["county"], title="优化营商环境", topic="听取意见",
        guests="县发改委主任", starts_at=start, ends_at=start + timedelta(hours=2),
    )  # fmt: skip


def test_only_the_office_schedules(people, tree):
    now = timezone.now()
    with pytest.raises(PermissionDenied):
        interviews.schedule_interview(actor=people["responder"], unit=tree["county"], title="t", topic="t",
                                      guests="g", starts_at=now, ends_at=now + timedelta(hours=1))  # fmt: skip


def test_a_question_appears_only_after_approval_and_with_the_guests_answer(client, session, people):
    page = client.post(
        reverse("supervision:interview", args=[session.pk]), {"body": "何时开通网上办理？", "asker": "老张"}
    )
    assert page.status_code == 200 and page.context["asked"]
    fragment = reverse("supervision:interview_transcript", args=[session.pk])
    assert "何时开通网上办理" not in client.get(fragment).content.decode()
    question = Question.objects.get()
    with pytest.raises(PermissionDenied):
        interviews.moderate_question(actor=people["responder"], question=question, approve=True)
    interviews.moderate_question(actor=people["office"], question=question, approve=True)
    assert "何时开通网上办理" in client.get(fragment).content.decode()
    interviews.answer_question(actor=people["office"], question=question, answer="下月开通。", guest="县发改委主任")
    html = client.get(fragment).content.decode()
    assert "下月开通" in html and "县发改委主任" in html
    session.refresh_from_db()
    assert session.state == InterviewState.LIVE


def test_the_live_page_polls_for_new_answers(client, session):
    html = client.get(reverse("supervision:interview", args=[session.pk])).content.decode()
    assert 'hx-trigger="every 5s"' in html and "htmx-2.min.js" in html


def test_a_rejected_question_never_shows(client, session, people):
    q = interviews.ask_question(interview=session, body="广告内容")
    interviews.moderate_question(actor=people["office"], question=q, approve=False)
    assert "广告内容" not in client.get(reverse("supervision:interview", args=[session.pk])).content.decode()
    with pytest.raises(ValidationError):
        interviews.answer_question(actor=people["office"], question=q, answer="x", guest="y")


def test_an_empty_question_gets_a_clear_error_and_stores_nothing(client, session):
    page = client.post(reverse("supervision:interview", args=[session.pk]), {"body": "  "})
    assert page.status_code == 400 and not Question.objects.exists()


def test_archiving_closes_questions_and_keeps_the_transcript(client, session, people):
    q = interviews.ask_question(interview=session, body="问题一")
    interviews.moderate_question(actor=people["office"], question=q, approve=True)
    interviews.answer_question(actor=people["office"], question=q, answer="回答一", guest="主任")
    pending = interviews.ask_question(interview=session, body="来不及审核的问题")
    interviews.archive_interview(actor=people["office"], interview=session)
    with pytest.raises(ValidationError):
        interviews.ask_question(interview=session, body="再问一个")
    pending.refresh_from_db()
    assert pending.state == QuestionState.REJECTED
    html = client.get(reverse("supervision:interview", args=[session.pk])).content.decode()
    assert "回答一" in html and "hx-trigger" not in html and 'name="body"' not in html


def test_the_moderation_page_on_the_workbench(client, login, session, people):
    q = interviews.ask_question(interview=session, body="问题二")
    c = login(people["office"])
    assert c.get(reverse("supervision_work:interview", args=[session.pk])).status_code == 200
    c.post(reverse("supervision_work:moderate", args=[session.pk, q.pk]), {"approve": "1"})
    c.post(reverse("supervision_work:answer", args=[session.pk, q.pk]), {"guest": "主任", "answer": "好的"})
    q.refresh_from_db()
    assert q.state == QuestionState.APPROVED and q.answer == "好的"
    c = login(people["responder"])
    assert c.get(reverse("supervision_work:interview", args=[session.pk])).status_code == 404


def test_each_moderation_button_is_described_by_its_question(login, session, people):
    """Two pending questions give four buttons named 通过 / 不通过: a screen reader must hear which question each one
    is for (WCAG 2.1 SC 2.4.6 and 4.1.2), so each is described by its question's text."""
    import re

    first = interviews.ask_question(interview=session, body="村里的路什么时候修？")
    second = interviews.ask_question(interview=session, body="低保怎么申请？")
    html = login(people["office"]).get(reverse("supervision_work:interview", args=[session.pk])).content.decode()
    described = re.findall(r'<button type="submit" name="approve" value="[01]" aria-describedby="([^"]+)"', html)
    assert len(described) == 4
    texts = {ident: re.search(rf'id="{ident}">([^<]+)<', html).group(1) for ident in set(described)}
    assert sorted(texts.values()) == sorted([first.body, second.body])
