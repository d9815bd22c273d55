"""Every change of state of a letter: one atomic function per act, with its history line, audit record and notices.

Citizens act without an account (submit, rate, reopen: the receipt is their key); staff act through their roles,
checked with the one permission layer (`scope_for(actor)`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from modelsearch import index

from dangjian.core import audit, calendar
from dangjian.core.models import Channel as OutboxChannel
from dangjian.core.models import RoleKind, Unit, UnitKind, User
from dangjian.core.outbox import queue_notification
from dangjian.core.permissions import holder_ids, scope_for
from dangjian.supervision import attachments as att
from dangjian.supervision import pow, receipts, sealing
from dangjian.supervision.access import HEAD_KINDS, LEADER_KINDS, OFFICE_KINDS, RESPONDER_KINDS
from dangjian.supervision.models import (
    OPEN_STATUSES,
    Attachment,
    Bulletin,
    Category,
    Channel,
    DueKind,
    Extension,
    ExtensionState,
    FollowUp,
    Letter,
    LetterEvent,
    Rating,
    RatingValue,
    Result,
    Source,
    Status,
)

if TYPE_CHECKING:
    from dangjian.services.securemail.keys import Unlocked

TITLE_MAX = 200
BODY_MAX = 20_000
#: The same text to the same channel within this time is a duplicate.
DUPLICATE_WINDOW = timedelta(hours=24)
#: An unsatisfied citizen may reopen (重办) once within this many days of the rating.
REOPEN_DAYS = 15
#: Manual redaction: the shortest phrase masked (the masking ignores shorter ones) and the most text kept.
REDACTION_MIN = 2
REDACTIONS_MAX = 5000
_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{5,18}[0-9]$")


@dataclass(frozen=True)
class Submitted:
    letter: Letter
    receipt: str  # shown once; never stored


# --- helpers ---------------------------------------------------------------------------------------------------


def due_date(channel: Channel, start: datetime, days: int) -> datetime:
    """End of the day (Asia/Shanghai) `days` working or calendar days after `start`, as the channel counts."""
    if channel.working_days:
        return calendar.deadline(start, days)
    local = start.astimezone(calendar.SHANGHAI).date() + timedelta(days=days)
    return datetime(local.year, local.month, local.day, 23, 59, 59, tzinfo=calendar.SHANGHAI)


def _event(letter: Letter, verb: str, *, actor: User | None = None, unit: Unit | None = None, note: str = "", **data):
    return LetterEvent.objects.create(letter=letter, verb=verb, actor=actor, unit=unit, note=note, data=data)


def _people(unit: Unit, kinds) -> list[User]:
    """The active users holding one of `kinds` at `unit`, as ids only (they are told through the in-site inbox,
    which needs no more); what the process read a moment ago (`permissions.holder_ids`)."""
    return [User(pk=pk) for pk in holder_ids(unit.pk, kinds)]


def _notify_staff(users, *, subject: str, body: str, unit: Unit | None, kind: str) -> None:
    for user in users:
        queue_notification(
            channel=OutboxChannel.INBOX, recipient=user, subject=subject, body=body, unit=unit, kind=kind
        )


def _notify_citizen(
    letter: Letter,
    *,
    subject: str,
    body: str,
    kind: str,
    body_after_delivery: str = "",
    contact: dict[str, str] | sealing.Opened | None = None,
) -> None:
    """Tell the writer, by SMS or e-mail. A sealed letter's contact comes opened (`contact`), never from the row."""
    if isinstance(contact, sealing.Opened):
        phone, email = contact.contact_phone, contact.contact_email
    elif contact is not None:
        phone, email = contact.get("contact_phone", ""), contact.get("contact_email", "")
    else:
        phone, email = letter.contact_phone, letter.contact_email
    if phone:
        channel, address = OutboxChannel.SMS, phone
    elif email:
        channel, address = OutboxChannel.EMAIL, email
    else:
        return
    queue_notification(
        channel=channel,
        address=address,
        subject=subject,
        body=body,
        kind=kind,
        body_after_delivery=body_after_delivery,
    )


def _locked(letter: Letter) -> Letter:
    return Letter.objects.select_for_update().select_related("channel", "unit").get(pk=letter.pk)


def _opened(letter: Letter, unlocked: Unlocked | None) -> sealing.Opened:
    if unlocked is None:
        raise ValidationError(
            _("This letter is confidential: unlock your key on the encrypted mail network first."), code="locked"
        )
    return sealing.open_letter(letter, unlocked)


def _require_office(actor: User, letter: Letter) -> None:
    if not scope_for(actor).covers(letter.channel.unit, OFFICE_KINDS):
        raise PermissionDenied(_("Only the supervision office may do this."))


def _handling_unit(actor: User, letter: Letter, kinds=RESPONDER_KINDS, *, lead_only: bool = False) -> Unit:
    """The unit (lead first, then co-units) in whose name the actor acts on this dispatched letter."""
    if letter.status == Status.RECEIVED:
        raise ValidationError(_("The letter has not been dispatched to a unit yet."))
    scope = scope_for(actor)
    candidates = [letter.unit] if lead_only else [letter.unit, *letter.co_units.all()]
    for unit in candidates:
        if scope.covers(unit, kinds):
            return unit
    raise PermissionDenied(_("You do not act for a unit handling this letter."))


def _text(value: str, field: str, label: str, maximum: int) -> str:
    value = unicodedata.normalize("NFC", (value or "").replace("\x00", "")).strip()
    if not value:
        raise ValidationError({field: _("%(label)s is required.") % {"label": label}})
    if len(value) > maximum:
        raise ValidationError(
            {field: _("%(label)s may have at most %(n)d characters.") % {"label": label, "n": maximum}}
        )
    return value


def content_hash(channel_code: str, title: str, body: str) -> str:
    """The duplicate check's digest; keyed, so a copy of the database cannot confirm a guessed letter text."""
    squeezed = re.sub(r"\s+", "", f"{title}\n{body}").lower()
    key = hashlib.sha256(f"dangjian-letter-duplicates:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, f"{channel_code}\n{squeezed}".encode(), hashlib.sha256).hexdigest()


def _reindex(letter: Letter) -> None:
    """Keep the search index on the public text: in the index while published, out of it otherwise.

    In the same transaction as the row (the database search backend), so a search never sees a half state."""
    if letter.published_at is not None:
        index.insert_or_update_object(letter)
    else:
        index.remove_object(letter)


def letter_for_receipt(receipt: str, *, lock: bool = False) -> Letter | None:
    digest = receipts.receipt_hash(receipt)
    if digest is None:
        return None
    qs = Letter.objects.select_for_update() if lock else Letter.objects.all()
    return qs.select_related("channel", "unit").filter(receipt_hash=digest).first()


# --- intake ----------------------------------------------------------------------------------------------------


def submit_letter(
    *,
    channel_code: str,
    title: str,
    body: str,
    anonymous: bool,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    category: str = Category.OTHER,
    area: Unit | None = None,
    is_public: bool = True,
    attachments: list[att.Upload] | None = None,
    source: str = Source.WEB,
    subject_ref: str = "",
    received_at: datetime | None = None,
    challenge: str = "",
    channel: Channel | None = None,
) -> Submitted:
    """Receive a letter (受理): store it with its due dates and a hashed receipt; return the receipt once.

    `challenge`: the web form's verified proof of work (`pow.verify(...).ident`), spent with the letter, in its
    transaction: a letter refused leaves it unspent, and the two writes take one turn at the write lock.
    `channel`: the active channel of that code with its unit, as the caller has just read it (the web form's page),
    so that it is not read again.

    Everything that only reads or computes (the checks, the receipt, the due dates, who is told) happens before the
    transaction, which holds only the writes: on SQLite a transaction holds the database's one write lock from its
    first statement, so its length is what limits letters per second under load."""
    if channel is None or channel.code != channel_code or not channel.is_active:
        try:  # get(), not first(): no ORDER BY to build, half the cost per letter
            channel = Channel.objects.select_related("unit").get(code=channel_code, is_active=True)
        except Channel.DoesNotExist:
            raise ValidationError({"channel": _("There is no such channel.")}) from None
    errors: dict[str, list[str]] = {}

    def collect(fn):
        try:
            return fn()
        except ValidationError as exc:
            for k, v in exc.message_dict.items():
                errors.setdefault(k, []).extend(v)
            return ""

    title = collect(lambda: _text(title, "title", _("The title"), TITLE_MAX))
    body = collect(lambda: _text(body, "body", _("The letter"), BODY_MAX))
    if category not in Category.values:
        errors["category"] = [_("Choose a category from the list.")]
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    if area is not None and area.kind != UnitKind.TOWNSHIP:
        errors["area"] = [_("Choose a township from the list.")]
    contact_name = (contact_name or "").strip()[:51]
    contact_phone = (contact_phone or "").strip()[:21]
    contact_email = (contact_email or "").strip()[:255]
    if anonymous:
        if not channel.accepts_anonymous:
            errors["anonymous"] = [_("This channel does not accept anonymous letters.")]
        # An anonymous letter keeps nothing that names its writer, whatever was sent along.
        contact_name = contact_phone = contact_email = ""
    else:
        if not contact_name:
            errors["contact_name"] = [_("Give your name, or write anonymously.")]
        elif len(contact_name) > 50:
            errors["contact_name"] = [_("The name may have at most 50 characters.")]
        if not contact_phone and not contact_email:
            errors["contact_phone"] = [_("Give a telephone number or an e-mail address so we can answer you.")]
        if contact_phone and not _PHONE.match(contact_phone):
            errors["contact_phone"] = [_("Enter a valid telephone number.")]
        if contact_email:
            try:
                validate_email(contact_email)
            except ValidationError:
                errors["contact_email"] = [_("Enter a valid e-mail address.")]
    checked: list[att.Checked] = []
    try:
        checked = att.check(attachments or [])
    except ValidationError as exc:
        errors["attachments"] = exc.messages
    if channel.is_confidential and not sealing.unit_can_receive(channel.unit):
        # Never stored in clear: without the office's key the letter cannot be sealed, so it is not taken.
        errors.setdefault("channel", []).append(
            _("This channel cannot take letters at the moment. Please write to another channel or try again later.")
        )
    if errors:
        raise ValidationError(errors)
    now = received_at or timezone.now()
    digest = content_hash(channel.code, title, body)
    receipt = receipts.new_receipt()
    hashed = receipts.receipt_hash(receipt)
    assert hashed is not None  # a receipt new_receipt() made is always well formed
    plain = {"body": body, "contact_name": contact_name, "contact_phone": contact_phone, "contact_email": contact_email}
    sealed = channel.is_confidential
    first_due = due_date(channel, now, channel.first_response_days)
    received = _(
        "Your letter “%(title)s” to %(channel)s was received. Receipt: %(receipt)s. Keep it to follow "
        "the letter; a first answer is due by %(due)s."
    )
    facts = {
        "title": title[:40],
        "channel": channel.name,
        "due": timezone.localtime(first_due, calendar.SHANGHAI).strftime("%Y-%m-%d"),
    }
    letter = Letter(
        channel=channel,
        title=title,
        body="" if sealed else body,
        category=category,
        area=area,
        source=source,
        subject_ref=(subject_ref or "")[:200],
        is_anonymous=anonymous,
        is_public=is_public,
        contact_name="" if sealed else contact_name,
        contact_phone="" if sealed else contact_phone,
        contact_email="" if sealed else contact_email,
        receipt_hash=hashed,
        content_hash=digest,
        unit=channel.unit,
        received_at=now,
        first_response_due=first_due,
        result_due=due_date(channel, now, channel.result_days),
    )
    office = _people(channel.unit, OFFICE_KINDS)
    with transaction.atomic():
        if challenge and not pow.spend(challenge):
            used = _("This form was already sent once. Please send the letter again from the renewed form.")
            raise ValidationError({NON_FIELD_ERRORS: ValidationError(used, code="used")})
        if Letter.objects.filter(content_hash=digest, received_at__gte=now - DUPLICATE_WINDOW).exists():
            message = _("This letter has already been received; please keep the receipt you were given.")
            raise ValidationError({"body": ValidationError(message, code="duplicate")})
        letter.save(force_insert=True)
        files = [
            (Attachment(letter=letter, name=c.name, content_type=c.content_type, size=len(c.data), sha256=c.sha256),
             c.data)
            for c in checked
        ]  # fmt: skip
        if sealed:
            sealing.seal_letter(letter, plain=plain, attachments=files)
        for a, data in [] if sealed else files:
            a.file.save("upload", ContentFile(data), save=False)
            a.save()
        _event(letter, "received", unit=channel.unit, source=source, attachments=len(checked))
        audit.record(
            actor=None,
            verb="letter.submit",
            obj=letter,
            unit=channel.unit,
            after={"channel": channel.code, "source": source, "anonymous": anonymous},
        )
        _notify_citizen(
            letter,
            contact=plain,
            subject=_("Your letter was received"),
            body=received % {**facts, "receipt": receipt},
            # Only the writer holds the receipt: the outbox forgets it once the message has left.
            body_after_delivery=received % {**facts, "receipt": _("(removed after delivery)")},
            kind="letter.receipt",
        )
        _notify_staff(office, subject=_("New letter to dispatch"), body=title, unit=channel.unit, kind="letter.new")
    return Submitted(letter, receipt)


# --- handling --------------------------------------------------------------------------------------------------


@transaction.atomic
def dispatch_letter(
    *,
    actor: User,
    letter: Letter,
    unit: Unit,
    co_units: list[Unit] | None = None,
    note: str = "",
    unlocked: Unlocked | None = None,
) -> Letter:
    """派单: the office gives the letter to a lead unit and optional co-units.

    A sealed letter's key is wrapped for those units, so the office officer must have unlocked their key."""
    letter = _locked(letter)
    _require_office(actor, letter)
    if letter.status != Status.RECEIVED:
        raise ValidationError(_("Only a letter waiting at the office can be dispatched."))
    co = [u for u in (co_units or []) if u.pk != unit.pk]
    if not unit.is_active or any(not u.is_active for u in co):
        raise ValidationError(_("Choose active units."))
    if unit.pk == letter.channel.unit_id:
        raise ValidationError(_("Choose the unit that is to handle the letter."))
    if letter.is_sealed:
        sealing.share(letter, _opened(letter, unlocked), [unit, *co])
    before = {"unit": letter.unit_id, "status": letter.status}
    letter.unit = unit
    letter.status = Status.DISPATCHED
    letter.dispatched_at = timezone.now()
    letter.save(update_fields=["unit", "status", "dispatched_at"])
    letter.co_units.set(co)
    _event(letter, "dispatched", actor=actor, unit=unit, note=note, co_units=[u.pk for u in co])
    audit.record(
        actor=actor,
        verb="letter.dispatch",
        obj=letter,
        unit=unit,
        role=RoleKind.SUPERVISION_OFFICE,
        before=before,
        after={"unit": unit.pk, "co_units": [u.pk for u in co], "status": letter.status},
    )
    for u in [unit, *co]:
        _notify_staff(
            _people(u, RESPONDER_KINDS),
            subject=_("A letter was dispatched to your unit"),
            body=_("“%(title)s”: first follow-up due %(due)s.")
            % {
                "title": letter.title[:60],
                "due": timezone.localtime(letter.first_response_due, calendar.SHANGHAI).strftime("%Y-%m-%d"),
            },
            unit=u,
            kind="letter.dispatched",
        )
    return letter


def _back_to_office(actor: User, letter: Letter, *, verb: str, reason: str, suggested: Unit | None) -> Letter:
    letter = _locked(letter)
    unit = _handling_unit(actor, letter, lead_only=True)
    if letter.status not in (Status.DISPATCHED, Status.FOLLOWED_UP):
        raise ValidationError(_("A letter with a result cannot be sent back."))
    reason = _text(reason, "reason", _("The reason"), 2000)
    letter.unit = letter.channel.unit
    letter.status = Status.RECEIVED
    letter.save(update_fields=["unit", "status"])
    letter.co_units.clear()
    if letter.is_sealed:
        # The units it leaves may no longer read it.
        sealing.unshare(letter, keep=[letter.channel.unit])
    _event(letter, verb, actor=actor, unit=unit, note=reason, suggested_unit=suggested.pk if suggested else None)
    audit.record(
        actor=actor,
        verb=f"letter.{verb}",
        obj=letter,
        unit=unit,
        before={"unit": unit.pk},
        after={"unit": letter.unit_id, "reason": reason, "suggested_unit": suggested.pk if suggested else None},
    )
    _notify_staff(
        _people(letter.channel.unit, OFFICE_KINDS),
        subject=_("A unit sent a letter back"),
        body=f"{unit}: {reason}",
        unit=letter.channel.unit,
        kind=f"letter.{verb}",
    )
    return letter


@transaction.atomic
def return_letter(*, actor: User, letter: Letter, reason: str) -> Letter:
    """The lead unit sends the letter back to the office (not its business), with a reason."""
    return _back_to_office(actor, letter, verb="returned", reason=reason, suggested=None)


@transaction.atomic
def request_transfer(*, actor: User, letter: Letter, reason: str, suggested_unit: Unit | None = None) -> Letter:
    """The lead unit asks the office to give the letter to another unit, with a reason."""
    return _back_to_office(actor, letter, verb="transfer_requested", reason=reason, suggested=suggested_unit)


@transaction.atomic
def post_follow_up(*, actor: User, letter: Letter, body: str) -> FollowUp:
    """跟帖: a responder of the lead unit or a co-unit posts in the unit's name; the first one stops that clock."""
    letter = _locked(letter)
    unit = _handling_unit(actor, letter)
    if letter.status not in OPEN_STATUSES:
        raise ValidationError(_("The letter is no longer open."))
    body = _text(body, "body", _("The follow-up"), BODY_MAX)
    now = timezone.now()
    follow_up = FollowUp.objects.create(letter=letter, unit=unit, author=actor, body=body, created_at=now)
    fields = []
    if letter.first_response_at is None:
        letter.first_response_at = now
        fields.append("first_response_at")
    if letter.status == Status.DISPATCHED:
        letter.status = Status.FOLLOWED_UP
        fields.append("status")
    if fields:
        letter.save(update_fields=fields)
    _event(letter, "followed_up", actor=actor, unit=unit, follow_up=follow_up.pk)
    audit.record(actor=actor, verb="letter.follow_up", obj=letter, unit=unit, after={"follow_up": follow_up.pk})
    return follow_up


@transaction.atomic
def post_result(*, actor: User, letter: Letter, body: str) -> Result:
    """处理结果: a responder of the lead unit writes the result; it waits for the unit head's sign-off."""
    letter = _locked(letter)
    unit = _handling_unit(actor, letter, lead_only=True)
    if letter.status not in (Status.DISPATCHED, Status.FOLLOWED_UP):
        raise ValidationError(_("A result is already waiting for sign-off, or the letter is answered."))
    body = _text(body, "body", _("The result"), BODY_MAX)
    result = Result.objects.create(letter=letter, unit=unit, author=actor, body=body)
    letter.status = Status.AWAITING_SIGNOFF
    if letter.first_response_at is None:
        # A result is also an answer: it stops the first-response clock.
        letter.first_response_at = result.created_at
    letter.save(update_fields=["status", "first_response_at"])
    _event(letter, "result_written", actor=actor, unit=unit, result=result.pk)
    audit.record(actor=actor, verb="letter.result", obj=letter, unit=unit, after={"result": result.pk})
    _notify_staff(
        _people(unit, HEAD_KINDS),
        subject=_("A result waits for your sign-off"),
        body=letter.title,
        unit=unit,
        kind="letter.signoff",
    )
    return result


@transaction.atomic
def sign_off_result(
    *, actor: User, result: Result, approve: bool = True, note: str = "", unlocked: Unlocked | None = None
) -> Result:
    """The unit head signs the result off (then it is published and the citizen told) or sends it back.

    Signing off a sealed letter needs the head's unlocked key: the writer's contact is inside the seal."""
    letter = _locked(result.letter)
    result = Result.objects.select_for_update().get(pk=result.pk)
    if not scope_for(actor).covers(result.unit, HEAD_KINDS):
        raise PermissionDenied(_("Only the head of the unit may sign off its result."))
    if result.signed_off_at is not None or letter.status != Status.AWAITING_SIGNOFF:
        raise ValidationError(_("This result is not waiting for sign-off."))
    now = timezone.now()
    opened = _opened(letter, unlocked) if approve and letter.is_sealed else None
    if not approve:
        note = _text(note, "note", _("The reason"), 2000)
        letter.status = Status.FOLLOWED_UP
        letter.save(update_fields=["status"])
        _event(letter, "result_sent_back", actor=actor, unit=result.unit, note=note, result=result.pk)
        audit.record(actor=actor, verb="letter.result_sent_back", obj=letter, unit=result.unit, after={"note": note})
        result.delete()
        return result
    result.signed_off_by = actor
    result.signed_off_at = now
    result.save(update_fields=["signed_off_by", "signed_off_at"])
    letter.status = Status.ANSWERED
    letter.answered_at = now
    fields = ["status", "answered_at"]
    if letter.channel.is_published and letter.is_public and not letter.channel.is_confidential:
        letter.published_at = letter.published_at or now
        fields.append("published_at")
    letter.save(update_fields=fields)
    _reindex(letter)
    _event(letter, "signed_off", actor=actor, unit=result.unit, result=result.pk)
    audit.record(
        actor=actor,
        verb="letter.sign_off",
        obj=letter,
        unit=result.unit,
        role=RoleKind.UNIT_HEAD,
        after={"result": result.pk, "published": letter.published_at is not None},
    )
    _notify_citizen(
        letter,
        contact=opened,
        subject=_("Your letter was answered"),
        body=_("Your letter “%(title)s” was answered. Look it up with your receipt to read and rate the answer.")
        % {"title": letter.title[:40]},
        kind="letter.answered",
    )
    return result


# --- deadlines -------------------------------------------------------------------------------------------------


@transaction.atomic
def request_extension(*, actor: User, letter: Letter, which: str, workdays: int, reason: str) -> Extension:
    """The lead unit asks for more time, before the deadline, with a reason."""
    letter = _locked(letter)
    unit = _handling_unit(actor, letter, lead_only=True)
    if which not in DueKind.values:
        raise ValidationError({"which": _("Choose which deadline to extend.")})
    due = letter.first_response_due if which == DueKind.FIRST else letter.result_due
    done = letter.first_response_at if which == DueKind.FIRST else letter.answered_at
    if done is not None:
        raise ValidationError(_("That deadline has already been met."))
    if timezone.now() > due:
        raise ValidationError(_("An extension must be asked for before the deadline."))
    if not 1 <= int(workdays) <= 30:
        raise ValidationError({"workdays": _("Ask for between 1 and 30 working days.")})
    reason = _text(reason, "reason", _("The reason"), 2000)
    if Extension.objects.filter(letter=letter, which=which, state=ExtensionState.PENDING).exists():
        raise ValidationError(_("A request for this deadline is already waiting."))
    ext = Extension.objects.create(
        letter=letter, unit=unit, which=which, workdays=int(workdays), reason=reason, requested_by=actor
    )
    _event(letter, "extension_requested", actor=actor, unit=unit, note=reason, which=which, workdays=int(workdays))
    audit.record(actor=actor, verb="letter.extension_request", obj=letter, unit=unit, after={"extension": ext.pk})
    _notify_staff(
        _people(letter.channel.unit, OFFICE_KINDS),
        subject=_("A unit asks for more time"),
        body=f"{unit}: {letter.title}",
        unit=letter.channel.unit,
        kind="letter.extension",
    )
    return ext


@transaction.atomic
def decide_extension(*, actor: User, extension: Extension, grant: bool, note: str = "") -> Extension:
    """The office grants (the due date moves; the letter is not late) or refuses a request."""
    ext = Extension.objects.select_for_update().get(pk=extension.pk)
    letter = _locked(ext.letter)
    _require_office(actor, letter)
    if ext.state != ExtensionState.PENDING:
        raise ValidationError(_("This request has already been decided."))
    ext.state = ExtensionState.GRANTED if grant else ExtensionState.REFUSED
    ext.decided_by, ext.decided_at, ext.decision_note = actor, timezone.now(), (note or "").strip()[:2000]
    ext.save()
    data = {}
    if grant:
        field = "first_response_due" if ext.which == DueKind.FIRST else "result_due"
        old = getattr(letter, field)
        new_day = calendar.add_workdays(old.astimezone(calendar.SHANGHAI).date(), ext.workdays)
        new = datetime(new_day.year, new_day.month, new_day.day, 23, 59, 59, tzinfo=calendar.SHANGHAI)
        setattr(letter, field, new)
        if field == "first_response_due" and letter.result_due < new:
            letter.result_due = new
        prefix = "first" if ext.which == DueKind.FIRST else "result"
        setattr(letter, f"{prefix}_reminded", False)
        setattr(letter, f"{prefix}_chased", False)
        letter.extended = True
        letter.save()
        data = {field: new.isoformat(), "was": old.isoformat()}
    _event(letter, "extension_granted" if grant else "extension_refused", actor=actor, unit=ext.unit, note=note, **data)
    audit.record(
        actor=actor, verb="letter.extension_decide", obj=letter, unit=ext.unit, after={"granted": grant, **data}
    )
    _notify_staff(
        [ext.requested_by],
        subject=_("Extension granted") if grant else _("Extension refused"),
        body=letter.title,
        unit=ext.unit,
        kind="letter.extension_decided",
    )
    return ext


@transaction.atomic
def recompute_due_dates(*, actor: User | None = None) -> int:
    """After the holiday data changed: recompute the due dates of open letters from their receipt (returns how
    many moved); each moved letter's history shows the old and new dates."""
    moved = 0
    # Extended letters keep their granted dates; a reopened letter's result date runs from the reopening.
    letters = Letter.objects.open().filter(extended=False, reopened_count=0).select_related("channel")
    for letter in letters.select_for_update(of=("self",)):
        first = due_date(letter.channel, letter.received_at, letter.channel.first_response_days)
        result = due_date(letter.channel, letter.received_at, letter.channel.result_days)
        if (first, result) == (letter.first_response_due, letter.result_due):
            continue
        _event(
            letter,
            "due_recomputed",
            actor=actor,
            first_was=letter.first_response_due.isoformat(),
            first=first.isoformat(),
            result_was=letter.result_due.isoformat(),
            result=result.isoformat(),
        )
        letter.first_response_due, letter.result_due = first, result
        letter.first_reminded = letter.result_reminded = letter.first_chased = letter.result_chased = False
        letter.save(
            update_fields=[
                "first_response_due", "result_due", "first_reminded", "result_reminded", "first_chased",
                "result_chased",
            ]
        )  # fmt: skip
        moved += 1
    if moved:
        audit.record(actor=actor, verb="letter.recompute_due", after={"moved": moved})
    return moved


# --- the citizen after the answer --------------------------------------------------------------------------------


@transaction.atomic
def rate_letter(*, receipt: str, value: str, comment: str = "") -> Rating:
    """回访评价: the citizen rates the answer with the receipt; satisfied or basically satisfied closes the letter."""
    letter = letter_for_receipt(receipt, lock=True)
    if letter is None:
        raise ValidationError({"receipt": _("No letter has this receipt.")})
    if value not in RatingValue.values:
        raise ValidationError({"value": _("Choose satisfied, basically satisfied or unsatisfied.")})
    if letter.status not in (Status.ANSWERED, Status.CLOSED):
        raise ValidationError(_("The letter has not been answered yet."))
    if Rating.objects.filter(letter=letter, round=letter.reopened_count).exists():
        raise ValidationError(_("This answer has already been rated."))
    comment = (comment or "").strip()[:2000]
    rating = Rating.objects.create(letter=letter, round=letter.reopened_count, value=value, comment=comment)
    if value != RatingValue.UNSATISFIED or letter.reopened_count >= 1:
        letter.status = Status.CLOSED
        letter.closed_at = timezone.now()
        letter.save(update_fields=["status", "closed_at"])
    _event(letter, "rated", value=value)
    audit.record(actor=None, verb="letter.rate", obj=letter, unit=letter.unit, after={"value": value})
    return rating


@transaction.atomic
def reopen_letter(*, receipt: str, reason: str) -> Letter:
    """重办: an unsatisfied citizen sends the letter back to the unit once, within 15 days of the rating."""
    letter = letter_for_receipt(receipt, lock=True)
    if letter is None:
        raise ValidationError({"receipt": _("No letter has this receipt.")})
    rating = Rating.objects.filter(letter=letter, round=letter.reopened_count).first()
    if letter.reopened_count >= 1:
        raise ValidationError(_("A letter can be reopened only once."))
    if rating is None or rating.value != RatingValue.UNSATISFIED or letter.status != Status.ANSWERED:
        raise ValidationError(_("Only an answer rated unsatisfied can be reopened."))
    if timezone.now() > rating.created_at + timedelta(days=REOPEN_DAYS):
        raise ValidationError(_("The %(n)d days to reopen the letter have passed.") % {"n": REOPEN_DAYS})
    reason = _text(reason, "reason", _("The reason"), 2000)
    now = timezone.now()
    letter.status = Status.FOLLOWED_UP
    letter.reopened_count += 1
    letter.answered_at = None
    letter.published_at = None
    letter.result_due = due_date(letter.channel, now, letter.channel.result_days)
    letter.result_reminded = letter.result_chased = False
    letter.save()
    _reindex(letter)
    _event(letter, "reopened", unit=letter.unit, note=reason, result_due=letter.result_due.isoformat())
    audit.record(actor=None, verb="letter.reopen", obj=letter, unit=letter.unit, after={"reason": reason})
    _notify_staff(
        _people(letter.unit, RESPONDER_KINDS) + _people(letter.channel.unit, OFFICE_KINDS),
        subject=_("A letter was reopened"),
        body=f"{letter.title}: {reason}",
        unit=letter.unit,
        kind="letter.reopened",
    )
    return letter


def may_redact(actor: User, letter: Letter) -> bool:
    """The supervision office or a leader of the letter's channel masks phrases by hand (never in a sealed letter)."""
    scope = scope_for(actor)
    return not letter.channel.is_confidential and (
        scope.covers(letter.channel.unit, OFFICE_KINDS) or scope.covers(letter.channel.unit, LEADER_KINDS)
    )


@transaction.atomic
def redact_letter(*, actor: User, letter: Letter, phrases: str) -> Letter:
    """The office adds phrases to mask in the public view (manual redaction adds to the automatic masking)."""
    letter = _locked(letter)
    if not may_redact(actor, letter):
        raise PermissionDenied(_("Only the supervision office may do this."))
    lines = [p.strip() for p in (phrases or "").replace("\x00", "").splitlines() if p.strip()]
    if not lines:
        raise ValidationError({"phrases": _("Give at least one phrase to mask, one a line.")})
    short = [p for p in lines if len(p) < REDACTION_MIN]
    if short:
        # One character would mask it all over the text (every 的, every 村): refused rather than ignored.
        raise ValidationError(
            {"phrases": _("Each phrase needs at least %(n)d characters: %(short)s")
             % {"n": REDACTION_MIN, "short": "、".join(short)}}
        )  # fmt: skip
    before = letter.redactions
    combined = "\n".join(dict.fromkeys([*before.splitlines(), *lines]))
    if len(combined) > REDACTIONS_MAX:
        raise ValidationError(
            {"phrases": _("A letter can keep at most %(n)d characters of phrases to mask.") % {"n": REDACTIONS_MAX}}
        )
    letter.redactions = combined
    letter.save(update_fields=["redactions"])
    _reindex(letter)
    _event(letter, "redacted", actor=actor, count=len(lines))
    audit.record(actor=actor, verb="letter.redact", obj=letter, unit=letter.unit, after={"added": len(lines)})
    return letter


@transaction.atomic
def unredact_letter(*, actor: User, letter: Letter, phrase: str) -> Letter:
    """The office takes back a phrase it masked by hand (a mistake); the automatic masking stays."""
    letter = _locked(letter)
    if not may_redact(actor, letter):
        raise PermissionDenied(_("Only the supervision office may do this."))
    phrase = (phrase or "").strip()
    kept = [p for p in letter.redactions.splitlines() if p != phrase]
    if len(kept) == len(letter.redactions.splitlines()):
        raise ValidationError({"phrase": _("This phrase is not among the ones masked by hand.")})
    letter.redactions = "\n".join(kept)
    letter.save(update_fields=["redactions"])
    _reindex(letter)
    _event(letter, "unredacted", actor=actor)
    audit.record(actor=actor, verb="letter.unredact", obj=letter, unit=letter.unit, after={"removed": 1})
    return letter


# --- reminders, chasers, 通报批评 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    reminded: int
    chased: int


def _day_end(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=calendar.SHANGHAI)


@transaction.atomic
def sweep_deadlines(*, now: datetime | None = None) -> SweepResult:
    """Run each morning: remind units of deadlines on the next working day, chase units past a deadline.

    Only on working days: a reminder goes out on the working day before the due date, a chaser (催办通知) on the first
    working day after it was missed. Each letter's flags make the sweep idempotent; the reads use the partial
    indexes on open due dates, so the sweep touches only the letters near or past a deadline.
    """
    now = now or timezone.now()
    today = now.astimezone(calendar.SHANGHAI).date()
    if not calendar.is_workday(today):
        return SweepResult(0, 0)
    horizon = _day_end(calendar.add_workdays(today, 1))
    reminded = chased = 0
    for prefix, done_field, due_field, label in (
        ("first", "first_response_at", "first_response_due", _("first follow-up")),
        ("result", "answered_at", "result_due", _("handling result")),
    ):
        # No ordering: the partial index of the letters still to remind or to chase leads the plan.
        base = Letter.objects.filter(
            **{f"{done_field}__isnull": True}, status__in=OPEN_STATUSES
        ).exclude(status=Status.RECEIVED).select_related("unit").order_by()  # fmt: skip
        soon = base.filter(**{f"{due_field}__gte": now, f"{due_field}__lte": horizon, f"{prefix}_reminded": False})
        for letter in soon.select_for_update(of=("self",)):
            due = timezone.localtime(getattr(letter, due_field), calendar.SHANGHAI)
            _notify_staff(
                _people(letter.unit, RESPONDER_KINDS),
                subject=_("Reminder: a letter is due"),
                body=_("The %(what)s of “%(title)s” is due by %(due)s.")
                % {"what": label, "title": letter.title[:60], "due": due.strftime("%Y-%m-%d %H:%M")},
                unit=letter.unit,
                kind="letter.reminder",
            )
            _event(letter, "reminded", unit=letter.unit, which=prefix)
            reminded += 1
        soon.update(**{f"{prefix}_reminded": True})
        late = base.filter(**{f"{due_field}__lt": now, f"{prefix}_chased": False})
        for letter in late.select_for_update(of=("self",)):
            _notify_staff(
                _people(letter.unit, RESPONDER_KINDS + HEAD_KINDS),
                subject=_("Chaser: a letter is late"),
                body=_("The %(what)s of “%(title)s” was due by %(due)s and is late. Answer it today.")
                % {
                    "what": label,
                    "title": letter.title[:60],
                    "due": timezone.localtime(getattr(letter, due_field), calendar.SHANGHAI).strftime("%Y-%m-%d"),
                },
                unit=letter.unit,
                kind="letter.chaser",
            )
            _event(letter, "chased", unit=letter.unit, which=prefix)
            chased += 1
        late.update(**{f"{prefix}_chased": True})
    if reminded or chased:
        audit.record(actor=None, verb="letter.sweep", after={"reminded": reminded, "chased": chased})
    return SweepResult(reminded, chased)


def _month_bounds(month: date) -> tuple[date, datetime, datetime]:
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    start = datetime.combine(first, time.min, tzinfo=calendar.SHANGHAI)
    return first, start, datetime.combine(following, time.min, tzinfo=calendar.SHANGHAI)


def late_units(month: date) -> list[dict]:
    """The units that missed a deadline falling in the month: counts per deadline and the letters, worst first."""
    from django.db.models import F, Q

    _first, start, end = _month_bounds(month)
    missed = {
        "first": Q(first_response_due__gte=start, first_response_due__lt=end)
        & (Q(first_response_at__isnull=True) | Q(first_response_at__gt=F("first_response_due"))),
        "result": Q(result_due__gte=start, result_due__lt=end)
        & (Q(answered_at__isnull=True) | Q(answered_at__gt=F("result_due"))),
    }
    units: dict[int, dict] = {}
    for which, q in missed.items():
        # A letter still waiting at the office is the office's delay, not a unit's: only dispatched letters count.
        rows = (
            Letter.objects.filter(q, dispatched_at__isnull=False)
            .exclude(unit_id=F("channel__unit_id"))
            .values_list("pk", "title", "unit_id", "unit__name")
            .order_by("unit__name", "pk")
        )
        for pk, title, unit_id, unit_name in rows:
            entry = units.setdefault(
                unit_id, {"unit": unit_id, "name": unit_name, "first_late": 0, "result_late": 0, "letters": []}
            )
            entry[f"{which}_late"] += 1
            if [pk, title] not in entry["letters"]:
                entry["letters"].append([pk, title])
    return sorted(units.values(), key=lambda e: (-(e["first_late"] + e["result_late"]), e["name"]))


@transaction.atomic
def draft_bulletin(*, actor: User | None, month: date) -> Bulletin:
    """Draft (or redraw) the month's bulletin from the letters; the office, a leader or the monthly job may."""
    if actor is not None:
        scope = scope_for(actor)
        if not scope.has_kind(*OFFICE_KINDS, *LEADER_KINDS):
            raise PermissionDenied(_("Only the supervision office or a county leader may do this."))
    first = month.replace(day=1)
    this_month = timezone.localdate(timezone=calendar.SHANGHAI).replace(day=1)
    if first > this_month:
        raise ValidationError({"month": _("A bulletin can be drafted only for this month or an earlier one.")})
    if first.year < 2000:
        raise ValidationError({"month": _("Choose a month from 2000 on.")})
    title = _("Bulletin on units that missed deadlines, %(month)s") % {"month": first.strftime("%Y-%m")}
    entries = late_units(first)
    bulletin = Bulletin.objects.select_for_update().filter(month=first, published_at__isnull=True).first()
    if bulletin is None:
        bulletin = Bulletin.objects.create(month=first, title=title, entries=entries)
    else:
        bulletin.entries, bulletin.created_at = entries, timezone.now()
        bulletin.save(update_fields=["entries", "created_at"])
    audit.record(actor=actor, verb="bulletin.draft", obj=bulletin, after={"units": len(entries)})
    return bulletin


def may_publish_bulletins(actor: User) -> bool:
    """The bulletin names units across the county: a leader's role must cover the whole county, not one township."""
    scope = scope_for(actor)
    return any(scope.covers(root, LEADER_KINDS) for root in Unit.objects.filter(parent__isnull=True))


@transaction.atomic
def publish_bulletin(*, actor: User, bulletin: Bulletin) -> Bulletin:
    """A county leader publishes a reviewed draft; the public criticism page shows it from then on."""
    bulletin = Bulletin.objects.select_for_update().get(pk=bulletin.pk)
    if not may_publish_bulletins(actor):
        raise PermissionDenied(_("Only a county leader may publish a bulletin."))
    if bulletin.published_at is not None:
        raise ValidationError(_("This bulletin is already published."))
    bulletin.published_at, bulletin.published_by = timezone.now(), actor
    bulletin.save(update_fields=["published_at", "published_by"])
    audit.record(
        actor=actor,
        verb="bulletin.publish",
        obj=bulletin,
        role=RoleKind.COUNTY_LEADER,
        after={"units": len(bulletin.entries)},
    )
    return bulletin
