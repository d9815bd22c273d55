"""The party-dues ledger (党费电子台帐): declared bases, the monthly lines, payments with numbered receipts,
reductions and exemptions approved by the committee above.

Rules cited from 中共中央组织部《关于中国共产党党费收缴、使用和管理的规定》(组通字〔2008〕3号), "the 2008 rules".
Amounts are yuan with two decimals (Decimal, never float).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dangjian.core.models import Unit
from dangjian.core.permissions import ScopedQuerySet
from dangjian.services.dues.rules import Category
from dangjian.services.registry.models import Person

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

MONEY_DIGITS, MONEY_PLACES = 12, 2


def money(verbose_name: str | StrPromise | None = None, *, null=False, blank=False, default=NOT_PROVIDED):
    """An amount in yuan to the fen (分)."""
    return models.DecimalField(
        verbose_name, max_digits=MONEY_DIGITS, decimal_places=MONEY_PLACES, null=null, blank=blank, default=default
    )


class DuesBase(models.Model):
    """A member's declared base from a month on (核定党费基数): the monthly after-tax wage or pension, or for a
    farmer the amount the branch set. It holds from `valid_from` until the next declaration; the 2008 rules
    have the base assessed once a year, and a change of income applies from the month it is declared for."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="dues_bases")
    valid_from = models.DateField(_("from month"), help_text=_("The first day of the month the base applies from."))
    base = money(_("monthly base"))
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "person__branch"

    class Meta:
        verbose_name = _("declared dues base")
        verbose_name_plural = _("declared dues bases")
        ordering = ["person", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["person", "valid_from"], name="duesbase_unique_month"),
            models.CheckConstraint(condition=Q(base__gte=0), name="duesbase_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.valid_from:%Y-%m}"


class Reduction(models.Model):
    """少交或免交: the 2008 rules let a member in real economic difficulty pay less or nothing, on the branch's
    proposal with the approval of the party committee above (经党支部研究，报上一级党委批准). `monthly_amount` is
    what the member pays a month in the period (0: exempt)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="reductions")
    first_month = models.DateField(_("first month"))
    last_month = models.DateField(_("last month"))
    monthly_amount = money(_("pays a month"))
    reason = models.TextField(_("reason"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    approving_unit = models.ForeignKey(
        Unit, verbose_name=_("approving committee"), on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "person__branch"

    class Meta:
        verbose_name = _("reduction or exemption")
        verbose_name_plural = _("reductions and exemptions")
        ordering = ["-first_month"]
        constraints = [
            models.CheckConstraint(condition=Q(last_month__gte=F("first_month")), name="reduction_months_ordered"),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="reduction_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.first_month:%Y-%m}–{self.last_month:%Y-%m}"


class Line(models.Model):
    """One member's dues for one month (a line of the ledger), written by the monthly run.

    `branch` is the branch the member belonged to when the month was computed: the ledger of a month stays the
    branch's ledger after a transfer. Owed = due − reduction − paid."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="dues_lines")
    branch = models.ForeignKey(Unit, verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))
    category = models.CharField(_("dues category"), max_length=12, choices=Category.choices)
    base = money(_("monthly base"), null=True, blank=True)
    due = money(_("due"))
    reduction = money(_("reduced by"), default=0)
    paid = money(_("paid"), default=0)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "branch"

    class Meta:
        verbose_name = _("ledger line")
        verbose_name_plural = _("ledger lines")
        ordering = ["month", "person_id"]
        indexes = [models.Index(fields=["branch", "month"], name="dues_line_branch_month_idx")]
        constraints = [
            models.UniqueConstraint(fields=["person", "month"], name="dues_line_unique_month"),
            models.CheckConstraint(condition=Q(due__gte=0) & Q(paid__gte=0), name="dues_line_not_negative"),
            models.CheckConstraint(
                condition=Q(reduction__gte=0) & Q(reduction__lte=F("due")), name="dues_line_reduction_in_due"
            ),
            models.CheckConstraint(condition=Q(paid__lte=F("due") - F("reduction")), name="dues_line_not_overpaid"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.month:%Y-%m}"

    @property
    def owed(self):
        return self.due - self.reduction - self.paid


class Method(models.TextChoices):
    CASH = "cash", _("Cash")
    BANK = "bank", _("Bank transfer")
    ONLINE = "online", _("Online")


class Payment(models.Model):
    """A payment with its receipt number (branch code, year, sequence). `amount` settles ledger lines, oldest
    first; `extra` is paid voluntarily on top (自愿多交党费不限, the 2008 rules)."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="dues_payments")
    branch = models.ForeignKey(Unit, verbose_name=_("party branch"), on_delete=models.PROTECT, related_name="+")
    receipt = models.CharField(_("receipt number"), max_length=40, unique=True)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=8, choices=Method.choices)
    amount = money(_("dues paid"))
    extra = money(_("voluntary extra"), default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    unit_field: ClassVar[str] = "branch"

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(extra__gte=0) & (Q(amount__gt=0) | Q(extra__gt=0)),
                name="payment_positive",
            )
        ]

    def __str__(self) -> str:
        return self.receipt

    @property
    def total(self):
        return self.amount + self.extra


class Allocation(models.Model):
    """How much of a payment settled which month."""

    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="allocations")
    amount = money()

    class Meta:
        verbose_name = _("allocation")
        constraints = [
            models.UniqueConstraint(fields=["payment", "line"], name="allocation_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.payment} → {self.line}"
