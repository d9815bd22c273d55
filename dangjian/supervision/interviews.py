"""在线访谈 actions: schedule a session, the public asks, moderators approve, guests answer, the transcript is archived.

Same rules as the letters: one atomic function per act, audit record, office role checked through the scope.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit
from dangjian.core.models import Unit, User
from dangjian.core.permissions import scope_for
from dangjian.supervision.access import OFFICE_KINDS
from dangjian.supervision.actions import _text
from dangjian.supervision.models import Interview, InterviewState, Question, QuestionState

QUESTION_MAX = 1000


def _require_moderator(actor: User, interview: Interview) -> None:
    if not scope_for(actor).covers(interview.unit, OFFICE_KINDS):
        raise PermissionDenied(_("Only the supervision office may moderate this interview."))


@transaction.atomic
def schedule_interview(
    *, actor: User, unit: Unit, title: str, topic: str, guests: str, starts_at: datetime, ends_at: datetime
) -> Interview:
    if not scope_for(actor).covers(unit, OFFICE_KINDS):
        raise PermissionDenied(_("Only the supervision office may schedule an interview."))
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("The interview must end after it starts.")})
    interview = Interview.objects.create(
        unit=unit,
        title=_text(title, "title", _("The title"), 200),
        topic=_text(topic, "topic", _("The topic"), 5000),
        guests=_text(guests, "guests", _("The guests"), 300),
        starts_at=starts_at,
        ends_at=ends_at,
    )
    audit.record(actor=actor, verb="interview.schedule", obj=interview, unit=unit)
    return interview


@transaction.atomic
def ask_question(*, interview: Interview, body: str, asker: str = "") -> Question:
    """Anyone may ask before or during the session; the question waits for a moderator."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if interview.state == InterviewState.ARCHIVED:
        raise ValidationError(_("This interview has ended; questions are closed."))
    question = Question.objects.create(
        interview=interview,
        body=_text(body, "body", _("The question"), QUESTION_MAX),
        asker=(asker or "").strip()[:50],
    )
    audit.record(actor=None, verb="interview.ask", obj=question, unit=interview.unit)
    return question


@transaction.atomic
def moderate_question(*, actor: User, question: Question, approve: bool) -> Question:
    question = Question.objects.select_for_update().select_related("interview__unit").get(pk=question.pk)
    _require_moderator(actor, question.interview)
    if question.state != QuestionState.PENDING:
        raise ValidationError(_("This question has already been moderated."))
    question.state = QuestionState.APPROVED if approve else QuestionState.REJECTED
    question.save(update_fields=["state"])
    audit.record(actor=actor, verb="interview.moderate", obj=question, unit=question.interview.unit,
                 after={"state": question.state})  # fmt: skip
    return question


@transaction.atomic
def answer_question(*, actor: User, question: Question, answer: str, guest: str) -> Question:
    """The moderator types the guest's answer (the guest speaks; the office records it under the guest's name)."""
    question = Question.objects.select_for_update().select_related("interview__unit").get(pk=question.pk)
    _require_moderator(actor, question.interview)
    if question.state != QuestionState.APPROVED:
        raise ValidationError(_("Only an approved question can be answered."))
    if question.interview.state == InterviewState.ARCHIVED:
        raise ValidationError(_("This interview has been archived."))
    question.answer = _text(answer, "answer", _("The answer"), 5000)
    question.answered_by = _text(guest, "guest", _("The guest"), 100)
    question.answered_at = timezone.now()
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    Interview.objects.filter(pk=question.interview_id, state=InterviewState.SCHEDULED).update(state=InterviewState.LIVE)
    audit.record(actor=actor, verb="interview.answer", obj=question, unit=question.interview.unit)
    return question


@transaction.atomic
def archive_interview(*, actor: User, interview: Interview) -> Interview:
    """End the session: questions close, pending ones are dropped from view, the transcript stays as it is."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    _require_moderator(actor, interview)
    if interview.state == InterviewState.ARCHIVED:
        raise ValidationError(_("This interview is already archived."))
    interview.state = InterviewState.ARCHIVED
    interview.archived_at = timezone.now()
    interview.save(update_fields=["state", "archived_at"])
    dropped = interview.questions.filter(state=QuestionState.PENDING).update(state=QuestionState.REJECTED)
    audit.record(actor=actor, verb="interview.archive", obj=interview, unit=interview.unit, after={"dropped": dropped})
    return interview


def transcript(interview: Interview):
    """The public record: approved questions with their answers, in order."""
    return interview.questions.filter(state=QuestionState.APPROVED).order_by("created_at", "pk")
