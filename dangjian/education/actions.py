"""Changes of state in the education supermarket: each act is atomic, checks its rules first, leaves an audit record."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from modelsearch import index

from dangjian.core import audit
from dangjian.core.models import Channel, RoleKind, Unit, UnitKind, User
from dangjian.core.outbox import queue_notification
from dangjian.core.permissions import scope_for
from dangjian.education import files, programme, quiz
from dangjian.education.models import (
    SUBMIT_GRACE,
    Access,
    Answer,
    Attempt,
    Category,
    Classification,
    ClassReport,
    EditionPage,
    HitKind,
    Industry,
    ItemReason,
    Kind,
    Option,
    PlayedItem,
    PlayRequest,
    Programme,
    ProgrammeItem,
    ProgrammeState,
    Question,
    QuestionBank,
    QuestionKind,
    Quiz,
    ReportSource,
    RequestChannel,
    RequestState,
    Resource,
    ResourceHit,
    Station,
    Topic,
)

#: Roles that keep the library.
LIBRARY_ROLES = (RoleKind.ORG_ADMIN, RoleKind.EDITOR)
#: What a form may send for 涉密: it is refused, never stored.
CLASSIFIED = "classified"


def _unreadable(exc: Exception) -> ValidationError:
    """The refusal of a file the library could not read, or will not publish because it runs something."""
    if isinstance(exc, files.ActiveContent):
        return ValidationError(
            _("The PDF runs scripts or starts programs when it is opened; the library does not publish such files. "
              "Print it to a new PDF and upload that.")
        )  # fmt: skip
    return ValidationError(_("The file is damaged or cannot be read; check it and upload it again."))


def _human_size(n: int) -> str:
    """1000 bytes, 2.5 KB, 1.3 MB: the unit that suits the size, in the current language."""
    return filesizeformat(n)


def _reindex(resource: Resource) -> None:
    # In the same transaction as the row (the database search backend), so a search never sees a half state.
    index.insert_or_update_object(resource)


def _check_publicity_rule(classification: str, text: str) -> None:
    """公开信息不涉密，涉密信息不公开: classified material never enters the library."""
    if classification == CLASSIFIED or files.has_classified_mark(text):
        raise ValidationError(
            _(
                "Classified (涉密) material may not be put on the platform: public information is never classified "
                "and classified information is never made public. Hand it over through the confidential channel."
            )
        )
    if classification not in Classification.values:
        raise ValidationError(_("Choose public or internal."))


def _inspect(stream: BinaryIO, *, expected: Iterable[str], max_kind: str) -> files.Inspected:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    limit = files.limit_for(max_kind)
    if size > limit:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s is accepted.")
            % {"size": _human_size(size), "limit": _human_size(limit)}
        )
    if size == 0:
        raise ValidationError(_("The file is empty."))
    try:
        found = files.inspect(stream)
    except files.UnknownType as exc:
        raise ValidationError(
            _(
                "This type of file is not accepted. Documents: PDF, Word (DOCX), EPUB; video: MP4, WebM; "
                "audio: MP3, M4A, WAV, Ogg, FLAC."
            )
        ) from exc
    except files.DamagedFile as exc:
        raise _unreadable(exc) from exc
    if found.kind not in expected:
        raise ValidationError(
            _("The file's content is a %(found)s, not a %(expected)s.")
            % {"found": Kind(found.kind).label, "expected": ", ".join(str(Kind(k).label) for k in expected)}
        )
    return found


def _require_library_role(actor: User, unit: Unit) -> str:
    scope = scope_for(actor)
    scope.require(unit, LIBRARY_ROLES)
    return next((k for k in LIBRARY_ROLES if scope.covers(unit, [k])), "")


@transaction.atomic
def add_resource(
    *,
    actor: User,
    title: str,
    kind: str,
    category: Category,
    unit: Unit,
    stream: BinaryIO | None = None,
    url: str = "",
    summary: str = "",
    topics: Iterable[Topic] = (),
    access: str = Access.PUBLIC,
    classification: str = Classification.PUBLIC,
    issue_date: date | None = None,
    published_at=None,
) -> Resource:
    """Put one item in the library. A file's type comes from its content; its text and duration are read from it."""
    role = _require_library_role(actor, unit)
    _check_publicity_rule(classification, "")
    if kind not in Kind.values:
        raise ValidationError(_("Unknown kind of resource."))
    if access not in Access.values:
        raise ValidationError(_("Unknown access level."))
    title = title.strip()
    if not title:
        raise ValidationError(_("Give the resource a title."))
    resource = Resource(
        title=title[:200],
        summary=summary.strip(),
        kind=kind,
        category=category,
        unit=unit,
        access=access,
        classification=classification,
        uploaded_by=actor,
        issue_date=issue_date,
        published_at=published_at or timezone.now(),
    )
    if kind == Kind.LINK:
        if not url.startswith(("http://", "https://")):
            raise ValidationError(_("A link needs an address starting with http:// or https://."))
        resource.url = url
    elif kind == Kind.EDITION:
        if issue_date is None:
            raise ValidationError(_("An e-edition needs the date of its issue."))
    else:
        if stream is None:
            raise ValidationError(_("Choose a file to upload."))
        found = _inspect(stream, expected=[kind], max_kind=kind)
        _check_publicity_rule(classification, found.text)
        resource.content_type, resource.size, resource.sha256 = found.content_type, found.size, found.sha256
        resource.text, resource.duration = found.text, found.duration
        resource.file.save(f"{found.sha256[:20]}.{files.EXTENSIONS[found.content_type]}", File(stream), save=False)
    try:
        resource.save()
    except Exception:
        if resource.file:
            resource.file.delete(save=False)
        raise
    resource.topics.set(list(topics))
    _reindex(resource)
    audit.record(
        actor=actor,
        verb="education.resource.add",
        obj=resource,
        unit=unit,
        role=role,
        after={"title": resource.title, "kind": kind, "access": access, "classification": classification,
               "sha256": resource.sha256, "size": resource.size},
    )  # fmt: skip
    return resource


@transaction.atomic
def add_edition_page(*, actor: User, resource: Resource, number: int, stream: BinaryIO, title: str = "") -> EditionPage:
    """Add one page (PDF or image) to an e-edition issue; a PDF page's text joins the issue's search text."""
    role = _require_library_role(actor, resource.unit)
    if resource.kind != Kind.EDITION:
        raise ValidationError(_("Pages belong to e-editions only."))
    if resource.pages.filter(number=number).exists():
        raise ValidationError(_("Page %(n)s is already there.") % {"n": number})
    stream.seek(0, 2)
    if stream.tell() > files.limit_for(Kind.EDITION):
        raise ValidationError(_("The page is too large."))
    try:
        content_type = files.sniff(stream)
        text = files.extract_text(stream, content_type) if content_type == files.PDF else ""
    except files.UnknownType as exc:
        raise ValidationError(_("A page must be a PDF, PNG or JPEG file.")) from exc
    except files.DamagedFile as exc:
        raise _unreadable(exc) from exc
    if content_type not in (files.PDF, files.PNG, files.JPEG):
        raise ValidationError(_("A page must be a PDF, PNG or JPEG file."))
    _check_publicity_rule(resource.classification, text)
    sha, size = files.digest(stream)
    page = EditionPage(resource=resource, number=number, title=title, content_type=content_type, size=size, text=text)
    page.file.save(f"{sha[:20]}.{files.EXTENSIONS[content_type]}", File(stream), save=False)
    page.save()
    resource.text = "\n".join(p for p in [resource.text, text] if p)[: files.MAX_TEXT]
    resource.save(update_fields=["text"])
    _reindex(resource)
    audit.record(actor=actor, verb="education.edition.page", obj=resource, unit=resource.unit, role=role,
                 after={"page": number, "sha256": sha})  # fmt: skip
    return page


@transaction.atomic
def withdraw_resource(*, actor: User, resource: Resource) -> None:
    """Take an item out of the library (its file goes when the row goes)."""
    role = _require_library_role(actor, resource.unit)
    audit.record(actor=actor, verb="education.resource.withdraw", obj=resource, unit=resource.unit, role=role,
                 before={"title": resource.title, "sha256": resource.sha256})  # fmt: skip
    stored = resource.file.name if resource.file else ""
    resource.delete()
    if stored:
        storage = Resource._meta.get_field("file").storage
        transaction.on_commit(lambda: storage.delete(stored))


def count_hit(resource: Resource, kind: str, day: date | None = None) -> None:
    """One view, download or play: F() increments, no read-modify-write, so concurrent hits are never lost."""
    day = day or timezone.localdate()
    counter = {HitKind.VIEW: "view_count", HitKind.DOWNLOAD: "download_count"}.get(kind)
    with transaction.atomic():
        if counter:
            Resource.objects.filter(pk=resource.pk).update(**{counter: F(counter) + 1})
        if not ResourceHit.objects.filter(resource=resource, day=day, kind=kind).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    ResourceHit.objects.create(resource=resource, day=day, kind=kind, count=1)
            except IntegrityError:
                ResourceHit.objects.filter(resource=resource, day=day, kind=kind).update(count=F("count") + 1)


# --- stations and the Sunday class ----------------------------------------------------------------------

#: Who runs a station's programme and reports; the county's organisation department may step in.
STATION_ROLES = (RoleKind.STATION_MANAGER, RoleKind.ORG_ADMIN)
REPORT_FORMAT = "dangjian-education-report/1"


def _require_station_role(actor: User, station: Station) -> str:
    scope = scope_for(actor)
    scope.require(station.unit, STATION_ROLES)
    return next((k for k in STATION_ROLES if scope.covers(station.unit, [k])), "")


@transaction.atomic
def ensure_station(*, actor: User | None, unit: Unit, manager: User | None = None) -> Station:
    """The profile of a station unit, created the first time."""
    if unit.kind != UnitKind.STATION:
        raise ValidationError(_("Only a unit of kind station has a station profile."))
    station, created = Station.objects.get_or_create(unit=unit, defaults={"manager": manager})
    if created:
        audit.record(actor=actor, verb="education.station.create", obj=station, unit=unit,
                     actor_name="" if actor else "system")  # fmt: skip
    return station


@transaction.atomic
def update_station(
    *,
    actor: User,
    station: Station,
    equipment: str,
    session_minutes: int,
    industries: Iterable[Industry],
    has_bandwidth: bool = True,
) -> Station:
    role = _require_station_role(actor, station)
    before = {"equipment": station.equipment, "session_minutes": station.session_minutes,
              "industries": sorted(station.industries.values_list("pk", flat=True))}  # fmt: skip
    if not 15 <= session_minutes <= 480:
        raise ValidationError(_("A session lasts between 15 and 480 minutes."))
    station.equipment = equipment.strip()[:200]
    station.session_minutes = session_minutes
    station.has_bandwidth = has_bandwidth
    station.save()
    station.industries.set(list(industries))
    after = {"equipment": station.equipment, "session_minutes": session_minutes,
             "industries": sorted(i.pk for i in station.industries.all())}  # fmt: skip
    audit.record(actor=actor, verb="education.station.update", obj=station, unit=station.unit, role=role,
                 before=before, after=after)  # fmt: skip
    return station


@transaction.atomic
def request_play(
    *,
    station: Station,
    resource: Resource | None = None,
    topic: Topic | None = None,
    user: User | None = None,
    name: str = "",
    phone: str = "",
    channel: str = RequestChannel.WEB,
    note: str = "",
) -> PlayRequest:
    """A villager's or member's on-demand request (点播). Vetted: only library content open to all may be played."""
    from dangjian.education import queries

    if (resource is None) == (topic is None):
        raise ValidationError(_("Request either one item of the library or one topic."))
    if resource is not None and not queries.playable().filter(pk=resource.pk).exists():
        raise ValidationError(_("Only items of the library that are open to everyone can be played at a station."))
    if topic is not None and not queries.playable().filter(topics=topic).exists():
        raise ValidationError(_("The library has nothing to play on this topic yet."))
    if user is None and not name.strip():
        raise ValidationError(_("Give your name so the station manager knows who asked."))
    phone = phone.strip()
    if phone and not phone.replace("-", "").replace(" ", "").isdigit():
        raise ValidationError(_("Give the telephone number in digits."))
    if channel not in RequestChannel.values:
        raise ValidationError(_("Unknown channel."))
    req = PlayRequest.objects.create(
        station=station, resource=resource, topic=topic, requested_by=user, name=name.strip()[:50],
        phone=phone[:20], channel=channel, note=note.strip()[:200],
    )  # fmt: skip
    audit.record(
        actor=user,
        actor_name="" if user else (name.strip()[:50] or "visitor"),
        verb="education.request.create",
        obj=req,
        unit=station.unit,
        after={"resource": getattr(resource, "pk", None), "topic": getattr(topic, "pk", None), "channel": channel},
    )
    return req


#: 点播 by SMS: "点播 <station code> <title, words of a title, or a topic>", e.g. "点播 3607330101S 黄龙病".
SMS_REQUEST = re.compile(r"^\s*点播\s*(?P<code>[0-9A-Za-z-]+)\s+(?P<words>.+?)\s*$", re.S)


def request_play_by_sms(*, mobile: str, text: str) -> PlayRequest | None:
    """A 点播 sent by SMS: the station by its code, the item by its title or words of it (or a topic by its name),
    recorded through `request_play` on the SMS channel. The sender is told by SMS what was requested, or why
    nothing was (then nothing is stored and None is returned)."""
    from dangjian.education import queries

    try:
        match = SMS_REQUEST.match(text)
        if match is None:
            example = "点播 3607330101S 黄龙病"
            raise ValidationError(
                _("Send 点播, the station's code and what you ask for, e.g. %(example)s.") % {"example": example}
            )
        station = Station.objects.filter(unit__code__iexact=match["code"]).select_related("unit").first()
        if station is None:
            raise ValidationError(_("No station has the code %(code)s.") % {"code": match["code"]})
        words = match["words"][:100]
        topic = Topic.objects.filter(name=words).first()
        resource = None
        if topic is None:
            resource = queries.playable().filter(title=words).first() or next(
                (r for r in queries.search(None, words)[:20] if r.kind != Kind.LINK), None
            )
            if resource is None:
                raise ValidationError(_("The library has nothing matching “%(words)s”.") % {"words": words})
        req = request_play(station=station, resource=resource, topic=topic, name=_("By SMS"), phone=mobile[-20:],
                           channel=RequestChannel.SMS)  # fmt: skip
    except ValidationError as exc:
        reply = _("Your request could not be taken: %(reason)s") % {"reason": " ".join(exc.messages)}
        queue_notification(channel=Channel.SMS, address=mobile, body=reply, kind="education.request.refused")
        return None
    asked = resource.title if resource is not None else topic.name
    reply = _("%(station)s has your request for “%(item)s” for the Sunday class.") % {
        "station": station.unit.name,
        "item": asked,
    }
    queue_notification(channel=Channel.SMS, address=mobile, body=reply, unit=station.unit, kind="education.request")
    return req


def _apply_plan(prog: Programme, planned: list[programme.Planned]) -> list[ProgrammeItem]:
    items = ProgrammeItem.objects.bulk_create(
        ProgrammeItem(programme=prog, resource_id=p.resource_id, order=i, minutes=p.minutes, reason=p.reason)
        for i, p in enumerate(planned, 1)
    )
    for item, p in zip(items, planned, strict=True):
        if p.request_ids:
            PlayRequest.objects.filter(pk__in=p.request_ids, state=RequestState.PENDING).update(
                state=RequestState.SCHEDULED, item=item
            )
    return items


@transaction.atomic
def build_programmes(*, sunday: date, actor: User | None = None, stations=None, rebuild: bool = False) -> int:
    """Draft every station's programme for a Sunday; a published programme is never touched.

    Without `rebuild` a station that already has a draft keeps it (the Thursday job is idempotent); with it
    the drafts are built again (a manager's "rebuild" after new requests came in).
    """
    from dangjian.education import queries

    if sunday.weekday() != 6:
        raise ValidationError(_("A Sunday class is held on a Sunday."))
    stations = stations if stations is not None else Station.objects.all()
    existing = Programme.objects.filter(station__in=stations, sunday=sunday)
    if rebuild:
        drafts = existing.filter(state=ProgrammeState.DRAFT)
        PlayRequest.objects.filter(item__programme__in=drafts, state=RequestState.SCHEDULED).update(
            state=RequestState.PENDING, item=None
        )
        drafts.delete()
    todo = stations.exclude(pk__in=Programme.objects.filter(sunday=sunday).values("station_id"))
    inputs = queries.station_inputs(todo, sunday)
    plans = programme.build_many(inputs, queries.catalogue(sunday), sunday.month)
    now = timezone.now()
    programmes = Programme.objects.bulk_create(Programme(station_id=pk, sunday=sunday, built_at=now) for pk in plans)
    for prog in programmes:
        _apply_plan(prog, plans[prog.station_id])
    audit.record(actor=actor, actor_name="" if actor else "scheduler", verb="education.programmes.build",
                 after={"sunday": sunday, "built": len(programmes), "rebuild": rebuild})  # fmt: skip
    return len(programmes)


def _editable(actor: User, prog: Programme) -> str:
    role = _require_station_role(actor, prog.station)
    if prog.state != ProgrammeState.DRAFT:
        raise ValidationError(_("The programme is published; it can no longer be changed."))
    return role


@transaction.atomic
def add_programme_item(*, actor: User, programme_: Programme, resource: Resource) -> ProgrammeItem:
    from dangjian.education import queries

    prog = Programme.objects.select_for_update().select_related("station__unit").get(pk=programme_.pk)
    role = _editable(actor, prog)
    if not queries.playable().filter(pk=resource.pk).exists():
        raise ValidationError(_("Only items of the library that are open to everyone can be played at a station."))
    minutes = queries.planned_minutes(resource.kind, resource.duration)
    if minutes is None:
        raise ValidationError(_("This item cannot be played at a class."))
    if prog.items.filter(resource=resource).exists():
        raise ValidationError(_("The item is already in the programme."))
    used = sum(prog.items.values_list("minutes", flat=True))
    if used + minutes > prog.station.session_minutes:
        raise ValidationError(
            _("The session would last %(total)s minutes; the station's session is %(limit)s minutes.")
            % {"total": used + minutes, "limit": prog.station.session_minutes}
        )
    last = prog.items.order_by("-order").values_list("order", flat=True).first() or 0
    item = ProgrammeItem.objects.create(
        programme=prog, resource=resource, order=last + 1, minutes=minutes, reason=ItemReason.CHOICE
    )
    audit.record(actor=actor, verb="education.programme.add_item", obj=prog, unit=prog.station.unit, role=role,
                 after={"resource": resource.pk})  # fmt: skip
    return item


@transaction.atomic
def remove_programme_item(*, actor: User, item: ProgrammeItem) -> None:
    prog = Programme.objects.select_for_update().select_related("station__unit").get(pk=item.programme_id)
    role = _editable(actor, prog)
    PlayRequest.objects.filter(item=item, state=RequestState.SCHEDULED).update(state=RequestState.PENDING, item=None)
    audit.record(actor=actor, verb="education.programme.remove_item", obj=prog, unit=prog.station.unit, role=role,
                 before={"resource": item.resource_id})  # fmt: skip
    item.delete()
    for order, pk in enumerate(prog.items.order_by("order").values_list("pk", flat=True), 1):
        ProgrammeItem.objects.filter(pk=pk).update(order=order)


@transaction.atomic
def move_programme_item(*, actor: User, item: ProgrammeItem, up: bool) -> None:
    prog = Programme.objects.select_for_update().select_related("station__unit").get(pk=item.programme_id)
    _editable(actor, prog)
    ids = list(prog.items.order_by("order").values_list("pk", flat=True))
    at = ids.index(item.pk)
    to = at - 1 if up else at + 1
    if 0 <= to < len(ids):
        ids[at], ids[to] = ids[to], ids[at]
        for order, pk in enumerate(ids, 1):
            ProgrammeItem.objects.filter(pk=pk).update(order=order)


@transaction.atomic
def publish_programme(*, actor: User, programme_: Programme) -> Programme:
    """Publish the 节目预报: the members attached to the station find it in their inbox."""
    prog = Programme.objects.select_for_update().select_related("station__unit").get(pk=programme_.pk)
    role = _editable(actor, prog)
    items = list(prog.items.select_related("resource").order_by("order"))
    if not items:
        raise ValidationError(_("An empty programme cannot be published."))
    prog.state, prog.published_at = ProgrammeState.PUBLISHED, timezone.now()
    prog.save(update_fields=["state", "published_at"])
    audit.record(actor=actor, verb="education.programme.publish", obj=prog, unit=prog.station.unit, role=role,
                 after={"sunday": prog.sunday, "items": [i.resource_id for i in items]})  # fmt: skip
    body = _("Sunday class at %(station)s on %(day)s: %(titles)s") % {
        "station": prog.station.name,
        "day": prog.sunday.isoformat(),
        "titles": "、".join(i.resource.title for i in items),
    }
    for member in prog.station.members.all():
        queue_notification(channel=Channel.INBOX, recipient=member, subject=_("Sunday class programme"), body=body,
                           unit=prog.station.unit, kind="education.programme")  # fmt: skip
    return prog


@transaction.atomic
def submit_report(
    *,
    actor: User,
    station: Station,
    held_on: date,
    minutes: int,
    attendance: int,
    played: list[tuple[Resource, int]],
    attendees: Iterable[User] = (),
    discussion: str = "",
    source: str = ReportSource.WEB,
) -> ClassReport:
    """Record a class (学习台帐): what was played, who came, what was discussed; its requests become played."""
    from dangjian.education import queries

    role = _require_station_role(actor, station)
    if held_on > timezone.localdate():
        raise ValidationError(_("A class cannot be reported before it is held."))
    if not 1 <= minutes <= 720:
        raise ValidationError(_("Give the length of the class in minutes (1 to 720)."))
    attendees = list(attendees)
    if attendance < len(attendees) or attendance < 0 or attendance > 10000:
        raise ValidationError(_("The attendance cannot be less than the members checked in."))
    if not played:
        raise ValidationError(_("List at least one item that was played."))
    ids = [r.pk for r, _m in played]
    if len(set(ids)) != len(ids):
        raise ValidationError(_("An item is listed twice."))
    if queries.playable().filter(pk__in=ids).count() != len(ids):
        raise ValidationError(_("Only items of the library can be reported as played."))
    if ClassReport.objects.filter(station=station, held_on=held_on).exists():
        raise ValidationError(_("The class of %(day)s is already reported.") % {"day": held_on.isoformat()})
    prog = Programme.objects.filter(station=station, sunday=held_on).first()
    report = ClassReport.objects.create(
        station=station, programme=prog if prog and not hasattr(prog, "report") else None, held_on=held_on,
        minutes=minutes, attendance=attendance, discussion=discussion.strip(), source=source, reported_by=actor,
    )  # fmt: skip
    report.attendees.set(attendees)
    PlayedItem.objects.bulk_create(PlayedItem(report=report, resource=r, minutes=max(0, m)) for r, m in played)
    PlayRequest.objects.filter(station=station, state=RequestState.SCHEDULED, item__resource_id__in=ids).update(
        state=RequestState.PLAYED
    )
    PlayRequest.objects.filter(station=station, state=RequestState.PENDING, resource_id__in=ids).update(
        state=RequestState.PLAYED
    )
    audit.record(actor=actor, verb="education.report.submit", obj=report, unit=station.unit, role=role,
                 after={"held_on": held_on, "minutes": minutes, "attendance": attendance, "played": ids,
                        "source": source})  # fmt: skip
    return report


def submit_report_file(*, actor: User, station: Station, data: bytes) -> ClassReport:
    """A report filled in offline (report.json of the station's package) and uploaded back."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(_("The report file is not a valid report (JSON in UTF-8).")) from exc
    if not isinstance(doc, dict) or doc.get("format") != REPORT_FORMAT:
        raise ValidationError(_("The report file is not a report of this platform."))
    if doc.get("station") != station.unit.code:
        raise ValidationError(_("The report file belongs to another station."))
    try:
        held_on = date.fromisoformat(str(doc["held_on"]))
        minutes = int(doc["minutes"])
        attendance = int(doc["attendance"])
        played_rows = [(int(p["resource"]), int(p.get("minutes", 0))) for p in doc["played"] if p.get("played", True)]
        usernames = [str(u) for u in doc.get("members_checked_in", [])]
        discussion = str(doc.get("discussion", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            _("The report file lacks the date, the length, the attendance or the items played.")
        ) from exc
    resources = {r.pk: r for r in Resource.objects.filter(pk__in=[pk for pk, _m in played_rows])}
    if len(resources) != len({pk for pk, _m in played_rows}):
        raise ValidationError(_("Only items of the library can be reported as played."))
    members = list(station.members.filter(username__in=usernames))
    if len(members) != len(set(usernames)):
        raise ValidationError(_("A member checked in is not attached to this station."))
    return submit_report(
        actor=actor, station=station, held_on=held_on, minutes=minutes, attendance=attendance,
        played=[(resources[pk], m) for pk, m in played_rows], attendees=members, discussion=discussion,
        source=ReportSource.FILE,
    )  # fmt: skip


# --- quizzes --------------------------------------------------------------------------------------------

#: Who keeps question banks and sets quizzes: those who keep the library.
QUIZ_ROLES = LIBRARY_ROLES
#: A daily quiz avoids the questions the member answered in these last days while the banks have others.
FRESH_DAYS = 7
#: The largest spreadsheet of questions taken at once.
MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _local_time(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "Y-m-d H:i")


@transaction.atomic
def create_bank(
    *, actor: User, name: str, unit: Unit, topic: Topic | None = None, category: Category | None = None,
    description: str = "",
) -> QuestionBank:  # fmt: skip
    role = _require_library_role(actor, unit)
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Give the question bank a name."))
    if QuestionBank.objects.filter(unit=unit, name=name).exists():
        raise ValidationError(_("The unit has a question bank of this name already."))
    bank = QuestionBank.objects.create(name=name, unit=unit, topic=topic, category=category,
                                       description=description.strip()[:200])  # fmt: skip
    audit.record(actor=actor, verb="education.bank.create", obj=bank, unit=unit, role=role, after={"name": name})
    return bank


def _add_question(bank: QuestionBank, kind: str, text: str, options: Sequence[tuple[str, bool]], explanation: str):
    text = text.strip()
    if not text:
        raise ValidationError(_("The question is empty."))
    quiz.check_options(kind, options)
    question = Question.objects.create(bank=bank, kind=kind, text=text, explanation=explanation.strip())
    Option.objects.bulk_create(
        Option(question=question, order=i, text=t.strip(), is_correct=right) for i, (t, right) in enumerate(options, 1)
    )
    return question


@transaction.atomic
def add_question(
    *, actor: User, bank: QuestionBank, kind: str, text: str, options: Sequence[tuple[str, bool]],
    explanation: str = "",
) -> Question:  # fmt: skip
    """One question with its options (text, right or not), checked by the rule of its kind."""
    role = _require_library_role(actor, bank.unit)
    question = _add_question(bank, kind, text, options, explanation)
    audit.record(actor=actor, verb="education.question.add", obj=question, unit=bank.unit, role=role,
                 after={"bank": bank.pk, "kind": kind, "text": question.text,
                        "options": [[t, r] for t, r in options]})  # fmt: skip
    return question


@transaction.atomic
def import_questions(*, actor: User, bank: QuestionBank, content: bytes, filename: str) -> tuple[int, int]:
    """Questions from an .xlsx or .csv file (columns 题型, 题干, 选项A … 选项F, 答案, 解析): all rows or none.
    A question the bank has already (the same text) is skipped, so importing a file twice adds nothing.
    Returns (added, skipped)."""
    from dangjian.services.registry.importing import ImportFileError, read_rows

    role = _require_library_role(actor, bank.unit)
    if len(content) > MAX_IMPORT_BYTES:
        raise ValidationError(
            _("The file is %(size)s; at most %(limit)s is accepted.")
            % {"size": _human_size(len(content)), "limit": _human_size(MAX_IMPORT_BYTES)}
        )
    if not filename.lower().endswith((".xlsx", ".csv")):
        raise ValidationError(_("Import an Excel workbook (.xlsx) or a CSV file."))
    try:
        parsed = quiz.parse_rows(read_rows(content, filename), _("True"), _("False"))
    except ImportFileError as exc:
        raise ValidationError(str(exc)) from exc
    existing = set(bank.questions.values_list("text", flat=True))
    added = [_add_question(bank, q.kind, q.text, q.options, q.explanation) for q in parsed if q.text not in existing]
    audit.record(actor=actor, verb="education.question.import", obj=bank, unit=bank.unit, role=role,
                 after={"file": filename[:100], "added": len(added), "skipped": len(parsed) - len(added)})  # fmt: skip
    return len(added), len(parsed) - len(added)


@transaction.atomic
def create_quiz(
    *, actor: User, kind: str, title: str, unit: Unit, banks: Iterable[QuestionBank], question_count: int = 5,
    pass_mark: int = 60, time_limit_minutes: int | None = None, max_attempts: int = 1,
    opens_at: datetime | None = None, closes_at: datetime | None = None, description: str = "",
    is_published: bool = True,
) -> Quiz:  # fmt: skip
    """A daily quiz or a special test over some banks, for the members of a unit and the units below it."""
    role = _require_library_role(actor, unit)
    banks = list(banks)
    if not banks:
        raise ValidationError(_("Choose at least one question bank."))
    if any(not scope_for(actor).covers(b.unit, QUIZ_ROLES) and not unit.path.startswith(b.unit.path) for b in banks):
        raise ValidationError(_("A quiz draws on the banks of its unit and of the units above it."))
    item = Quiz(
        kind=kind, title=title.strip()[:100], description=description.strip(), unit=unit,
        question_count=question_count, pass_mark=pass_mark, time_limit_minutes=time_limit_minutes,
        max_attempts=max_attempts, opens_at=opens_at or timezone.now(), closes_at=closes_at,
        is_published=is_published, created_by=actor,
    )  # fmt: skip
    if not item.title:
        raise ValidationError(_("Give the quiz a title."))
    item.full_clean()
    item.save()
    item.banks.set(banks)
    audit.record(actor=actor, verb="education.quiz.create", obj=item, unit=unit, role=role,
                 after={"kind": kind, "title": item.title, "banks": [b.pk for b in banks],
                        "question_count": question_count, "pass_mark": pass_mark, "max_attempts": max_attempts,
                        "time_limit_minutes": time_limit_minutes, "opens_at": item.opens_at,
                        "closes_at": closes_at})  # fmt: skip
    return item


def _deadline(item: Quiz, started: datetime, day: date) -> datetime:
    """The time limit, the test's close, or for a daily quiz the end of the day, whichever comes first."""
    ends = [started + timedelta(minutes=item.time_limit_minutes)] if item.time_limit_minutes else []
    if item.closes_at is not None:
        ends.append(item.closes_at)
    if item.is_daily or not ends:
        ends.append(timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)))
    return min(ends)


def _refuse_closed(item: Quiz, now: datetime) -> None:
    if not item.is_published or now < item.opens_at:
        raise ValidationError(_("This quiz is not open yet."))
    if item.closes_at is not None and now >= item.closes_at:
        raise ValidationError(_("This test closed at %(time)s.") % {"time": _local_time(item.closes_at)})


@transaction.atomic
def start_attempt(*, user: User, quiz_: Quiz, now: datetime | None = None) -> Attempt:
    """Start (or resume) the member's attempt: today's daily quiz, or the next attempt at a test while attempts are
    left. The questions are drawn now, deterministically, and kept with the attempt."""
    from dangjian.education import queries

    now = now or timezone.now()
    item = Quiz.objects.select_related("unit").get(pk=quiz_.pk)
    day = timezone.localdate(now)
    mine = Attempt.objects.filter(quiz=item, user=user)
    if item.is_daily and (today := mine.filter(day=day).first()) is not None:
        return today  # once a day: the same attempt, in progress or with its result
    _refuse_closed(item, now)
    unit = queries.quiz_unit(user, item)
    if unit is None:
        raise ValidationError(_("This quiz is for the members of %(unit)s.") % {"unit": item.unit.name})
    if item.is_daily:
        number = 1
        seen = Answer.objects.filter(
            attempt__user=user, attempt__day__gte=day - timedelta(days=FRESH_DAYS), attempt__day__lt=day
        ).values_list("question_id", flat=True)
        seed = quiz.seed_for(item.pk, user.pk, day=day)
    else:
        running = mine.filter(submitted_at__isnull=True, deadline__gt=now).first()
        if running is not None:
            return running
        used = mine.count()
        if used >= item.max_attempts:
            raise ValidationError(
                _("You have used all %(n)s attempts at this test.") % {"n": item.max_attempts}
                if item.max_attempts > 1
                else _("You have taken this test; it can be taken once.")
            )
        number = used + 1
        seen = Answer.objects.filter(attempt__in=mine).values_list("question_id", flat=True)
        seed = quiz.seed_for(item.pk, user.pk, number=number)
    pool = Question.objects.filter(bank__quizzes=item, is_active=True).values_list("pk", flat=True)
    drawn = quiz.draw(pool, item.question_count, seed, seen)
    if not drawn:
        raise ValidationError(_("This quiz has no questions yet."))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=item, user=user, unit=unit, is_daily=item.is_daily, day=day, number=number, started_at=now,
                deadline=_deadline(item, now, day), total=len(drawn),
            )  # fmt: skip
    except IntegrityError as exc:  # the same start from another window at the same moment
        raise ValidationError(_("This attempt has just been started in another window; reload the page.")) from exc
    Answer.objects.bulk_create(Answer(attempt=attempt, question_id=q, order=i) for i, q in enumerate(drawn, 1))
    audit.record(actor=user, verb="education.quiz.start", obj=attempt, unit=unit,
                 after={"quiz": item.pk, "number": number, "questions": drawn})  # fmt: skip
    return attempt


def submission_refusal(attempt: Attempt, now: datetime) -> str:
    """Why the attempt can no longer be submitted ("" while it can)."""
    if attempt.submitted_at is not None:
        return _("This attempt was submitted at %(time)s; it cannot be submitted again.") % {
            "time": _local_time(attempt.submitted_at)
        }
    if now > attempt.deadline + SUBMIT_GRACE:
        return _("The time for this attempt ran out at %(time)s; answers are no longer taken.") % {
            "time": _local_time(attempt.deadline)
        }
    return ""


def _checked_answers(attempt: Attempt, answers: Mapping[int, Collection[int]], timed_out: bool) -> list[Answer]:
    rows = list(attempt.answers.select_related("question").prefetch_related("question__options"))
    if set(answers) - {a.question_id for a in rows}:
        raise ValidationError(_("The answers do not match the questions of this attempt; reload the page."))
    missing = []
    for a in rows:
        options = {o.pk: o for o in a.question.options.all()}
        chosen = set(answers.get(a.question_id, ()))
        if chosen - options.keys():
            raise ValidationError(_("An answer to question %(n)s is not one of its options.") % {"n": a.order})
        if len(chosen) > 1 and a.question.kind != QuestionKind.MULTIPLE:
            raise ValidationError(_("Question %(n)s takes one answer.") % {"n": a.order})
        if not chosen:
            missing.append(str(a.order))
        a.chosen = sorted(chosen)
        a.is_correct = quiz.is_right([pk for pk, o in options.items() if o.is_correct], chosen)
    if missing and not timed_out:
        numbers = "、".join(missing)
        raise ValidationError(_("Answer every question; not answered yet: %(numbers)s.") % {"numbers": numbers})
    return rows


@transaction.atomic
def submit_attempt(
    *, user: User, attempt: Attempt, answers: Mapping[int, Collection[int]], now: datetime | None = None
) -> Attempt:
    """Grade the answers on the server (question id -> chosen option ids) and keep the score. Once only, and only
    in time: a second submission, or one after the time ran out or the test closed, changes nothing."""
    now = now or timezone.now()
    current = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if current.user_id != user.pk:
        raise PermissionDenied
    if refusal := submission_refusal(current, now):
        raise ValidationError(refusal)
    rows = _checked_answers(current, answers, timed_out=now >= current.deadline)
    correct = sum(1 for a in rows if a.is_correct)
    result = quiz.score(correct, len(rows))
    passed = result >= current.quiz.pass_mark
    # The condition on submitted_at makes a concurrent second submission a no-op even where rows are not locked.
    if not Attempt.objects.filter(pk=current.pk, submitted_at__isnull=True).update(
        submitted_at=now, correct=correct, total=len(rows), score=result, passed=passed
    ):
        raise ValidationError(_("This attempt was submitted already; it cannot be submitted again."))
    Answer.objects.bulk_update(rows, ["chosen", "is_correct"])
    audit.record(actor=user, verb="education.quiz.submit", obj=current, unit=current.unit,
                 after={"quiz": current.quiz_id, "correct": correct, "total": len(rows), "score": result,
                        "passed": passed, "answers": {str(a.question_id): a.chosen for a in rows}})  # fmt: skip
    current.refresh_from_db()
    return current
