"""The supervision supermarket's data: channels, letters and everything that happens to them, bulletins."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelsearch import index

from dangjian.core.models import Unit, User
from dangjian.core.permissions import ScopedQuerySet


class Channel(models.Model):
    """A way in for letters (书记信箱, 县长信箱, …) with its addressee, address, deadlines and publication rules."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    addressee = models.CharField(_("addressee"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("e-mail address"), blank=True, help_text=_("Mail to this address becomes a letter."))
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("receiving unit"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Where new letters wait to be dispatched (the supervision office's unit)."),
    )
    first_response_days = models.PositiveSmallIntegerField(_("days to the first follow-up"), default=3)
    result_days = models.PositiveSmallIntegerField(_("days to the handling result"), default=15)
    working_days = models.BooleanField(_("count working days"), default=True)
    is_published = models.BooleanField(_("letters are published"), default=True)
    accepts_anonymous = models.BooleanField(_("accepts anonymous letters"), default=True)
    is_confidential = models.BooleanField(
        _("confidential"), default=False, help_text=_("Letters of this channel are never published.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["position", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(first_response_days__gte=1), name="channel_first_days_positive"),
            models.CheckConstraint(
                condition=Q(result_days__gte=models.F("first_response_days")), name="channel_result_after_first"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("supervision:channel", args=[self.code])


class Category(models.TextChoices):
    CONSULTATION = "consultation", _("Consultation")
    SUGGESTION = "suggestion", _("Suggestion")
    COMPLAINT = "complaint", _("Complaint")
    REPORT = "report", _("Report of misconduct")
    PRAISE = "praise", _("Praise")
    OTHER = "other", _("Other")


class Source(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    NOTICE = "notice", _("Objection to a public notice")


class Status(models.TextChoices):
    RECEIVED = "received", _("Received")  # 受理: waiting for the office to dispatch
    DISPATCHED = "dispatched", _("Dispatched")  # 派单: at the lead unit
    FOLLOWED_UP = "followed_up", _("In progress")  # 办理: the unit has posted a follow-up
    AWAITING_SIGNOFF = "awaiting_signoff", _("Awaiting sign-off")
    ANSWERED = "answered", _("Answered")  # 回复: result signed off
    CLOSED = "closed", _("Closed")  # 办结: rated and not reopened


OPEN_STATUSES = (Status.RECEIVED, Status.DISPATCHED, Status.FOLLOWED_UP, Status.AWAITING_SIGNOFF)


class LetterQuerySet(ScopedQuerySet):
    def published(self) -> LetterQuerySet:
        return self.filter(published_at__isnull=False, channel__is_published=True, is_public=True)

    def open(self) -> LetterQuerySet:
        return self.filter(status__in=OPEN_STATUSES)


class Letter(index.Indexed, models.Model):
    """One letter from a citizen, from receipt to 办结. Its `unit` is whoever holds it now (office or lead unit)."""

    channel = models.ForeignKey(Channel, verbose_name=_("channel"), on_delete=models.PROTECT, related_name="letters")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    # Confidential channels: body, contact and attachment names live only here, encrypted (see sealing.py).
    body_sealed = models.BinaryField(_("sealed body"), null=True, blank=True, editable=False)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, default=Category.OTHER)
    area = models.ForeignKey(
        Unit,
        verbose_name=_("township or area"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.WEB)
    subject_ref = models.CharField(_("about"), max_length=200, blank=True, help_text=_("e.g. the public notice."))
    is_anonymous = models.BooleanField(_("anonymous"), default=False)
    is_public = models.BooleanField(_("may be published"), default=True)
    contact_name = models.CharField(_("name"), max_length=50, blank=True)
    contact_phone = models.CharField(_("telephone"), max_length=20, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    receipt_hash = models.CharField(_("receipt hash"), max_length=64, unique=True, editable=False)
    content_hash = models.CharField(max_length=64, db_index=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    unit = models.ForeignKey(Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, related_name="+")
    co_units = models.ManyToManyField(Unit, verbose_name=_("co-units"), blank=True, related_name="+")
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    first_response_due = models.DateTimeField(_("first follow-up due"))
    result_due = models.DateTimeField(_("result due"))
    first_response_at = models.DateTimeField(_("first follow-up at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Reminders and chasers already sent for the current due dates (cleared when a due date moves).
    first_reminded = models.BooleanField(default=False)
    result_reminded = models.BooleanField(default=False)
    first_chased = models.BooleanField(default=False)
    result_chased = models.BooleanField(default=False)
    extended = models.BooleanField(_("extended"), default=False)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    redactions = models.TextField(
        _("extra redactions"), blank=True, help_text=_("One phrase a line, masked in the public view.")
    )

    objects = LetterQuerySet.as_manager()

    unit_field: ClassVar[str] = "unit"

    # The index holds published letters only, kept by `actions._reindex` in the transaction that publishes or
    # withdraws: modelsearch's save handler would index every letter, unpublished and confidential ones too.
    search_auto_update = False
    search_fields = [
        index.SearchField("public_title"),
        index.SearchField("public_body"),
        index.FilterField("published_at"),
        index.FilterField("is_public"),
        index.FilterField("channel_id"),
    ]

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-received_at"]
        indexes = [
            # The deadline sweep reads only open letters near or past a due date: partial indexes keep it
            # proportional to the letters it touches, not to the whole table.
            models.Index(
                fields=["first_response_due"], name="letter_first_due_open", condition=Q(first_response_at__isnull=True)
            ),
            models.Index(fields=["result_due"], name="letter_result_due_open", condition=Q(answered_at__isnull=True)),
            # The morning sweep reads the letters still to remind or to chase: once flagged they leave these
            # indexes, so the sweep stays proportional to the day's work, not to every letter ever late.
            models.Index(
                fields=["first_response_due"],
                name="letter_first_to_remind",
                condition=Q(first_response_at__isnull=True, first_reminded=False),
            ),
            models.Index(
                fields=["first_response_due"],
                name="letter_first_to_chase",
                condition=Q(first_response_at__isnull=True, first_chased=False),
            ),
            models.Index(
                fields=["result_due"],
                name="letter_result_to_remind",
                condition=Q(answered_at__isnull=True, result_reminded=False),
            ),
            models.Index(
                fields=["result_due"],
                name="letter_result_to_chase",
                condition=Q(answered_at__isnull=True, result_chased=False),
            ),
            models.Index(fields=["unit", "status", "-received_at"], name="letter_unit_queue"),
            models.Index(fields=["channel", "-published_at"], name="letter_channel_published"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(result_due__gte=models.F("first_response_due")), name="letter_due_order"
            ),
            models.CheckConstraint(
                condition=Q(is_anonymous=False) | (Q(contact_name="") & Q(contact_phone="") & Q(contact_email="")),
                name="letter_anonymous_has_no_contact",
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(answered_at__isnull=False),
                name="letter_published_after_answer",
            ),
            models.CheckConstraint(condition=Q(reopened_count__lte=1), name="letter_reopened_once"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("supervision:letter", args=[self.pk])

    @property
    def public_body(self) -> str:
        """The body as the public sees it: personal data masked."""
        from dangjian.supervision.masking import mask

        return "" if self.channel.is_confidential else mask(self.body, self.redaction_terms())

    @property
    def public_title(self) -> str:
        from dangjian.supervision.masking import mask

        return mask(self.title, self.redaction_terms())

    def redaction_terms(self) -> list[str]:
        terms = [t.strip() for t in self.redactions.splitlines() if t.strip()]
        if self.contact_name:
            terms.append(self.contact_name)
        return terms

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_sealed(self) -> bool:
        return self.body_sealed is not None

    def first_response_late(self, now=None) -> bool:
        now = now or timezone.now()
        done = self.first_response_at
        return (done or now) > self.first_response_due

    def result_late(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.answered_at or now) > self.result_due

    @property
    def is_late(self) -> bool:
        return self.first_response_late() or self.result_late()


class FollowUp(models.Model):
    """A follow-up (跟帖) posted in a unit's name, shown publicly under the unit, never under the person."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="follow_ups")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("follow-up"))
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.unit}: {self.body[:30]}"


class Result(models.Model):
    """The handling result (处理结果) of the lead unit; published only once the unit head signed it off."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="results")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(User, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+")
    body = models.TextField(_("handling result"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    signed_off_by = models.ForeignKey(
        User, verbose_name=_("signed off by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("handling result")
        verbose_name_plural = _("handling results")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(signed_off_by__isnull=True, signed_off_at__isnull=True)
                | Q(signed_off_by__isnull=False, signed_off_at__isnull=False),
                name="result_signoff_complete",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.body[:30]}"


class LetterEvent(models.Model):
    """One line of a letter's history: every move, who made it in which unit, and why."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("time"), default=timezone.now)
    verb = models.CharField(_("event"), max_length=40)
    actor = models.ForeignKey(
        User, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "letter__unit"

    class Meta:
        verbose_name = _("letter event")
        verbose_name_plural = _("letter events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.verb} {self.at:%Y-%m-%d}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never carries the uploaded name (which may hold personal data or path tricks).
    return f"supervision/{timezone.now():%Y/%m}/{instance.sha256[:32]}"


class Attachment(models.Model):
    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    is_sealed = models.BooleanField(_("encrypted"), default=False)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "letter__unit"

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name


class LetterKey(models.Model):
    """A confidential letter's content key wrapped to one unit's key: that unit's officers may open the letter."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="keys")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    unit_key = models.ForeignKey(
        "securemail.UnitKey", verbose_name=_("unit key"), on_delete=models.PROTECT, related_name="+"
    )
    wrapped = models.BinaryField()
    created_at = models.DateTimeField(_("wrapped at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("letter key")
        verbose_name_plural = _("letter keys")
        constraints = [models.UniqueConstraint(fields=["letter", "unit_key"], name="letterkey_once_per_unit_key")]

    def __str__(self) -> str:
        return f"{self.letter_id} → {self.unit_key}"


class SpentChallenge(models.Model):
    """A proof-of-work challenge of the letter form already used (`supervision.pow`); nothing in it names anyone."""

    ident = models.CharField(max_length=24, unique=True)
    spent_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("spent challenge")
        verbose_name_plural = _("spent challenges")

    def __str__(self) -> str:
        return self.ident


class RatingValue(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class Rating(models.Model):
    """The citizen's rating of an answer (回访评价), one per round (the original answer, then after 重办)."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="ratings")
    round = models.PositiveSmallIntegerField(_("round"), default=0)
    value = models.CharField(_("rating"), max_length=12, choices=RatingValue.choices)
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("rated at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "letter__unit"

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["letter", "round"], name="rating_once_per_round")]

    def __str__(self) -> str:
        return self.get_value_display()


class DueKind(models.TextChoices):
    FIRST = "first", _("First follow-up")
    RESULT = "result", _("Handling result")


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class Extension(models.Model):
    """A unit's request for more time, asked before the deadline, granted or refused by the office."""

    letter = models.ForeignKey(Letter, verbose_name=_("letter"), on_delete=models.CASCADE, related_name="extensions")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    which = models.CharField(_("deadline"), max_length=10, choices=DueKind.choices)
    workdays = models.PositiveSmallIntegerField(_("extra working days"))
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(User, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=ExtensionState.choices, default="pending")
    decided_by = models.ForeignKey(
        User, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("extension")
        verbose_name_plural = _("extensions")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(condition=Q(workdays__gte=1) & Q(workdays__lte=30), name="extension_days_range"),
            models.UniqueConstraint(
                fields=["letter", "which"], condition=Q(state="pending"), name="extension_one_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} +{self.workdays}"


class Bulletin(models.Model):
    """通报批评: a month's list of units that missed deadlines, drafted by the sweep, published by a county leader."""

    month = models.DateField(_("month"), help_text=_("The first day of the month the bulletin covers."))
    title = models.CharField(_("title"), max_length=200)
    #: [{"unit": pk, "name": str, "first_late": n, "result_late": n, "letters": [[pk, title], ...]}, ...]
    entries = models.JSONField(_("units"), default=list)
    created_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        User, verbose_name=_("published by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("bulletin of criticism")
        verbose_name_plural = _("bulletins of criticism")
        ordering = ["-month", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["month"], condition=Q(published_at__isnull=True), name="bulletin_one_draft"
            ),
            models.CheckConstraint(
                condition=Q(published_at__isnull=True) | Q(published_by__isnull=False), name="bulletin_published_by"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return f"{reverse('supervision:criticism')}#b{self.pk}"


#: How each line of a letter's history reads (LetterEvent.verb).
EVENT_LABELS = {
    "received": _("Received"),
    "dispatched": _("Dispatched to a unit"),
    "returned": _("Sent back to the office"),
    "transfer_requested": _("Transfer requested"),
    "followed_up": _("Follow-up posted"),
    "result_written": _("Result written"),
    "result_sent_back": _("Result sent back by the head"),
    "signed_off": _("Result signed off and answered"),
    "extension_requested": _("Extension requested"),
    "extension_granted": _("Extension granted"),
    "extension_refused": _("Extension refused"),
    "due_recomputed": _("Due dates recomputed"),
    "rated": _("Rated"),
    "reopened": _("Reopened"),
    "redacted": _("Redacted"),
    "unredacted": _("Mask taken back"),
    "reminded": _("Reminder sent"),
    "chased": _("Chaser sent"),
}


class InterviewState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    LIVE = "live", _("Live")
    ARCHIVED = "archived", _("Archived")
    CANCELLED = "cancelled", _("Cancelled")


class Interview(models.Model):
    """在线访谈: a scheduled live session where guests (officials) answer the public's questions on a topic."""

    title = models.CharField(_("title"), max_length=200)
    topic = models.TextField(_("topic"))
    guests = models.CharField(_("guests"), max_length=300, help_text=_("Names and posts of the guests."))
    unit = models.ForeignKey(Unit, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    state = models.CharField(
        _("state"), max_length=10, choices=InterviewState.choices, default=InterviewState.SCHEDULED
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("online interview")
        verbose_name_plural = _("online interviews")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="interview_ends_after")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("supervision:interview", args=[self.pk])

    @property
    def is_open(self) -> bool:
        """Questions are taken and answers posted (scheduled or live; not archived or cancelled)."""
        return self.state in (InterviewState.SCHEDULED, InterviewState.LIVE)

    def can_edit(self, now=None) -> bool:
        """The office may still change the session: scheduled and not yet started."""
        return self.state == InterviewState.SCHEDULED and (now or timezone.now()) < self.starts_at


class QuestionState(models.TextChoices):
    PENDING = "pending", _("Waiting for moderation")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Question(models.Model):
    """A question from the public; shown only once a moderator approves it, with the guest's answer under it."""

    interview = models.ForeignKey(
        Interview, verbose_name=_("interview"), on_delete=models.CASCADE, related_name="questions"
    )
    asker = models.CharField(_("asked by"), max_length=50, blank=True)
    body = models.TextField(_("question"))
    state = models.CharField(_("state"), max_length=10, choices=QuestionState.choices, default=QuestionState.PENDING)
    created_at = models.DateTimeField(_("asked at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.CharField(_("answered by"), max_length=100, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "interview__unit"

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["interview", "state", "created_at"], name="question_interview_state")]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(state="approved"), name="question_answered_is_approved"
            )
        ]

    def __str__(self) -> str:
        return self.body[:40]
