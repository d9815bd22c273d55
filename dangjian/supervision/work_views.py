"""Staff pages of the supervision supermarket (/work/supervision/): queues, one letter, and the acts on it.

Every read goes through queries (scoped by the permission layer); every change through an action.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from dangjian.core import calendar
from dangjian.core.paging import WindowPaginator
from dangjian.core.permissions import scope_for
from dangjian.services.securemail import session as key_session
from dangjian.supervision import actions, forms, interviews, queries, sealing
from dangjian.supervision.access import HEAD_KINDS, LEADER_KINDS, OFFICE_KINDS, READ_KINDS, RESPONDER_KINDS
from dangjian.supervision.models import Bulletin, Interview, Question, QuestionState, Result, Status

PAGE_SIZE = 25
QUEUE_LABELS = {
    "all": _("All"),
    "waiting": _("Waiting for me"),
    "signoff": _("Awaiting sign-off"),
    "due": _("Due soon"),
    "late": _("Late"),
    "closed": _("Answered"),
}


def _require_reader(request: HttpRequest):
    scope = scope_for(request.user)
    if not scope.has_kind(*READ_KINDS):
        raise PermissionDenied
    return scope


@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    name = request.GET.get("q", "all")
    if name not in queries.QUEUES:
        name = "all"
    letters = queries.queue(request.user, name).only(
        "pk", "title", "status", "received_at", "first_response_due", "result_due", "first_response_at",
        "answered_at", "channel__name", "unit__name",
    )  # fmt: skip
    page = WindowPaginator(letters, PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [(key, str(QUEUE_LABELS[key])) for key in queries.QUEUES]
    return render(request, "supervision/work/queue.html", {"page": page, "queue": name, "tabs": tabs})


def _letter(request: HttpRequest, pk: int):
    _require_reader(request)
    found = queries.staff_letter(request.user, pk)
    if found is None:
        raise Http404
    return found


def _open_sealed(request: HttpRequest, letter, what: str = "letter") -> tuple[sealing.Opened | None, str]:
    """A sealed letter opened with the officer's unlocked key, or None and why not ("locked", "no_key", "broken").

    Each opening is written to the audit chain (`letter.read_sealed`)."""
    if not letter.is_sealed:
        return None, ""
    unlocked = key_session.load(request)
    if unlocked is None:
        return None, "locked"
    try:
        opened = sealing.open_letter(letter, unlocked)
        sealing.record_reading(actor=request.user, letter=letter, what=what)
        return opened, ""
    except PermissionDenied:
        return None, "no_key"
    except ValidationError:
        return None, "broken"


def _letter_forms() -> dict:
    """The forms of the staff letter page, each with ids of its own (two of them are a TextForm)."""
    return {
        "dispatch": lambda data=None: forms.DispatchForm(data, auto_id="dispatch-%s"),
        "follow": lambda data=None: forms.TextForm(data, auto_id="follow-%s", label=_("Follow-up")),
        "result": lambda data=None: forms.TextForm(data, auto_id="result-%s", label=_("Handling result")),
        "transfer": lambda data=None: forms.TransferForm(data, auto_id="transfer-%s"),
        "extension": lambda data=None: forms.ExtensionForm(data, auto_id="extension-%s"),
        "redact": lambda data=None: forms.RedactForm(data, auto_id="redact-%s"),
        "unredact": lambda data=None: forms.UnredactForm(data, auto_id="unredact-%s"),
    }


@require_safe
def letter(request: HttpRequest, pk: int) -> HttpResponse:
    return _letter_page(request, _letter(request, pk))


def _letter_page(request: HttpRequest, found, *, bound: dict | None = None, status: int = 200) -> HttpResponse:
    """The staff letter page; `bound` holds a refused form, shown again with its answers and its error summary."""
    scope = scope_for(request.user)
    opened, sealed_problem = _open_sealed(request, found)
    attachments = [(a, opened.attachment_name(a) if opened else a.name) for a in found.attachments.all()]
    pending = [r for r in found.results.all() if r.signed_off_at is None]
    bound = bound or {}
    context = {
        "letter": found,
        "is_office": scope.covers(found.channel.unit, OFFICE_KINDS),
        "can_redact": actions.may_redact(request.user, found),
        "is_responder": found.status != Status.RECEIVED
        and any(scope.covers(u, RESPONDER_KINDS) for u in [found.unit, *found.co_units.all()]),
        "is_lead": found.status != Status.RECEIVED and scope.covers(found.unit, RESPONDER_KINDS),
        "pending_result": pending[0] if pending and scope.covers(pending[0].unit, HEAD_KINDS) else None,
        "forms": {name: bound.get(name) or make() for name, make in _letter_forms().items()},
        "refused": next(iter(bound.values()), None),
        "opened": opened,
        "sealed_problem": sealed_problem,
        "attachments": attachments,
        "unlock_url": f"{reverse('securemail:unlock')}?{urlencode({'next': request.get_full_path()})}",
    }
    return render(request, "supervision/work/letter.html", context, status=status)


def _act(request: HttpRequest, pk: int, name: str, act, done: str) -> HttpResponse:
    """One of the letter page's forms: done → back to the page with a message; refused → the page again (400) with
    the form's answers and an error summary linked to the fields."""
    found = _letter(request, pk)
    form = _letter_forms()[name](request.POST)
    if form.is_valid():
        try:
            act(found, form.cleaned_data)
        except ValidationError as exc:
            forms.add_action_errors(form, exc)
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _("You may not do this."))
            return redirect("supervision_work:letter", pk=found.pk)
        else:
            messages.success(request, done)
            return redirect("supervision_work:letter", pk=found.pk)
    found = _letter(request, pk)  # as it is now: the refused action changed nothing
    return _letter_page(request, found, bound={name: form}, status=400)


@require_POST
def dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "dispatch",
        lambda letter, d: actions.dispatch_letter(
            actor=request.user,
            letter=letter,
            unit=d["unit"],
            co_units=list(d["co_units"]),
            note=d["note"],
            unlocked=key_session.load(request),
        ),
        _("The letter was dispatched."),
    )


@require_POST
def follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "follow",
        lambda letter, d: actions.post_follow_up(actor=request.user, letter=letter, body=d["body"]),
        _("The follow-up was posted in your unit's name."),
    )


@require_POST
def result(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "result",
        lambda letter, d: actions.post_result(actor=request.user, letter=letter, body=d["body"]),
        _("The result waits for the unit head's sign-off."),
    )


@require_POST
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "transfer",
        lambda letter, d: actions.request_transfer(
            actor=request.user, letter=letter, reason=d["reason"], suggested_unit=d["suggested_unit"]
        ),
        _("The letter went back to the office with your request."),
    )


@require_POST
def extension(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "extension",
        lambda letter, d: actions.request_extension(
            actor=request.user, letter=letter, which=d["which"], workdays=d["workdays"], reason=d["reason"]
        ),
        _("Your request for more time went to the supervision office."),
    )


@require_POST
def redact(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "redact",
        lambda letter, d: actions.redact_letter(actor=request.user, letter=letter, phrases=d["phrases"]),
        _("The phrases are masked in the public view."),
    )


@require_POST
def unredact(request: HttpRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "unredact",
        lambda letter, d: actions.unredact_letter(actor=request.user, letter=letter, phrase=d["phrase"]),
        _("The phrase is no longer masked in the public view."),
    )


@require_POST
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    found = _letter(request, pk)
    pending = get_object_or_404(Result, letter=found, signed_off_at__isnull=True)
    approve = request.POST.get("decision") != "send_back"
    try:
        actions.sign_off_result(
            actor=request.user,
            result=pending,
            approve=approve,
            note=request.POST.get("note", ""),
            unlocked=key_session.load(request),
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    else:
        messages.success(request, _("The result was signed off.") if approve else _("The result was sent back."))
    return redirect("supervision_work:letter", pk=found.pk)


@require_safe
def attachment(request: HttpRequest, pk: int, attachment: int) -> HttpResponse:
    """Download one of the letter's files (opened with the officer's key when the letter is sealed).

    Always as a download with the type sniffed at intake and `nosniff`, never rendered inline: a letter's file is
    the public's content and must not run in the staff area's origin."""
    found = _letter(request, pk)
    item = get_object_or_404(found.attachments, pk=attachment)
    opened = None
    if item.is_sealed:
        opened, problem = _open_sealed(request, found, what=f"attachment:{item.pk}")
        if opened is None:
            if problem == "locked":
                back = reverse("supervision_work:letter", args=[found.pk])
                return redirect(f"{reverse('securemail:unlock')}?{urlencode({'next': back})}")
            raise PermissionDenied
    try:
        data = sealing.attachment_bytes(item, opened)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("supervision_work:letter", pk=found.pk)
    name = opened.attachment_name(item) if opened else item.name
    response = HttpResponse(data, content_type=item.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
def extensions(request: HttpRequest) -> HttpResponse:
    _require_reader(request)
    page = Paginator(queries.pending_extensions(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/work/extensions.html", {"page": page})


@require_POST
def decide_extension(request: HttpRequest, pk: int) -> HttpResponse:
    ext = get_object_or_404(queries.pending_extensions(request.user), pk=pk)
    try:
        actions.decide_extension(
            actor=request.user, extension=ext, grant=request.POST.get("grant") == "1", note=request.POST.get("note", "")
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("supervision_work:extensions")


def _bulletins_page(request: HttpRequest, form: forms.BulletinDraftForm, status: int = 200) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.has_kind(*OFFICE_KINDS, *LEADER_KINDS):
        raise PermissionDenied
    page = Paginator(Bulletin.objects.all(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/work/bulletins.html",
        {"page": page, "can_publish": actions.may_publish_bulletins(request.user), "form": form},
        status=status,
    )


@require_safe
def bulletins(request: HttpRequest) -> HttpResponse:
    last_month = (timezone.localdate(timezone=calendar.SHANGHAI).replace(day=1) - timedelta(days=1)).replace(day=1)
    return _bulletins_page(request, forms.BulletinDraftForm(initial={"month": last_month}))


@require_POST
def draft_bulletin(request: HttpRequest) -> HttpResponse:
    """Draft (or redraw) the bulletin of a chosen month on demand."""
    form = forms.BulletinDraftForm(request.POST)
    if form.is_valid():
        try:
            bulletin = actions.draft_bulletin(actor=request.user, month=form.cleaned_data["month"])
        except ValidationError as exc:
            forms.add_action_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("You may not do this."))
        else:
            messages.success(request, _("The draft “%(title)s” is ready for review.") % {"title": bulletin.title})
            return redirect("supervision_work:bulletins")
    return _bulletins_page(request, form, status=400)


@require_POST
def publish_bulletin(request: HttpRequest, pk: int) -> HttpResponse:
    bulletin = get_object_or_404(Bulletin, pk=pk)
    try:
        actions.publish_bulletin(actor=request.user, bulletin=bulletin)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("The bulletin was published."))
    return redirect("supervision_work:bulletins")


def _moderated(request: HttpRequest):
    return Interview.objects.for_user(request.user, kinds=OFFICE_KINDS)


def _require_office_role(request: HttpRequest) -> None:
    if not scope_for(request.user).has_kind(*OFFICE_KINDS):
        raise PermissionDenied


@require_http_methods(["GET", "HEAD", "POST"])
def interview_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Schedule a session, or change one before it starts."""
    _require_office_role(request)
    session = get_object_or_404(_moderated(request), pk=pk) if pk is not None else None
    if session is not None and not session.can_edit():
        messages.error(request, _("Only a scheduled interview that has not started yet can be changed."))
        return redirect("supervision_work:interview", pk=session.pk)
    units = interviews.organiser_units(request.user)
    initial = {} if session is None else {
        "title": session.title, "topic": session.topic, "guests": session.guests, "unit": session.unit_id,
        "starts_at": session.starts_at, "ends_at": session.ends_at,
    }  # fmt: skip
    form = forms.InterviewForm(request.POST or None, initial=initial, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            if session is None:
                session = interviews.schedule_interview(actor=request.user, **form.cleaned_data)
                messages.success(request, _("The interview was scheduled."))
            else:
                interviews.update_interview(actor=request.user, interview=session, **form.cleaned_data)
                messages.success(request, _("The interview was changed."))
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                form.add_error(None, str(exc) or _("You may not do this."))
            else:
                forms.add_action_errors(form, exc)
        else:
            return redirect("supervision_work:interview", pk=session.pk)
    status = 400 if form.errors else 200
    return render(request, "supervision/work/interview_form.html", {"form": form, "interview": session}, status=status)


@require_safe
def interview_list(request: HttpRequest) -> HttpResponse:
    if not scope_for(request.user).has_kind(*OFFICE_KINDS):
        raise PermissionDenied
    page = Paginator(_moderated(request), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/work/interviews.html", {"page": page})


@require_safe
def interview(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(_moderated(request), pk=pk)
    pending = session.questions.filter(state=QuestionState.PENDING)
    approved = session.questions.filter(state=QuestionState.APPROVED)
    return render(
        request,
        "supervision/work/interview.html",
        {"interview": session, "pending": pending, "approved": approved, "answer_form": forms.AnswerForm()},
    )


def _interview_act(request: HttpRequest, pk: int, act) -> HttpResponse:
    session = get_object_or_404(_moderated(request), pk=pk)
    try:
        act(session)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    return redirect("supervision_work:interview", pk=session.pk)


@require_POST
def moderate(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    return _interview_act(
        request,
        pk,
        lambda s: interviews.moderate_question(
            actor=request.user,
            question=get_object_or_404(Question, interview=s, pk=question),
            approve=request.POST.get("approve") == "1",
        ),
    )


@require_POST
def answer(request: HttpRequest, pk: int, question: int) -> HttpResponse:
    form = forms.AnswerForm(request.POST)

    def act(session):
        if not form.is_valid():
            raise ValidationError(_("Give the guest and the answer."))
        interviews.answer_question(
            actor=request.user,
            question=get_object_or_404(Question, interview=session, pk=question),
            answer=form.cleaned_data["answer"],
            guest=form.cleaned_data["guest"],
        )

    return _interview_act(request, pk, act)


@require_POST
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _interview_act(request, pk, lambda s: interviews.archive_interview(actor=request.user, interview=s))


@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def act(session):
        interviews.cancel_interview(actor=request.user, interview=session)
        messages.success(request, _("The interview was cancelled."))

    return _interview_act(request, pk, act)
