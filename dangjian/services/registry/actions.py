"""Changes of state in the registry. Each act is atomic, checks the actor's scope and leaves an audit record.

Audit records never carry a full ID number or phone: only their masked forms.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dangjian.core import audit
from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.permissions import scope_for
from dangjian.publicity.models import NoticePage
from dangjian.services.dues.rules import Category
from dangjian.services.registry import crypto
from dangjian.services.registry.access import EDIT_KINDS, REVEAL_KINDS, role_for
from dangjian.services.registry.choices import ETHNICITY_CHOICES, MEMBER_STAGES, Gender, Stage, Status
from dangjian.services.registry.identity import mask_id, mask_phone, normalise_mobile, parse_id_number
from dangjian.services.registry.models import (
    Appointment,
    AppointmentKind,
    FamilyMember,
    Person,
    Position,
    RewardPunishment,
    SavedSearch,
    Sequence,
    Tag,
    Talent,
    Transfer,
    TransferState,
)
from dangjian.services.registry.pinyin import name_pinyin
from dangjian.services.registry.retirement import add_months

#: Units a party member's organisational relation may sit in.
MEMBER_UNIT_KINDS = (UnitKind.BRANCH, UnitKind.GENERAL_BRANCH, UnitKind.COMMITTEE)
ETHNICITY_CODES = frozenset(code for code, _label in ETHNICITY_CHOICES)
# Sets built once: an enum's `.values` builds a new list on every call, which an import of 100,000 rows feels.
GENDERS, STAGES, STATUSES, CATEGORIES = (frozenset(c.values) for c in (Gender, Stage, Status, Category))
TAG_LENGTH = Tag._meta.get_field("name").max_length or 50


@dataclass
class PersonData:
    """Everything a person's record holds, as typed values; `clean()` normalises and checks it."""

    name: str
    branch: Unit
    gender: str = ""
    ethnicity: str = "01"
    birth_date: date | None = None
    id_number: str = ""
    native_place: str = ""
    degree: str = ""
    school: str = ""
    major: str = ""
    education_start: date | None = None
    education_end: date | None = None
    phone: str = ""
    address: str = ""
    work_unit: str = ""
    stage: str = Stage.FULL
    applied_date: date | None = None
    activist_date: date | None = None
    candidate_date: date | None = None
    joined_date: date | None = None
    full_member_date: date | None = None
    status: str = Status.NORMAL
    category: str = Category.FARMER
    is_cadre: bool = False
    tags: list[str] = field(default_factory=list)

    def clean(self, *, today: date | None = None) -> PersonData:
        """A normalised copy; raises ValidationError({field: [messages]}) listing every problem."""
        errors: dict[str, list[str]] = {}
        today = today or timezone.localdate()
        out = replace(self, name=" ".join(self.name.split()), tags=sorted({t.strip() for t in self.tags if t.strip()}))
        if not out.name:
            errors.setdefault("name", []).append(_("The name is required."))
        too_long = [t for t in out.tags if len(t) > TAG_LENGTH]
        if too_long:
            errors.setdefault("tags", []).append(
                _("A tag has at most %(n)s characters: “%(tag)s”.") % {"n": TAG_LENGTH, "tag": too_long[0]}
            )
        if out.id_number:
            try:
                parsed = parse_id_number(out.id_number, today=today)
            except ValidationError as exc:
                errors.setdefault("id_number", []).extend(exc.messages)
            else:
                out.id_number = parsed.number
                if out.birth_date and out.birth_date != parsed.birth_date:
                    errors.setdefault("birth_date", []).append(
                        _("The date of birth does not match the ID number (%(date)s).")
                        % {"date": parsed.birth_date.isoformat()}
                    )
                if out.gender and out.gender != parsed.gender:
                    errors.setdefault("gender", []).append(_("The gender does not match the ID number."))
                out.birth_date = out.birth_date or parsed.birth_date
                out.gender = out.gender or parsed.gender
        if out.gender not in GENDERS and "id_number" not in errors:
            errors.setdefault("gender", []).append(_("The gender is required."))
        if out.ethnicity not in ETHNICITY_CODES:
            errors.setdefault("ethnicity", []).append(_("Unknown ethnic group."))
        if out.phone:
            try:
                out.phone = normalise_mobile(out.phone)
            except ValidationError as exc:
                errors.setdefault("phone", []).extend(exc.messages)
        if out.stage not in STAGES:
            errors.setdefault("stage", []).append(_("Unknown development stage."))
        if out.status not in STATUSES:
            errors.setdefault("status", []).append(_("Unknown status."))
        if out.category and out.category not in CATEGORIES:
            errors.setdefault("category", []).append(_("Unknown dues category."))
        if out.stage in MEMBER_STAGES:
            if out.branch.kind not in MEMBER_UNIT_KINDS:
                errors.setdefault("branch", []).append(
                    _("A party member belongs to a party branch, general branch or committee, not to a %(kind)s.")
                    % {"kind": UnitKind(out.branch.kind).label}
                )
            if out.joined_date is None:
                errors.setdefault("joined_date", []).append(_("A party member needs the date of joining."))
            if out.stage == Stage.FULL and out.full_member_date is None:
                errors.setdefault("full_member_date", []).append(_("A full member needs the date of becoming full."))
        chain = ["applied_date", "activist_date", "candidate_date", "joined_date", "full_member_date"]
        dated = [(n, getattr(out, n)) for n in chain if getattr(out, n)]
        for (_a, earlier), (b, later) in itertools.pairwise(dated):
            if later < earlier:
                errors.setdefault(b, []).append(_("The development dates must follow each other in order."))
        if out.education_start and out.education_end and out.education_end < out.education_start:
            errors.setdefault("education_end", []).append(_("The studies end before they start."))
        if out.birth_date and out.birth_date > today:
            errors.setdefault("birth_date", []).append(_("The date of birth is in the future."))
        if errors:
            raise ValidationError(errors)
        return out


PLAIN_FIELDS = tuple(f.name for f in fields(PersonData) if f.name not in {"branch", "tags", "id_number", "phone"})


def snapshot(person: Person) -> dict[str, Any]:
    """The record as the audit chain keeps it: identifiers masked."""
    data: dict[str, Any] = {name: getattr(person, name) for name in PLAIN_FIELDS}
    data.update(branch=person.branch_id, id_number=mask_id(person.id_number), phone=mask_phone(person.phone))
    return data


def _require(actor: User | None, unit: Unit, kinds=EDIT_KINDS) -> str:
    scope = scope_for(actor)
    if actor is not None:
        scope.require(unit, kinds)
    return role_for(scope, unit, kinds)


def _apply(person: Person, data: PersonData) -> None:
    for name in PLAIN_FIELDS:
        setattr(person, name, getattr(data, name))
    person.branch = data.branch
    person.id_number = data.id_number
    person.id_index = crypto.blind_index("id", data.id_number)
    person.phone = data.phone
    person.phone_index = crypto.blind_index("phone", data.phone)
    person.name_pinyin, person.name_initials = name_pinyin(data.name)
    person.updated_at = timezone.now()


def _check_unique_id(data: PersonData, exclude_pk: int | None = None) -> None:
    if not data.id_number:
        return
    clash = Person.objects.with_id_index(crypto.blind_index("id", data.id_number))
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"id_number": [_("A person with this ID number is already in the registry.")]})


def _set_tags(person: Person, names: list[str]) -> None:
    Tag.objects.bulk_create([Tag(name=n) for n in names], ignore_conflicts=True)
    person.tags.set(list(Tag.objects.filter(name__in=names)))


@transaction.atomic
def create_person(*, actor: User | None, data: PersonData) -> Person:
    role = _require(actor, data.branch)
    data = data.clean()
    _check_unique_id(data)
    person = Person()
    _apply(person, data)
    person.save()
    if data.tags:
        _set_tags(person, data.tags)
    audit.record(actor=actor, verb="person.create", obj=person, unit=person.branch, role=role, after=snapshot(person))
    return person


@transaction.atomic
def update_person(*, actor: User | None, person: Person, data: PersonData) -> Person:
    person = Person.objects.select_for_update().get(pk=person.pk)
    role = _require(actor, person.branch)
    if data.branch.pk != person.branch_id:
        raise ValidationError({"branch": [_("A member moves to another branch only by a transfer letter.")]})
    data = data.clean()
    _check_unique_id(data, exclude_pk=person.pk)
    before = snapshot(person)
    _apply(person, data)
    person.save()
    _set_tags(person, data.tags)
    after = snapshot(person)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit.record(
            actor=actor,
            verb="person.update",
            obj=person,
            unit=person.branch,
            role=role,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return person


@transaction.atomic
def set_status(*, actor: User | None, person: Person, status: str, reason: str = "") -> Person:
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    person = Person.objects.select_for_update().get(pk=person.pk)
    role = _require(actor, person.branch)
    before = person.status
    if before == status:
        return person
    person.status, person.updated_at = status, timezone.now()
    person.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        verb="person.set_status",
        obj=person,
        unit=person.branch,
        role=role,
        before={"status": before},
        after={"status": status, "reason": reason},
    )
    return person


def move_person(*, actor: User | None, person: Person, branch: Unit, reason: str) -> Person:
    """Move a person's record to another unit; called by the transfer actions inside their transaction."""
    before = person.branch_id
    person.branch, person.updated_at = branch, timezone.now()
    person.save(update_fields=["branch", "updated_at"])
    audit.record(
        actor=actor,
        verb="person.move",
        obj=person,
        unit=branch,
        before={"branch": before},
        after={"branch": branch.pk, "reason": reason},
    )
    return person


@transaction.atomic
def reveal_identifiers(*, actor: User, person: Person) -> dict[str, str]:
    """The full ID number and phone for a role with a need to see them; every call is audit-logged."""
    role = _require(actor, person.branch, REVEAL_KINDS)
    audit.record(actor=actor, verb="person.reveal", obj=person, unit=person.branch, role=role)
    return {"id_number": person.id_number, "phone": person.phone}


# --- record tabs (奖惩, 职务, 任免, 家庭成员, 人才) ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A value as the audit record keeps it: a related row by its key."""
    return value.pk if isinstance(value, models.Model) else value


def _part_audit(actor: User | None, verb: str, part, person: Person, role: str, after: dict) -> None:
    audit.record(actor=actor, verb=verb, obj=part, unit=person.branch, role=role, after={"person": person.pk, **after})


def _checked(model, **values):
    obj = model(**values)
    obj.full_clean(exclude=["person"])
    return obj


def _locked(part):
    """A record tab's row as stored, locked for the change: a bound form may have set attributes on the object."""
    return type(part).objects.select_for_update(of=("self",)).select_related("person__branch").get(pk=part.pk)


def _change_part(actor: User | None, part, verb: str, **values: Any):
    """Set `values` on a record tab's row, check it, save it and record what changed (nothing if nothing did)."""
    part = _locked(part)
    person = part.person
    role = _require(actor, person.branch)
    before = {name: _plain(getattr(part, name)) for name in values}
    for name, value in values.items():
        setattr(part, name, value)
    part.full_clean(exclude=["person"])
    changed = [name for name, value in values.items() if _plain(value) != before[name]]
    if changed:
        part.save(update_fields=changed)
        audit.record(
            actor=actor, verb=verb, obj=part, unit=person.branch, role=role,
            before={name: before[name] for name in changed},
            after={"person": person.pk, **{name: _plain(values[name]) for name in changed}},
        )  # fmt: skip
    return part


def _remove_part(actor: User | None, part, verb: str, kept: tuple[str, ...]) -> None:
    """Delete a record tab's row; the audit record keeps `kept` of it."""
    part = _locked(part)
    person = part.person
    role = _require(actor, person.branch)
    audit.record(
        actor=actor, verb=verb, obj=part, unit=person.branch, role=role,
        before={"person": person.pk, **{name: _plain(getattr(part, name)) for name in kept}},
    )  # fmt: skip
    part.delete()


@transaction.atomic
def add_reward(
    *, actor: User | None, person: Person, kind: str, title: str, date: date, authority: str = "", reason: str = ""
) -> RewardPunishment:
    role = _require(actor, person.branch)
    obj = _checked(
        RewardPunishment, person=person, kind=kind, title=title, date=date, authority=authority, reason=reason
    )
    obj.save()
    _part_audit(actor, "person.add_reward", obj, person, role, {"kind": kind, "title": title, "date": date})
    return obj


@transaction.atomic
def update_reward(
    *,
    actor: User | None,
    reward: RewardPunishment,
    kind: str,
    title: str,
    date: date,
    authority: str = "",
    reason: str = "",
) -> RewardPunishment:
    return _change_part(
        actor, reward, "person.update_reward", kind=kind, title=title, date=date, authority=authority, reason=reason
    )


@transaction.atomic
def add_position(
    *,
    actor: User | None,
    person: Person,
    title: str,
    start: date,
    unit: Unit | None = None,
    organisation: str = "",
    rank: str = "",
    end: date | None = None,
    term_years: int | None = None,
) -> Position:
    role = _require(actor, person.branch)
    obj = _checked(
        Position, person=person, title=title, start=start, unit=unit, organisation=organisation, rank=rank, end=end,
        term_years=term_years,
    )  # fmt: skip
    obj.save()
    _part_audit(actor, "person.add_position", obj, person, role, {"title": title, "rank": rank, "start": start})
    return obj


@transaction.atomic
def update_position(
    *,
    actor: User | None,
    position: Position,
    title: str,
    start: date,
    unit: Unit | None = None,
    organisation: str = "",
    rank: str = "",
    end: date | None = None,
    term_years: int | None = None,
) -> Position:
    return _change_part(
        actor, position, "person.update_position", title=title, start=start, unit=unit, organisation=organisation,
        rank=rank, end=end, term_years=term_years,
    )  # fmt: skip


@transaction.atomic
def end_position(*, actor: User | None, position: Position, end: date) -> Position:
    """The post is no longer held from `end` on (a removal recorded as 任免 does this too)."""
    current = _locked(position)
    _require(actor, current.person.branch)
    if current.end is not None:
        raise ValidationError(_("This post already ended on %(date)s.") % {"date": current.end.isoformat()})
    return _change_part(actor, current, "person.end_position", end=end)


def _check_notice(actor: User | None, notice: NoticePage | None) -> None:
    if notice is None or actor is None:
        return
    from dangjian.publicity.queries import visible_pages

    if not visible_pages(actor, NoticePage).filter(pk=notice.pk).exists():
        raise ValidationError({"notice": [_("That notice is not published where you can read it.")]})


@transaction.atomic
def record_appointment(
    *,
    actor: User | None,
    person: Person,
    kind: str,
    title: str,
    date: date,
    unit: Unit | None = None,
    document: str = "",
    notice: NoticePage | None = None,
    notice_url: str = "",
    rank: str = "",
    term_years: int | None = None,
) -> Appointment:
    """任免: an appointment also opens the post (with `rank` and `term_years`); a removal ends the open post of the
    same title. An appointment linked to its 任前公示 is dated after the notice period."""
    role = _require(actor, person.branch)
    _check_notice(actor, notice)
    obj = _checked(
        Appointment, person=person, kind=kind, title=title, date=date, unit=unit, document=document, notice=notice,
        notice_url=notice_url,
    )  # fmt: skip
    obj.save()
    if kind == AppointmentKind.APPOINT:
        _checked(Position, person=person, title=title, unit=unit, start=date, rank=rank, term_years=term_years).save()
    else:
        Position.objects.filter(person=person, title=title, end__isnull=True, start__lte=date).update(end=date)
    if not person.is_cadre:
        Person.objects.filter(pk=person.pk).update(is_cadre=True)
        person.is_cadre = True
    _part_audit(
        actor, f"person.{kind}", obj, person, role,
        {"title": title, "date": date, "document": document, "notice": _plain(notice)},
    )  # fmt: skip
    return obj


@transaction.atomic
def update_appointment(
    *,
    actor: User | None,
    appointment: Appointment,
    document: str = "",
    notice: NoticePage | None = None,
    notice_url: str = "",
) -> Appointment:
    """Correct the document number or the notice of a 任免 record. Its kind, post and date opened or closed a post,
    so they stay: a wrong record is answered by the next one and the post corrected on the positions tab."""
    _require(actor, appointment.person.branch)
    _check_notice(actor, notice)
    return _change_part(
        actor, appointment, "person.update_appointment", document=document, notice=notice, notice_url=notice_url
    )


@transaction.atomic
def add_family_member(
    *,
    actor: User | None,
    person: Person,
    relation: str,
    name: str,
    birth_date: date | None = None,
    political_status: str = "",
    work: str = "",
) -> FamilyMember:
    role = _require(actor, person.branch)
    obj = _checked(
        FamilyMember, person=person, relation=relation, name=name, birth_date=birth_date,
        political_status=political_status, work=work,
    )  # fmt: skip
    obj.save()
    _part_audit(actor, "person.add_family", obj, person, role, {"relation": relation, "name": name})
    return obj


@transaction.atomic
def update_family_member(
    *,
    actor: User | None,
    family_member: FamilyMember,
    relation: str,
    name: str,
    birth_date: date | None = None,
    political_status: str = "",
    work: str = "",
) -> FamilyMember:
    return _change_part(
        actor, family_member, "person.update_family", relation=relation, name=name, birth_date=birth_date,
        political_status=political_status, work=work,
    )  # fmt: skip


@transaction.atomic
def remove_family_member(*, actor: User | None, family_member: FamilyMember) -> None:
    _remove_part(actor, family_member, "person.remove_family", ("relation", "name"))


def _check_talent_category(person_id: int, category: str, exclude_pk: int | None = None) -> None:
    clash = Talent.objects.filter(person_id=person_id, category=category)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"category": [_("This person is already listed in that talent category.")]})


@transaction.atomic
def add_talent(*, actor: User | None, person: Person, category: str, skills: str = "", title: str = "") -> Talent:
    role = _require(actor, person.branch)
    _check_talent_category(person.pk, category)
    obj = _checked(Talent, person=person, category=category, skills=skills, title=title)
    obj.save()
    _part_audit(actor, "person.add_talent", obj, person, role, {"category": category, "title": title})
    return obj


@transaction.atomic
def update_talent(*, actor: User | None, talent: Talent, category: str, skills: str = "", title: str = "") -> Talent:
    _check_talent_category(talent.person_id, category, exclude_pk=talent.pk)
    return _change_part(actor, talent, "person.update_talent", category=category, skills=skills, title=title)


@transaction.atomic
def remove_talent(*, actor: User | None, talent: Talent) -> None:
    """The person no longer counts in this talent category."""
    _remove_part(actor, talent, "person.remove_talent", ("category", "title", "skills"))


@transaction.atomic
def save_search(*, actor: User, name: str, unit: Unit, filters: dict[str, Any]) -> SavedSearch:
    from dangjian.services.registry.queries import SearchFilters

    scope = scope_for(actor)
    scope.require(unit)
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Give the saved search a name.")]})
    clean = SearchFilters.from_dict(filters).to_dict()
    if SavedSearch.objects.filter(unit=unit, name=name).exists():
        raise ValidationError({"name": [_("A saved search of that name already exists for this unit.")]})
    saved = SavedSearch.objects.create(name=name, unit=unit, owner=actor, filters=clean)
    audit.record(actor=actor, verb="registry.save_search", obj=saved, unit=unit, after={"name": name, **clean})
    return saved


@transaction.atomic
def delete_search(*, actor: User, saved: SavedSearch) -> None:
    scope_for(actor).require(saved.unit)
    if saved.owner_id != actor.pk and not scope_for(actor).covers(saved.unit, EDIT_KINDS):
        raise PermissionDenied
    audit.record(actor=actor, verb="registry.delete_search", obj=saved, unit=saved.unit, before=saved.filters)
    saved.delete()


def next_in_sequence(key: str) -> int:
    """The next number of a numbered series; call inside the caller's transaction (the row stays locked)."""
    Sequence.objects.get_or_create(key=key)
    Sequence.objects.filter(key=key).update(last=F("last") + 1)
    return Sequence.objects.select_for_update().get(key=key).last


#: A letter's validity when none is given, and the longest allowed. The receipt is due one month after issue.
DEFAULT_VALID_DAYS, MAX_VALID_DAYS = 30, 90


@transaction.atomic
def issue_transfer(
    *,
    actor: User | None,
    person: Person,
    issued_on: date,
    to_branch: Unit | None = None,
    to_organisation: str = "",
    valid_days: int = DEFAULT_VALID_DAYS,
    reason: str = "",
) -> Transfer:
    """Issue an introduction letter: to a branch in the county (accepted online) or to an organisation outside it
    (printed). The member stays in the branch until the letter is received."""
    person = Person.objects.select_for_update().get(pk=person.pk)
    role = _require(actor, person.branch)
    to_organisation = " ".join(to_organisation.split())
    if not person.is_member or person.status != Status.NORMAL:
        raise ValidationError(_("Only a party member in normal standing can be transferred."))
    if to_branch is None and not to_organisation:
        raise ValidationError(
            {"to_branch": [_("Choose the receiving branch, or name the organisation outside the county.")]}
        )
    if to_branch is not None and to_organisation:
        raise ValidationError(
            {"to_organisation": [_("Either a branch in the county or an organisation outside it, not both.")]}
        )
    if to_branch is not None:
        if to_branch.kind not in MEMBER_UNIT_KINDS or not to_branch.is_active:
            raise ValidationError(
                {"to_branch": [_("A member is transferred to a party branch, general branch or committee.")]}
            )
        if to_branch.pk == person.branch_id:
            raise ValidationError({"to_branch": [_("The member already belongs to that branch.")]})
    if not 1 <= valid_days <= MAX_VALID_DAYS:
        raise ValidationError({"valid_days": [_("A letter is valid for 1 to %(max)s days.") % {"max": MAX_VALID_DAYS}]})
    if issued_on > timezone.localdate():
        raise ValidationError({"issued_on": [_("The letter cannot be dated in the future.")]})
    if Transfer.objects.filter(person=person, state=TransferState.ISSUED).exists():
        raise ValidationError(_("This member already has a letter that is not yet received; cancel it first."))
    number = f"{issued_on.year}-{next_in_sequence(f'transfer:{issued_on.year}'):05d}"
    transfer = Transfer.objects.create(
        person=person, number=number, from_branch=person.branch, to_branch=to_branch,
        to_organisation=to_organisation, reason=reason.strip()[:200], issued_on=issued_on,
        valid_until=issued_on + timedelta(days=valid_days), receipt_due=add_months(issued_on, 1), issued_by=actor,
    )  # fmt: skip
    audit.record(
        actor=actor, verb="transfer.issue", obj=transfer, unit=person.branch, role=role,
        after={"person": person.pk, "to_branch": to_branch.pk if to_branch else None,
               "to_organisation": to_organisation, "valid_until": transfer.valid_until},
    )  # fmt: skip
    return transfer


def _open_transfer(transfer: Transfer) -> Transfer:
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("person", "from_branch", "to_branch")
        .get(pk=transfer.pk)
    )
    if transfer.state != TransferState.ISSUED:
        raise ValidationError(_("This letter is already %(state)s.") % {"state": transfer.get_state_display()})
    return transfer


@transaction.atomic
def receive_transfer(*, actor: User | None, transfer: Transfer, on: date) -> Transfer:
    """The receiving branch in the county accepts the letter: the member moves, the receipt is returned."""
    transfer = _open_transfer(transfer)
    if not transfer.within_county:
        raise ValidationError(_("A letter to outside the county is closed by recording its returned receipt."))
    role = _require(actor, transfer.to_branch)
    if on < transfer.issued_on:
        raise ValidationError({"on": [_("The letter cannot be received before it was issued.")]})
    if on > transfer.valid_until:
        raise ValidationError(_("The letter expired on %(date)s: the sending branch must issue a new one.")
                              % {"date": transfer.valid_until.isoformat()})  # fmt: skip
    person = Person.objects.select_for_update().get(pk=transfer.person_id)
    move_person(actor=actor, person=person, branch=transfer.to_branch, reason=f"transfer {transfer.number}")
    transfer.state, transfer.received_on = TransferState.RECEIVED, on
    transfer.save(update_fields=["state", "received_on"])
    audit.record(actor=actor, verb="transfer.receive", obj=transfer, unit=transfer.to_branch, role=role,
                 after={"person": person.pk, "on": on})  # fmt: skip
    return transfer


@transaction.atomic
def record_receipt(*, actor: User | None, transfer: Transfer, on: date) -> Transfer:
    """The receipt of a letter to outside the county came back: the member is transferred out."""
    transfer = _open_transfer(transfer)
    if transfer.within_county:
        raise ValidationError(_("A letter within the county is closed by the receiving branch accepting it."))
    role = _require(actor, transfer.from_branch)
    if on < transfer.issued_on or on > timezone.localdate():
        raise ValidationError({"on": [_("The receipt date must lie between the issue date and today.")]})
    person = Person.objects.select_for_update().get(pk=transfer.person_id)
    person.status, person.updated_at = Status.TRANSFERRED_OUT, timezone.now()
    person.save(update_fields=["status", "updated_at"])
    transfer.state, transfer.received_on = TransferState.RECEIVED, on
    transfer.save(update_fields=["state", "received_on"])
    audit.record(actor=actor, verb="transfer.receipt", obj=transfer, unit=transfer.from_branch, role=role,
                 after={"person": person.pk, "on": on, "status": Status.TRANSFERRED_OUT})  # fmt: skip
    return transfer


@transaction.atomic
def cancel_transfer(*, actor: User | None, transfer: Transfer, reason: str) -> Transfer:
    transfer = _open_transfer(transfer)
    role = _require(actor, transfer.from_branch)
    if not reason.strip():
        raise ValidationError({"reason": [_("Give the reason for cancelling the letter.")]})
    transfer.state = TransferState.CANCELLED
    transfer.save(update_fields=["state"])
    audit.record(actor=actor, verb="transfer.cancel", obj=transfer, unit=transfer.from_branch, role=role,
                 after={"reason": reason.strip()})  # fmt: skip
    return transfer
