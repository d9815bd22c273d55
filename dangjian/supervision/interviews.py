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
from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.permissions import scope_for
from dangjian.supervision.access import OFFICE_KINDS
from dangjian.supervision.actions import _text
from dangjian.supervision.models import Interview, InterviewState, Question, QuestionState

QUESTION_MAX = 1000
#: The years a session may fall in: anything else is a typing mistake (and year 1 would not convert to UTC).
YEARS = (2000, 2099)
#: The units that organise a session: the county, a township or a county department.
ORGANISER_KINDS = (UnitKind.COUNTY, UnitKind.TOWNSHIP, UnitKind.DEPARTMENT)


def _require_moderator(actor: User, interview: Interview) -> None:
    if not scope_for(actor).covers(interview.unit, OFFICE_KINDS):
        raise PermissionDenied(_("Only the supervision office may moderate this interview."))


def times_problems(starts_at: datetime, ends_at: datetime) -> dict[str, str]:
    """What is wrong with a session's times, per field (the form asks too, so that every message shows at once)."""
    problems = {}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not YEARS[0] <= value.year <= YEARS[1]:
            problems[name] = _("Choose a date between %(first)d and %(last)d.") % {"first": YEARS[0], "last": YEARS[1]}
    if not problems and ends_at <= starts_at:
        problems["ends_at"] = _("The interview must end after it starts.")
    return problems


def _session_fields(
    actor: User, *, unit: Unit, title: str, topic: str, guests: str, starts_at: datetime, ends_at: datetime
) -> dict:
    """The checked fields of a session, with every field's message at once; the unit must be one the actor's office
    role covers."""
    if not scope_for(actor).covers(unit, OFFICE_KINDS):
        raise PermissionDenied(_("Only the supervision office may schedule an interview."))
    errors: dict[str, list[str]] = {}
    if unit.kind not in ORGANISER_KINDS or not unit.is_active:
        errors["unit"] = [_("Choose the county, a township or a county department as the organising unit.")]
    fields: dict = {"unit": unit, "starts_at": starts_at, "ends_at": ends_at}
    for name, value, label, maximum in (
        ("title", title, _("The title"), 200),
        ("topic", topic, _("The topic"), 5000),
        ("guests", guests, _("The guests"), 300),
    ):
        try:
            fields[name] = _text(value, name, label, maximum)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    for name, message in times_problems(starts_at, ends_at).items():
        errors[name] = [message]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def schedule_interview(
    *, actor: User, unit: Unit, title: str, topic: str, guests: str, starts_at: datetime, ends_at: datetime
) -> Interview:
    fields = _session_fields(
        actor, unit=unit, title=title, topic=topic, guests=guests, starts_at=starts_at, ends_at=ends_at
    )
    interview = Interview.objects.create(**fields)
    audit.record(actor=actor, verb="interview.schedule", obj=interview, unit=unit)
    return interview


@transaction.atomic
def update_interview(
    *,
    actor: User,
    interview: Interview,
    unit: Unit,
    title: str,
    topic: str,
    guests: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Interview:
    """Change a session before it starts (a started, archived or cancelled one keeps what the public saw)."""
    interview = Interview.objects.select_for_update().select_related("unit").get(pk=interview.pk)
    _require_moderator(actor, interview)
    if not interview.can_edit():
        raise ValidationError(_("Only a scheduled interview that has not started yet can be changed."))
    fields = _session_fields(
        actor, unit=unit, title=title, topic=topic, guests=guests, starts_at=starts_at, ends_at=ends_at
    )
    before = {name: str(getattr(interview, name)) for name in ("unit_id", "title", "guests", "starts_at", "ends_at")}
    for name, value in fields.items():
        setattr(interview, name, value)
    interview.save(update_fields=list(fields))
    after = {name: str(getattr(interview, name)) for name in before}
    audit.record(actor=actor, verb="interview.update", obj=interview, unit=unit, before=before, after=after)
    return interview


@transaction.atomic
def cancel_interview(*, actor: User, interview: Interview) -> Interview:
    """Call off a session that has not started; its page says so and takes no more questions."""
    interview = Interview.objects.select_for_update().select_related("unit").get(pk=interview.pk)
    _require_moderator(actor, interview)
    if not interview.can_edit():
        raise ValidationError(_("Only a scheduled interview that has not started yet can be cancelled."))
    interview.state = InterviewState.CANCELLED
    interview.save(update_fields=["state"])
    dropped = interview.questions.filter(state=QuestionState.PENDING).update(state=QuestionState.REJECTED)
    audit.record(actor=actor, verb="interview.cancel", obj=interview, unit=interview.unit, after={"dropped": dropped})
    return interview


@transaction.atomic
def ask_question(*, interview: Interview, body: str, asker: str = "") -> Question:
    """Anyone may ask before or during the session; the question waits for a moderator."""
    interview = Interview.objects.select_for_update().get(pk=interview.pk)
    if not interview.is_open:
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
    if not question.interview.is_open:
        raise ValidationError(_("This interview has ended; questions are closed."))
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
    if not question.interview.is_open:
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
    if interview.state == InterviewState.CANCELLED:
        raise ValidationError(_("This interview was cancelled."))
    interview.state = InterviewState.ARCHIVED
    interview.archived_at = timezone.now()
    interview.save(update_fields=["state", "archived_at"])
    dropped = interview.questions.filter(state=QuestionState.PENDING).update(state=QuestionState.REJECTED)
    audit.record(actor=actor, verb="interview.archive", obj=interview, unit=interview.unit, after={"dropped": dropped})
    return interview


def organiser_units(actor: User):
    """The units the actor may choose as a session's organiser: those their office role covers."""
    units = Unit.objects.filter(kind__in=ORGANISER_KINDS, is_active=True).order_by("path")
    return scope_for(actor).filter(units, "", OFFICE_KINDS)


def transcript(interview: Interview):
    """The public record: approved questions with their answers, in order."""
    return interview.questions.filter(state=QuestionState.APPROVED).order_by("created_at", "pk")
