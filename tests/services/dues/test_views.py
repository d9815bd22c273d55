"""The dues pages: a branch's month, the Excel export, recording a payment, bounded queries, scope."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from dangjian.core.models import RoleKind
from dangjian.services.dues import actions
from dangjian.services.dues.models import Payment

pytestmark = pytest.mark.django_db
JAN = date(2026, 1, 1)


@pytest.fixture
def org_client(staff_client, branches):
    return staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))


def test_the_branch_ledger_shows_the_month(org_client, make_person, branches):
    make_person("张三")
    make_person("李四", branch=branches["b2"])
    actions.run_month(actor=None, month=JAN)
    html = org_client.get("/work/dues/", {"unit": branches["b1"].pk, "month": "2026-01"}).content.decode()
    assert "张三" in html and "李四" not in html and "0.20" in html
    html = org_client.get("/work/dues/", {"unit": branches["county"].pk, "month": "2026-01"}).content.decode()
    assert "上坑村党支部" in html and "下塘村党支部" in html


def test_the_ledger_page_runs_a_bounded_number_of_queries(org_client, make_person, branches,
                                                          django_assert_max_num_queries):  # fmt: skip
    for i in range(40):
        make_person(f"王{i}", branch=branches["b1" if i % 2 else "b2"])
    actions.run_month(actor=None, month=JAN)
    with django_assert_max_num_queries(16):
        response = org_client.get("/work/dues/", {"unit": branches["county"].pk, "month": "2026-01"})
    assert response.content.decode().count("/work/dues/members/") == 40


def test_the_run_button_computes_the_month(org_client, make_person, branches):
    make_person("张三")
    response = org_client.post("/work/dues/run/", {"unit": branches["county"].pk, "month": "2026-01"})
    assert response.status_code == 302
    html = org_client.get(response["Location"]).content.decode()
    assert "张三" in html


def test_the_excel_export_holds_the_summary_and_the_lines(org_client, make_person, branches):
    make_person("张三")
    actions.run_month(actor=None, month=JAN)
    response = org_client.get("/work/dues/export.xlsx", {"unit": branches["county"].pk, "year": "2026"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    summary, lines = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    assert summary[1][:3] == ("2026-01", "上坑村党支部", 1)
    assert lines[1][2] == "张三" and lines[1][5] == 0.2


def test_an_export_without_a_unit_is_a_clear_400(org_client):
    assert org_client.get("/work/dues/export.xlsx", {"month": "nonsense"}).status_code == 400


def test_recording_a_payment_on_the_account_page(org_client, make_person):
    person = make_person("张三")
    actions.run_month(actor=None, month=JAN)
    response = org_client.post(
        f"/work/dues/members/{person.pk}/",
        {"form": "payment", "payment-amount": "0.20", "payment-extra": "", "payment-method": "cash",
         "payment-paid_on": "2026-01-20"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Payment.objects.get().receipt == "B1-2026-000001"
    html = org_client.post(
        f"/work/dues/members/{person.pk}/",
        {"form": "payment", "payment-amount": "5", "payment-method": "cash", "payment-paid_on": "2026-01-20"},
    ).content.decode()
    assert "自愿多交" in html and Payment.objects.count() == 1


def test_a_secretary_cannot_approve_reductions_or_see_other_branches(staff_client, make_person, branches):
    mine, other = make_person("张三"), make_person("李四", branch=branches["b2"])
    c = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    assert c.get(f"/work/dues/members/{other.pk}/").status_code == 404
    response = c.post(
        f"/work/dues/members/{mine.pk}/",
        {
            "form": "reduction",
            "reduction-first_month": "2026-01",
            "reduction-last_month": "2026-02",
            "reduction-monthly_amount": "0",
            "reduction-reason": "x",
        },
    )
    assert response.status_code == 403


def test_a_plain_member_may_not_open_the_ledger(staff_client, branches):
    c = staff_client("m", (RoleKind.MEMBER, branches["b1"]))
    assert c.get("/work/dues/").status_code == 403
