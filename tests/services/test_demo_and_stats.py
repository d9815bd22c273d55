"""The services demo loads through the actions and twice changes nothing; the figures count what the viewer sees."""

import io
from datetime import date

import pytest

from dangjian.core.demo import load_units
from dangjian.core.models import RoleKind
from dangjian.core.permissions import scope_for
from dangjian.services.dues.models import Line, Payment
from dangjian.services.registry import demo
from dangjian.services.registry.choices import Stage
from dangjian.services.registry.models import Person, Talent, Transfer
from dangjian.stats.registry import Period, figures, get

pytestmark = pytest.mark.django_db


def test_the_demo_is_idempotent_and_fills_every_part(db):
    load_units()
    demo.load(io.StringIO())
    counts = (Person.objects.count(), Line.objects.count(), Payment.objects.count(), Transfer.objects.count(),
              Talent.objects.count())  # fmt: skip
    assert counts[0] == 6 * demo.PER_BRANCH and all(counts)
    assert Person.objects.filter(is_cadre=True, appointments__isnull=False).exists()
    demo.load(io.StringIO())
    assert (Person.objects.count(), Line.objects.count(), Payment.objects.count(), Transfer.objects.count(),
            Talent.objects.count()) == counts  # fmt: skip


def test_the_services_figures_are_registered_and_scoped(make_person, make_user, branches):
    make_person("张三")
    make_person("李四", branch=branches["b2"])
    keys = {f.key for f in figures(supermarket="services")}
    assert {"services.members_by_stage", "services.dues_by_month", "services.transfers_by_month"} <= keys
    period = Period(date(2026, 1, 1), date(2026, 3, 31), "month")
    public = get("services.members_by_stage").compute(period, None)
    full = public.labels.index(str(Stage.FULL.label))
    assert next(iter(public.values.values()))[full] == 2
    secretary = make_user("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    mine = get("services.members_by_stage").compute(period, scope_for(secretary))
    assert next(iter(mine.values.values()))[full] == 1


def test_the_dues_figure_sums_payable_and_paid_per_month(make_person, branches):
    from dangjian.services.dues import actions

    person = make_person("张三")
    actions.run_month(actor=None, month=date(2026, 1, 1))
    actions.run_month(actor=None, month=date(2026, 2, 1))
    actions.record_payment(actor=None, person=person, amount="0.20", method="cash", paid_on=date(2026, 2, 1))
    series = get("services.dues_by_month").compute(Period(date(2026, 1, 1), date(2026, 3, 31), "month"), None)
    assert series.labels == ["2026-01", "2026-02", "2026-03"]
    payable, paid = series.values.values()
    assert payable == [0.2, 0.2, 0.0] and paid == [0.2, 0.0, 0.0]
