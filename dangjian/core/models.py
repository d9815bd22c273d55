"""Core data: the organisation tree, accounts and roles, the audit chain, the notification outbox, the calendar."""

from __future__ import annotations

from typing import ClassVar, cast

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.lookups import DescendantOf  # noqa: F401  (registers the `descendant_of` lookup)

#: Width of one segment of a unit's materialised path; 10**6 children per parent.
PATH_STEP = 6


class UnitKind(models.TextChoices):
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    DEPARTMENT = "department", _("County department")
    COMMITTEE = "committee", _("Party committee")
    GENERAL_BRANCH = "general_branch", _("General party branch")
    BRANCH = "branch", _("Party branch")
    VILLAGE = "village", _("Village or community")
    STATION = "station", _("Distance-education station")


class UnitQuerySet(models.QuerySet["Unit"]):
    def subtree(self, unit: Unit) -> UnitQuerySet:
        """The unit and everything below it: one indexed range query on `path` at any depth."""
        return self.filter(path__descendant_of=unit.path)

    def for_user(self, user) -> UnitQuerySet:
        from dangjian.core.permissions import scope_for

        return cast(UnitQuerySet, scope_for(user).filter(self, ""))


class Unit(models.Model):
    """A node of the organisation tree: the county, a township, a department, a branch, a village, a station."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path: the parent's path plus this unit's PATH_STEP-digit sequence number among its siblings.
    path = models.CharField(_("path"), max_length=255, unique=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=32, blank=True)

    objects = UnitQuerySet.as_manager()

    unit_field: ClassVar[str] = ""  # the unit itself

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~Q(path=""), name="unit_path_not_empty"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(kind=UnitKind.COUNTY), name="unit_county_is_root"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return len(self.path) // PATH_STEP

    def ancestors(self) -> UnitQuerySet:
        prefixes = [self.path[:i] for i in range(PATH_STEP, len(self.path), PATH_STEP)]
        return Unit.objects.filter(path__in=prefixes)

    def is_within(self, other: Unit) -> bool:
        return self.path.startswith(other.path)


# Wagtail's abstract document's `uploaded_by_user` FK points here from an app mypy's plugin does not resolve.
class User(AbstractUser):  # type: ignore[django-manager-missing]
    """A person who logs in: a member, a cadre, a member of staff. Citizens writing letters need no account."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    mobile = models.CharField(_("mobile phone"), max_length=20, blank=True)
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        help_text=_("Made by `dangjian demo`; production refuses to start with one."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")  # type: ignore[assignment]
        verbose_name_plural = _("users")  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def needs_otp(self) -> bool:
        """Staff (any role but plain member) and superusers must log in with a second factor."""
        if self.is_superuser or self.is_staff:
            return True
        from dangjian.core.permissions import scope_for  # the scope is computed once per request user

        return any(kind != RoleKind.MEMBER for kind in scope_for(self).paths_by_kind)


class RoleKind(models.TextChoices):
    COUNTY_LEADER = "county_leader", _("County leader")
    ORG_ADMIN = "org_admin", _("Organisation department administrator")
    SUPERVISION_OFFICE = "supervision_office", _("Supervision office")
    RESPONDER = "responder", _("Unit responder")
    UNIT_HEAD = "unit_head", _("Unit head")
    EDITOR = "editor", _("Editor")
    REVIEWER = "reviewer", _("Reviewer")
    STATION_MANAGER = "station_manager", _("Station manager")
    BRANCH_SECRETARY = "branch_secretary", _("Branch secretary")
    MEMBER = "member", _("Member")


class Role(models.Model):
    """A user's role at a unit; it reaches the unit's whole subtree."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="roles")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="roles")
    kind = models.CharField(_("role"), max_length=32, choices=RoleKind.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "kind"], name="role_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.unit}"


class AuditHead(models.Model):
    """The single row that serialises appends to the audit chain (locked with SELECT … FOR UPDATE)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audithead_singleton")]

    def __str__(self) -> str:
        return f"audit head #{self.seq}"


class AuditRecord(models.Model):
    """One action: who, in which role and unit, did what to which object, when; chained by hash.

    Rows are append-only: database triggers refuse UPDATE and DELETE (migration 0002).
    """

    seq = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("actor"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=32, blank=True)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False
    )
    verb = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.verb} {self.object_repr}"


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("E-mail")
    INBOX = "inbox", _("In-site inbox")


class NotificationState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # A worker died between claiming and confirming: the message may or may not have left. Never resent.
    UNKNOWN = "unknown", _("Unknown (not resent)")


class Notification(models.Model):
    """One message to one person, written in the transaction of the action that causes it (the outbox)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.ForeignKey(
        User, verbose_name=_("recipient"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(_("address"), max_length=254, blank=True, help_text=_("Phone number or e-mail."))
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    # A message carrying a secret (a letter's receipt) keeps it only until it has left: once delivered, or given
    # up, the body becomes this (when given), so the outbox does not keep what the writer alone should hold.
    body_after_delivery = models.TextField(_("body after delivery"), blank=True)
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(_("kind"), max_length=64, blank=True, help_text=_("What caused it, e.g. letter.reminder."))
    state = models.CharField(
        _("state"), max_length=10, choices=NotificationState.choices, default=NotificationState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    external_id = models.CharField(_("gateway id"), max_length=100, blank=True)

    unit_field: ClassVar[str] = "unit"

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="notification_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(channel="inbox") | Q(recipient__isnull=False),
                name="notification_inbox_has_recipient",
            ),
            models.CheckConstraint(
                condition=Q(channel="inbox") | ~Q(address=""), name="notification_address_for_gateway"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address or self.recipient}: {self.subject or self.body[:30]}"


class CalendarYear(models.Model):
    """A year whose official arrangement (国务院办公厅 notice, published each November) an administrator entered.

    Entering a year makes it *known* and replaces the package's data for that year with the days listed here.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("e.g. 国办发明电〔2025〕7号"))
    created_at = models.DateTimeField(_("entered at"), default=timezone.now)

    class Meta:
        verbose_name = _("official calendar year")
        verbose_name_plural = _("official calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day of an entered year that differs from Monday–Friday: a holiday, or a working weekend day (调休)."""

    year = models.ForeignKey(CalendarYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days")
    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=50, blank=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class SchedulerRun(models.Model):
    """The last time each periodic job was enqueued, so a restarted or second scheduler never enqueues twice."""

    job = models.CharField(max_length=100, unique=True)
    last_slot = models.DateTimeField()
    last_enqueued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.job} @ {self.last_slot}"


class Lease(models.Model):
    """A named lock with an expiry, held by one process at a time (the scheduler's, without Redis)."""

    name = models.CharField(max_length=100, primary_key=True)
    holder = models.CharField(max_length=100)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder}"
