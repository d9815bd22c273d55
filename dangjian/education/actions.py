"""Changes of state in the education supermarket: each act is atomic, checks its rules first, leaves an audit record."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from modelsearch import index

from dangjian.core import audit
from dangjian.core.models import Channel, RoleKind, Unit, UnitKind, User
from dangjian.core.outbox import queue_notification
from dangjian.core.permissions import scope_for
from dangjian.education import files, programme
from dangjian.education.models import (
    Access,
    Category,
    Classification,
    ClassReport,
    EditionPage,
    HitKind,
    Industry,
    ItemReason,
    Kind,
    PlayedItem,
    PlayRequest,
    Programme,
    ProgrammeItem,
    ProgrammeState,
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
        raise ValidationError(_("The file is damaged or cannot be read; check it and upload it again.")) from exc
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
        raise ValidationError(_("The file is damaged or cannot be read; check it and upload it again.")) from exc
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
