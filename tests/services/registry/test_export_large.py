"""A large export streams: the workbook is written row by row to a temporary file and sent from there, so 20,000
people leave in constant memory with a bounded number of queries, scoped to the user's units and audit-logged."""

import io
from datetime import date

import pytest
from django.http import FileResponse
from openpyxl import load_workbook

from dangjian.core.models import AuditRecord, RoleKind
from dangjian.services.registry.models import Person

pytestmark = pytest.mark.django_db
MANY = 20_000


@pytest.fixture
def many_people(branches):
    Person.objects.bulk_create(
        [
            Person(name=f"党员{i}", name_pinyin=f"dangyuan{i:05d}", name_initials="dy", gender="male",
                   branch=branches["b2"] if i % 10 == 0 else branches["b1"], joined_date=date(2010, 7, 1),
                   full_member_date=date(2011, 7, 1))
            for i in range(MANY)
        ],
        batch_size=2000,
    )  # fmt: skip


def test_a_large_xlsx_export_streams_every_row_of_the_users_units_and_is_logged(
    staff_client, branches, many_people, django_assert_max_num_queries
):
    secretary = staff_client("sec", (RoleKind.BRANCH_SECRETARY, branches["b1"]))
    with django_assert_max_num_queries(40):
        response = secretary.get("/work/registry/export/", {"fields": ["name", "branch", "tags"], "format": "xlsx"})
    assert isinstance(response, FileResponse) and response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 1 + MANY * 9 // 10
    assert {branch for _name, branch, _tags in rows[1:]} == {branches["b1"].name}
    record = AuditRecord.objects.get(verb="person.export")
    assert record.actor_id == secretary.user.pk and record.after["fields"] == ["name", "branch", "tags"]


def test_a_large_csv_export_of_the_county_has_every_row(staff_client, branches, many_people):
    org = staff_client("org", (RoleKind.ORG_ADMIN, branches["county"]))
    response = org.get("/work/registry/export/", {"fields": ["name"], "format": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 1 + MANY
