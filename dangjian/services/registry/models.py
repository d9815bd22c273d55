"""The registry: people (members, cadres, talents) with their record tabs, saved searches, imports, transfers.

Personal identifiers (公民身份号码, phone) are stored encrypted, with a blind index for exact search
(see crypto.py); every other field is plain and indexed where the search needs it.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Unit
from dangjian.core.permissions import ScopedQuerySet
from dangjian.publicity.models import NoticeKind, NoticePage
from dangjian.services.dues.rules import Category
from dangjian.services.registry.choices import (
    ETHNICITY_CHOICES,
    MEMBER_STAGES,
    Degree,
    Gender,
    Rank,
    Relation,
    Stage,
    Status,
    TalentCategory,
)
from dangjian.services.registry.crypto import EncryptedCharField
from dangjian.services.registry.identity import mask_id, mask_phone


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


#: The condition of the unique index of ID numbers (people without one are many). A lookup repeats it: SQLite uses
#: a partial index only for a query whose WHERE holds the index's own condition, and PostgreSQL proves it from an
#: IN list of at most 100 values; without it each lookup by ID number read the whole table.
HAS_ID_NUMBER = ~Q(id_index="")


class PersonQuerySet(ScopedQuerySet):
    def with_id_index(self, *keys: str) -> PersonQuerySet:
        """The people whose ID numbers have these blind indexes (`crypto.blind_index("id", …)`)."""
        return self.filter(HAS_ID_NUMBER, id_index__in=keys)

    def members(self) -> PersonQuerySet:
        return self.filter(stage__in=MEMBER_STAGES)

    def active(self) -> PersonQuerySet:
        return self.filter(status__in=[Status.NORMAL, Status.LOST_CONTACT])


def _ordered(earlier: str, later: str) -> Q:
    return Q(**{f"{earlier}__isnull": True}) | Q(**{f"{later}__isnull": True}) | Q(**{f"{earlier}__lte": F(later)})


class Person(models.Model):
    """One person in the registry with the member record (基本信息, 扩展信息, 培养发展)."""

    name = models.CharField(_("name"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=200, db_index=True, editable=False)
    name_initials = models.CharField(_("pinyin initials"), max_length=50, db_index=True, editable=False)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    ethnicity = models.CharField(_("ethnic group"), max_length=2, choices=ETHNICITY_CHOICES, default="01")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    id_number = EncryptedCharField(_("ID number"), blank=True)
    id_index = models.CharField(max_length=64, blank=True, editable=False)
    native_place = models.CharField(_("native place"), max_length=100, blank=True)
    degree = models.CharField(_("education"), max_length=12, choices=Degree.choices, blank=True)
    school = models.CharField(_("school"), max_length=100, blank=True)
    major = models.CharField(_("major"), max_length=100, blank=True)
    education_start = models.DateField(_("studies from"), null=True, blank=True)
    education_end = models.DateField(_("studies until"), null=True, blank=True)
    phone = EncryptedCharField(_("mobile phone"), blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    work_unit = models.CharField(_("work unit and post"), max_length=200, blank=True)
    branch = models.ForeignKey(
        Unit, verbose_name=_("party branch or unit"), on_delete=models.PROTECT, related_name="people"
    )
    stage = models.CharField(_("development stage"), max_length=12, choices=Stage.choices, default=Stage.FULL)
    applied_date = models.DateField(_("applied to join"), null=True, blank=True)
    activist_date = models.DateField(_("became activist"), null=True, blank=True)
    candidate_date = models.DateField(_("became candidate"), null=True, blank=True)
    joined_date = models.DateField(_("joined the party"), null=True, blank=True)
    full_member_date = models.DateField(_("became full member"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.NORMAL)
    category = models.CharField(
        _("dues category"), max_length=12, choices=Category.choices, default=Category.FARMER, blank=True
    )
    is_cadre = models.BooleanField(_("cadre"), default=False)
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="people")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    objects = PersonQuerySet.as_manager()
    unit_field: ClassVar[str] = "branch"

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_pinyin", "id"]
        indexes = [
            models.Index(fields=["branch", "status"], name="person_branch_status_idx"),
            models.Index(fields=["stage", "status"], name="person_stage_status_idx"),
            # The cadre alerts read cadres by date of birth on every workbench load: a small index of cadres only.
            models.Index(fields=["birth_date"], condition=Q(is_cadre=True), name="person_cadre_birth_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["id_index"], condition=HAS_ID_NUMBER, name="person_unique_id_number"),
            models.CheckConstraint(condition=~Q(name=""), name="person_name_not_empty"),
            models.CheckConstraint(condition=_ordered("applied_date", "activist_date"), name="person_applied_first"),
            models.CheckConstraint(condition=_ordered("activist_date", "candidate_date"), name="person_activist_first"),
            models.CheckConstraint(condition=_ordered("candidate_date", "joined_date"), name="person_candidate_first"),
            models.CheckConstraint(condition=_ordered("joined_date", "full_member_date"), name="person_joined_first"),
            models.CheckConstraint(
                condition=~Q(stage__in=MEMBER_STAGES) | Q(joined_date__isnull=False), name="person_member_joined"
            ),
            models.CheckConstraint(
                condition=~Q(stage=Stage.FULL) | Q(full_member_date__isnull=False), name="person_full_member_date"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_member(self) -> bool:
        return self.stage in MEMBER_STAGES

    @property
    def id_number_masked(self) -> str:
        return mask_id(self.id_number)

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone)

    def age(self, on: date | None = None) -> int | None:
        if self.birth_date is None:
            return None
        on = on or timezone.localdate()
        b = self.birth_date
        return on.year - b.year - ((on.month, on.day) < (b.month, b.day))


class PersonPart(models.Model):
    """Base of a record tab: belongs to one person, scoped by the person's branch."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "person__branch"

    class Meta:
        abstract = True


class RewardKind(models.TextChoices):
    REWARD = "reward", _("Reward")
    PUNISHMENT = "punishment", _("Punishment")


class RewardPunishment(PersonPart):
    """奖惩: a commendation or a disciplinary sanction."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="rewards")
    kind = models.CharField(_("kind"), max_length=10, choices=RewardKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"))
    authority = models.CharField(_("decided by"), max_length=100, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("reward or punishment")
        verbose_name_plural = _("rewards and punishments")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("The decision cannot be dated in the future.")})


class Position(PersonPart):
    """职务: a post held, with rank for cadres; `end` empty while held. `term_years` drives term alerts."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="positions")
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=100)
    rank = models.CharField(_("rank"), max_length=16, choices=Rank.choices, blank=True)
    start = models.DateField(_("from"))
    end = models.DateField(_("until"), null=True, blank=True)
    term_years = models.PositiveSmallIntegerField(
        _("term in years"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )

    class Meta:
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(end__isnull=True) | Q(end__gte=F("start")), name="position_dates")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("A post cannot end before it starts.")})

    def term_end(self) -> date | None:
        if not self.term_years:
            return None
        try:
            return self.start.replace(year=self.start.year + self.term_years)
        except ValueError:  # 29 February
            return self.start.replace(year=self.start.year + self.term_years, day=28)


class AppointmentKind(models.TextChoices):
    APPOINT = "appoint", _("Appointment")
    REMOVE = "remove", _("Removal")


class Appointment(PersonPart):
    """任免记录: an appointment or removal, with the document and the pre-appointment public notice (任前公示)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="appointments")
    kind = models.CharField(_("kind"), max_length=10, choices=AppointmentKind.choices)
    title = models.CharField(_("post"), max_length=100)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    date = models.DateField(_("date"))
    document = models.CharField(_("document number"), max_length=100, blank=True)
    notice = models.ForeignKey(
        NoticePage,
        verbose_name=_("pre-appointment notice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"kind": NoticeKind.PRE_APPOINTMENT},
        help_text=_("The notice (任前公示) published on this site before the appointment."),
    )
    notice_url = models.CharField(
        _("public notice"),
        max_length=300,
        blank=True,
        help_text=_("Link to a pre-appointment public notice published elsewhere."),
        validators=[RegexValidator(r"^(https?://|/)", _("Give a web address starting with http://, https:// or /."))],
    )

    class Meta:
        verbose_name = _("appointment or removal")
        verbose_name_plural = _("appointments and removals")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.title}"

    def clean(self) -> None:
        try:
            notice = self.notice
        except NoticePage.DoesNotExist:  # an unknown page: clean_fields() reports it
            return
        if notice is None:
            return
        if notice.kind != NoticeKind.PRE_APPOINTMENT:
            raise ValidationError({"notice": _("Choose a pre-appointment notice (任前公示).")})
        end = notice.period_end
        if self.kind == AppointmentKind.APPOINT and self.date and end and self.date <= end:
            raise ValidationError(
                {"date": _("The appointment comes after the notice period, which ends on %(date)s.")
                 % {"date": end.isoformat()}}
            )  # fmt: skip


class FamilyMember(PersonPart):
    """家庭成员及主要社会关系."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="family")
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    name = models.CharField(_("name"), max_length=50)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    political_status = models.CharField(_("political status"), max_length=50, blank=True)
    work = models.CharField(_("work unit and post"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("family member")
        verbose_name_plural = _("family members")
        ordering = ["relation", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": _("The date of birth is in the future.")})


class Talent(PersonPart):
    """各类人才: one category of talent a person belongs to, with skills and professional title."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="talents")
    category = models.CharField(_("talent category"), max_length=20, choices=TalentCategory.choices)
    skills = models.CharField(_("skills"), max_length=300, blank=True)
    title = models.CharField(_("professional title"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("talent")
        verbose_name_plural = _("talents")
        ordering = ["category"]
        constraints = [models.UniqueConstraint(fields=["person", "category"], name="talent_unique_category")]

    def __str__(self) -> str:
        return f"{self.person} · {self.get_category_display()}"


class SavedSearch(models.Model):
    """A smart group: a named filter over the registry, evaluated afresh each time (the SMS platform reuses it)."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    filters = models.JSONField(_("filters"), default=dict)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("saved search")
        verbose_name_plural = _("saved searches")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["unit", "name"], name="savedsearch_unique_name")]

    def __str__(self) -> str:
        return self.name


class TransferState(models.TextChoices):
    ISSUED = "issued", _("Letter issued")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class Transfer(models.Model):
    """组织关系转接: an introduction letter (介绍信) with its stub (存根) and receipt (回执).

    Within the county the receiving branch accepts the letter online, which moves the member and returns the
    receipt at once; out of the county the letter is printed and the sending branch records the receipt when it
    comes back (the member then counts as transferred out). The receipt is due within one month of issue.
    """

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="transfers")
    number = models.CharField(_("letter number"), max_length=30, unique=True)
    from_branch = models.ForeignKey(
        Unit, verbose_name=_("from branch"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_branch = models.ForeignKey(
        Unit, verbose_name=_("to branch"), on_delete=models.PROTECT, null=True, blank=True, related_name="transfers_in"
    )
    to_organisation = models.CharField(_("receiving organisation (outside the county)"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    receipt_due = models.DateField(_("receipt due"))
    state = models.CharField(_("state"), max_length=10, choices=TransferState.choices, default=TransferState.ISSUED)
    received_on = models.DateField(_("receipt returned on"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("relation transfer")
        verbose_name_plural = _("relation transfers")
        ordering = ["-issued_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_branch__isnull=False) | ~Q(to_organisation=""), name="transfer_has_destination"
            ),
            models.CheckConstraint(condition=Q(valid_until__gte=F("issued_on")), name="transfer_valid_after_issue"),
            models.UniqueConstraint(
                fields=["person"], condition=Q(state="issued"), name="transfer_one_open_per_person"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def within_county(self) -> bool:
        return self.to_branch_id is not None

    def is_overdue(self, today: date | None = None) -> bool:
        return self.state == TransferState.ISSUED and (today or timezone.localdate()) > self.receipt_due


class Sequence(models.Model):
    """A numbered series (introduction letters of a year, a branch's dues receipts of a year): its last number,
    locked while the next is issued so numbers are never repeated or skipped."""

    key = models.CharField(max_length=80, unique=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.last}"


class ImportState(models.TextChoices):
    CHECKING = "checking", _("Checking")
    CHECKED = "checked", _("Checked")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class ImportKind(models.TextChoices):
    PEOPLE = "people", _("People (the member record)")
    POSITIONS = "positions", _("Cadres' positions")
    TALENTS = "talents", _("Talents")
    REWARDS = "rewards", _("Rewards and punishments")
    FAMILY = "family", _("Family members")


class ImportJob(models.Model):
    """An uploaded spreadsheet on its way in: checked in the background (progress in `done` of `total` rows),
    its problems listed by row, then imported by the owner's choice (all, or only the valid rows).

    `heartbeat_at` is set whenever progress is saved; a job whose heartbeat is stale and whose row no live import
    holds is failed by `tasks.sweep_stopped_imports` (its worker was killed), with `interrupted` set so the owner
    may start the import again."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE,
                              null=True, related_name="+")  # fmt: skip
    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices, default=ImportKind.PEOPLE)
    filename = models.CharField(_("file name"), max_length=200)
    content = models.BinaryField()
    digest = models.CharField(max_length=64)
    state = models.CharField(_("state"), max_length=10, choices=ImportState.choices, default=ImportState.CHECKING)
    only_valid = models.BooleanField(default=False)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list)  # [[row, column, reason], …]
    counts = models.JSONField(default=dict)
    error = models.TextField(blank=True)
    interrupted = models.BooleanField(default=False)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return min(100, round(self.done * 100 / self.total)) if self.total else 0
