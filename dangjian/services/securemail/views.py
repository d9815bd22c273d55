"""The encrypted mail pages under /work/mail/: inbox, sent, compose, read, forward, archive, keys, unlock."""

from __future__ import annotations

from datetime import timedelta
from functools import wraps
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dangjian.core import crypto
from dangjian.core.models import Role, Unit, User
from dangjian.core.permissions import STAFF_KINDS, scope_for
from dangjian.services.securemail import actions, conf, queries, session
from dangjian.services.securemail.forms import (
    ArchiveForm,
    ComposeForm,
    EnrolForm,
    ForwardForm,
    GrantForm,
    PassphraseForm,
    RefileForm,
)
from dangjian.services.securemail.keys import unlock as unlock_identity
from dangjian.services.securemail.models import KeyGrant, Message, OfficerIdentity, UnitKey

PAGE_SIZE = 30


def mail_view(*, needs_key: bool):
    """Staff only; `needs_key` views send the officer to the unlock page first and pass the unlocked key on."""

    def decorate(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if not scope_for(request.user).has_kind(*STAFF_KINDS):
                raise PermissionDenied
            if needs_key:
                unlocked = session.load(request)
                if unlocked is None:
                    return redirect(f"{reverse('securemail:unlock')}?{urlencode({'next': request.get_full_path()})}")
                kwargs["unlocked"] = unlocked
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _readable(user: User, pk) -> Message:
    """A message the user's units sent or received (404 otherwise, so no one learns it exists)."""
    units = queries.my_units(user)
    qs = Message.objects.filter(Q(sender_unit__in=units) | Q(recipients__unit__in=units)).distinct()
    return get_object_or_404(qs.select_related("sender_unit", "sender_key"), pk=pk)


@mail_view(needs_key=False)
def inbox(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "securemail/inbox.html",
        {"page": _page(request, queries.received(request.user)), "units": queries.my_units(request.user),
         "enrolled": OfficerIdentity.objects.filter(user=request.user, suite=conf.suite_name()).exists(),
         "unlocked_for": (session.seconds_left(request) + 59) // 60, "tab": "inbox"},
    )  # fmt: skip


@mail_view(needs_key=False)
def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "securemail/sent.html", {"page": _page(request, queries.sent(request.user)), "tab": "sent"})


@mail_view(needs_key=False)
def archive(request: HttpRequest) -> HttpResponse:
    form = ArchiveForm(request.GET or None)
    filters = queries.ArchiveFilters()
    if form.is_bound and form.is_valid():
        filters = queries.ArchiveFilters(**{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
    qs = queries.archive(request.user, filters).order_by("archive_category", "-archive_year", "-message__sent_at")
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page"])
    return render(
        request,
        "securemail/archive.html",
        {"form": form, "page": _page(request, qs), "query": query, "years": queries.archive_years(request.user),
         "tab": "archive"},
    )  # fmt: skip


def _send_kwargs(form: ComposeForm) -> dict:
    data = form.cleaned_data
    days = data.get("expires_in_days")
    return dict(
        sender_unit=data["sender_unit"], recipients=list(data["recipients"]), category=data["category"],
        subject=data["subject"], body=data["body"], doc_number=data["doc_number"],
        uploads=[actions.Upload(f.name, f) for f in data["attachments"]], forwardable=data["forwardable"],
        expires_at=timezone.now() + timedelta(days=days) if days else None,
        confirm_not_appointment=data["confirm_not_appointment"],
    )  # fmt: skip


@mail_view(needs_key=True)
def compose(request: HttpRequest, unlocked) -> HttpResponse:
    form = ComposeForm(request.POST or None, request.FILES or None, user=request.user)
    warning = ""
    if request.method == "POST" and form.is_valid():
        try:
            message = actions.send_message(actor=request.user, unlocked=unlocked, **_send_kwargs(form))
        except actions.AppointmentWarning as exc:
            warning = _errors(exc)
        except ValidationError as exc:
            form.add_error(None, _errors(exc))
        else:
            messages.success(request, _("Sent, encrypted, to %(n)d units.") % {"n": message.recipients.count()})
            return redirect("securemail:read", pk=message.pk)
    return render(request, "securemail/compose.html", {"form": form, "warning": warning, "tab": "compose"})


@mail_view(needs_key=True)
def read(request: HttpRequest, pk, unlocked) -> HttpResponse:
    message = _readable(request.user, pk)
    try:
        opened = actions.open_message(actor=request.user, unlocked=unlocked, message=message)
    except ValidationError as exc:
        return render(request, "securemail/unreadable.html", {"message": message, "error": _errors(exc)}, status=410)
    s = crypto.suite(message.suite)
    recipients = message.recipients.select_related("unit", "read_by").order_by("unit__path")
    units = queries.my_units(request.user)
    mine = [r for r in recipients if r.unit in units]
    return render(
        request,
        "securemail/read.html",
        {"opened": opened, "message": message, "recipients": recipients,
         "fingerprint": s.fingerprint(bytes(message.sender_key.sign_public)),
         "is_sender": message.sender_unit in units,
         "attachments": list(enumerate(opened.attachment_names)), "forward_form": ForwardForm(),
         "refile_form": RefileForm(initial={"category": mine[0].archive_category}) if mine else None},
    )  # fmt: skip


@mail_view(needs_key=True)
def attachment(request: HttpRequest, pk, position: int, unlocked) -> HttpResponse:
    message = _readable(request.user, pk)
    try:
        opened = actions.open_message(actor=request.user, unlocked=unlocked, message=message)
        if position >= len(opened.attachment_names):
            raise ValidationError(_("No such attachment."))
        name, chunks = actions.attachment_chunks(opened, position)
    except ValidationError as exc:
        return render(request, "securemail/unreadable.html", {"message": message, "error": _errors(exc)}, status=410)
    response = StreamingHttpResponse(chunks, content_type="application/octet-stream")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@mail_view(needs_key=True)
def forward(request: HttpRequest, pk, unlocked) -> HttpResponse:
    message = _readable(request.user, pk)
    form = ForwardForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            new = actions.forward_message(
                actor=request.user, unlocked=unlocked, message=message, recipients=list(data["recipients"]),
                note=data["note"], confirm_not_appointment=data["confirm_not_appointment"],
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("Forwarded."))
            return redirect("securemail:read", pk=new.pk)
    else:
        messages.error(request, _("Choose the units to forward to."))
    return redirect("securemail:read", pk=message.pk)


@require_POST
@mail_view(needs_key=False)
def refile(request: HttpRequest, pk) -> HttpResponse:
    message = _readable(request.user, pk)
    recipient = message.recipients.filter(unit__in=queries.my_units(request.user)).select_related("unit").first()
    form = RefileForm(request.POST)
    if recipient is None or not form.is_valid():
        messages.error(request, _("Choose a category."))
    else:
        actions.file_received(actor=request.user, recipient=recipient, category=form.cleaned_data["category"])
        messages.success(request, _("Filed."))
    return redirect("securemail:read", pk=message.pk)


@require_POST
@mail_view(needs_key=False)
def delete(request: HttpRequest, pk) -> HttpResponse:
    message = _readable(request.user, pk)
    try:
        actions.delete_message(actor=request.user, message=message)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Deleted: your unit can no longer open this message."))
    return redirect("securemail:inbox")


# ------------------------------------------------------------------------------------------------- keys and unlock
#: Where the unlock page may send the officer back to: the mail pages and the confidential letters.
UNLOCK_NEXT = ("/work/mail", "/work/supervision/letters/")


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith(UNLOCK_NEXT):
        return target
    return reverse("securemail:inbox")


@mail_view(needs_key=False)
def unlock(request: HttpRequest) -> HttpResponse:
    if not OfficerIdentity.objects.filter(user=request.user, suite=conf.suite_name()).exists():
        return redirect("securemail:setup")
    form = PassphraseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unlocked = unlock_identity(user=request.user, passphrase=form.cleaned_data["passphrase"])
        except ValidationError as exc:
            form.add_error("passphrase", _errors(exc))
        else:
            response = redirect(_next(request))
            session.remember(request, response, unlocked)
            return response
    return render(
        request, "securemail/unlock.html",
        {"form": form, "next": _next(request), "minutes": conf.unlock_seconds() // 60},
    )  # fmt: skip


@require_POST
@mail_view(needs_key=False)
def lock(request: HttpRequest) -> HttpResponse:
    response = redirect("securemail:inbox")
    session.forget(request, response)
    return response


@mail_view(needs_key=False)
def setup(request: HttpRequest) -> HttpResponse:
    unlocked = session.load(request)
    enrolled = OfficerIdentity.objects.filter(user=request.user, suite=conf.suite_name()).exists()
    if enrolled and unlocked is None:
        return redirect(f"{reverse('securemail:unlock')}?{urlencode({'next': request.path})}")
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if enrolled:
                actions.change_passphrase(
                    actor=request.user, unlocked=unlocked, passphrase=form.cleaned_data["passphrase"]
                )
            else:
                actions.enrol_officer(actor=request.user, passphrase=form.cleaned_data["passphrase"])
        except ValidationError as exc:
            form.add_error("passphrase", _errors(exc))
        else:
            messages.success(request, _("Your mail passphrase is set."))
            return redirect("securemail:keys")
    return render(request, "securemail/setup.html", {"form": form, "enrolled": enrolled})


def _key_units(user: User) -> list[Unit]:
    """Units whose keys the user manages: units with a staff role of theirs, and units whose keys they hold."""
    role_units = Unit.objects.filter(roles__user=user, roles__kind__in=STAFF_KINDS, is_active=True)
    return sorted({*role_units, *queries.my_units(user)}, key=lambda u: u.path)


@mail_view(needs_key=False)
def keys(request: HttpRequest) -> HttpResponse:
    suite = crypto.suite()
    rows = []
    for unit in _key_units(request.user):
        unit_keys = list(UnitKey.objects.filter(unit=unit, suite=suite.name).order_by("-version"))
        grants = KeyGrant.objects.filter(unit_key__in=unit_keys).select_related("officer")
        officers = sorted({g.officer for g in grants}, key=lambda u: u.username)
        candidates = User.objects.filter(
            roles__unit=unit, roles__kind__in=STAFF_KINDS, mail_identities__suite=suite.name
        ).exclude(pk__in=[o.pk for o in officers]).distinct()  # fmt: skip
        rows.append({
            "unit": unit, "keys": [(k, suite.fingerprint(bytes(k.sign_public))) for k in unit_keys],
            "officers": officers, "is_officer": request.user in officers,
            "grant_form": GrantForm(candidates=candidates, prefix=f"u{unit.pk}") if candidates.exists() else None,
        })  # fmt: skip
    enrolled = OfficerIdentity.objects.filter(user=request.user, suite=suite.name).exists()
    return render(request, "securemail/keys.html", {"rows": rows, "enrolled": enrolled, "tab": "keys"})


def _key_action(request: HttpRequest, unit_pk: int, act) -> HttpResponse:
    unit = get_object_or_404(Unit, pk=unit_pk)
    scope_for(request.user).require(unit)
    try:
        act(unit)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("Done."))
    return redirect("securemail:keys")


@require_POST
@mail_view(needs_key=False)
def create_key(request: HttpRequest, unit_pk: int) -> HttpResponse:
    return _key_action(request, unit_pk, lambda unit: actions.create_unit_key(actor=request.user, unit=unit))


@require_POST
@mail_view(needs_key=False)
def rotate_key(request: HttpRequest, unit_pk: int) -> HttpResponse:
    return _key_action(request, unit_pk, lambda unit: actions.rotate_unit_key(actor=request.user, unit=unit))


@require_POST
@mail_view(needs_key=True)
def grant(request: HttpRequest, unit_pk: int, unlocked) -> HttpResponse:
    def act(unit):
        candidates = User.objects.filter(roles__unit=unit).distinct()
        form = GrantForm(request.POST, candidates=candidates, prefix=f"u{unit.pk}")
        if not form.is_valid():
            raise ValidationError(_("Choose an officer."))
        actions.grant_officer(actor=request.user, unlocked=unlocked, unit=unit, officer=form.cleaned_data["officer"])

    return _key_action(request, unit_pk, act)


@require_POST
@mail_view(needs_key=False)
def revoke_officer(request: HttpRequest, unit_pk: int, user_pk: int) -> HttpResponse:
    officer = get_object_or_404(User, pk=user_pk)
    return _key_action(
        request, unit_pk, lambda unit: actions.revoke_officer(actor=request.user, unit=unit, officer=officer)
    )


def workbench_panels(user, scope):
    """The staff dashboard panel: unread encrypted mail of the user's units."""
    from dangjian.portal.workbench import Panel, WorkItem

    if not Role.objects.filter(user=user).exists() and not user.is_superuser:
        return []
    if not KeyGrant.objects.filter(officer=user).exists():
        return []
    item = WorkItem(_("Unread encrypted mail"), queries.unread_count(user), reverse("securemail:inbox"))
    return [Panel(_("Encrypted mail"), [item], order=60)]
