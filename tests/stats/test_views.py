"""数据公开 at /data/ and the workbench's statistics at /work/stats/: charts, tables, files, periods, scopes, cost."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.db import transaction
from freezegun import freeze_time

from dangjian.core import outbox
from dangjian.core.models import Channel, RoleKind, UnitKind
from dangjian.stats import registry

pytestmark = pytest.mark.django_db
MARCH = "start=2026-03-01&end=2026-03-31&granularity=month"


def csv_rows(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.fixture
def sent_in_march(tree):
    """E-mails delivered in March 2026: one for 文武坝镇's station, two for 筠门岭镇."""
    for unit in (tree["s1"], tree["t2"], tree["v2"]):
        with freeze_time("2026-03-10 02:00:00"):
            with transaction.atomic():
                n = outbox.queue_notification(
                    channel=Channel.EMAIL, body="通知", address="a@example.org", unit=unit, kind="test"
                )
            outbox.deliver(n.pk)


def test_open_data_shows_every_public_figure_with_chart_table_and_files(client, tree):
    response = client.get("/data/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>数据公开</h1>" in html
    for figure in registry.figures(public_only=True):
        assert str(figure.title) in html
        assert f"/data/export/{figure.key}.csv?" in html and f"/data/export/{figure.key}.xlsx?" in html
    assert html.count('role="img"') >= 2 and "<table>" in html and '<th scope="row">文武坝镇</th>' in html
    assert "http://" not in html.split("<main", 1)[1].split("</main>", 1)[0]


def test_open_data_never_shows_a_staff_figure(client, tree, extra_figure):
    extra_figure("supervision.test_internal", public=False)
    html = client.get("/data/").content.decode()
    assert "Figure supervision.test_internal" not in html
    assert "通知发送情况" not in html  # platform.notifications_per_day, a staff figure
    assert client.get("/data/export/supervision.test_internal.csv").status_code == 404
    assert client.get("/data/export/platform.notifications_per_day.csv").status_code == 404


def test_public_figures_are_computed_without_a_scope(client, tree, extra_figure):
    seen = []

    def compute(period, scope):
        seen.append(scope)
        return registry.Series(labels=["甲"], values={"n": [1]})

    extra_figure("education.test_public", public=True, supermarket="education", compute=compute)
    client.get("/data/")
    assert seen == [None]


def test_open_data_groups_figures_by_supermarket_in_portal_order(client, tree, extra_figure):
    extra_figure("publicity.test_hits", public=True, supermarket="publicity")
    extra_figure("supervision.test_letters", public=True, supermarket="supervision")
    html = client.get("/data/").content.decode()
    assert html.index('id="group-supervision"') < html.index('id="group-publicity"') < html.index('id="group-platform"')
    supervision, publicity = html.index('id="group-supervision"'), html.index('id="group-publicity"')
    assert "网络监督超市" in html[supervision:publicity] and "网络宣传超市" in html[publicity:]
    assert supervision < html.index("Figure supervision.test_letters") < publicity


def test_csv_export_holds_the_figure_rows(client, tree):
    response = client.get(f"/data/export/platform.stations_per_township.csv?{MARCH}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        'filename="platform.stations_per_township_2026-03-01_2026-03-31_month.csv"' in response["Content-Disposition"]
    )
    assert csv_rows(response) == [["项目", "站点数"], ["文武坝镇", "1"], ["筠门岭镇", "1"]]


def test_excel_export_opens_with_the_figure_cells(client, tree):
    response = client.get("/data/export/platform.units_by_kind.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert sheet["A1"].value == "项目" and sheet["B1"].value == "单位数"
    assert rows[str(UnitKind.TOWNSHIP.label)] == 2 and rows[str(UnitKind.STATION.label)] == 2


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-03-31&end=2026-03-01", "结束日期早于开始日期"),
        ("start=2026-02-30", "输入一个有效的日期"),
        ("start=2015-01-01&end=2026-03-01&granularity=day", "最多显示 400 天"),
        ("start=1999-12-31", "2000-01-01"),
        ("granularity=week", "选择一个有效的选项"),
    ],
)
def test_a_bad_period_gets_a_translated_error_and_400(client, tree, query, message):
    page = client.get(f"/data/?{query}")
    assert page.status_code == 400
    assert message in page.content.decode() and 'role="alert"' in page.content.decode()
    for fmt in ("csv", "xlsx"):
        export = client.get(f"/data/export/platform.units_by_kind.{fmt}?{query}")
        assert export.status_code == 400
        assert message in export.content.decode()


def test_a_missing_parameter_keeps_its_default(client, tree):
    response = client.get("/data/?granularity=year")
    assert response.status_code == 200
    assert 'value="year" selected' in response.content.decode()


def test_an_unknown_figure_or_format_is_404(client, tree):
    assert client.get("/data/export/platform.nothing.csv").status_code == 404
    assert client.get("/data/export/platform.units_by_kind.pdf").status_code == 404


def test_a_figure_that_fails_does_not_take_the_page_down(client, tree, extra_figure, caplog):
    def broken(period, scope):
        raise RuntimeError("bug in a figure")

    extra_figure("services.test_broken", public=True, supermarket="services", compute=broken)
    response = client.get("/data/")
    assert response.status_code == 200
    assert "暂时无法计算" in response.content.decode()
    assert "bug in a figure" in caplog.text
    assert client.get("/data/export/services.test_broken.csv").status_code == 503


def test_open_data_is_cheap_once_computed(client, tree, platform_only, django_assert_max_num_queries):
    # Cold: units_by_kind takes one query, stations_per_township two.
    with django_assert_max_num_queries(3):
        assert client.get("/data/").status_code == 200
    with django_assert_max_num_queries(0):
        assert client.get("/data/").status_code == 200
        assert client.get("/data/export/platform.units_by_kind.csv").status_code == 200


def test_a_cached_figure_is_kept_per_period(client, tree, platform_only, django_assert_max_num_queries):
    client.get("/data/")
    with django_assert_max_num_queries(3):
        assert client.get(f"/data/?{MARCH}").status_code == 200


def test_workbench_statistics_need_a_login(client, tree):
    response = client.get("/work/stats/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/work/stats/export/platform.units_by_kind.csv").status_code == 302


def test_workbench_statistics_refuse_a_plain_member(client, tree, make_user):
    member = make_user("member", (RoleKind.MEMBER, tree["v1"]))
    client.force_login(member)  # a member needs no second factor
    assert client.get("/work/stats/").status_code == 403
    assert client.get("/work/stats/export/platform.notifications_per_day.csv").status_code == 403


def test_workbench_shows_public_and_staff_figures(staff_client, tree, make_user, extra_figure):
    extra_figure("supervision.test_internal", public=False)
    user = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]))
    html = staff_client(user).get("/work/stats/").content.decode()
    for figure in registry.figures():
        assert str(figure.title) in html
    assert "/work/stats/export/platform.notifications_per_day.csv?" in html


def test_workbench_figures_count_only_the_viewers_units(staff_client, tree, make_user, sent_in_march):
    township = make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"]))
    client = staff_client(township)
    response = client.get(f"/work/stats/export/platform.notifications_per_day.csv?{MARCH}")
    assert csv_rows(response) == [["项目", "发送成功", "发送失败"], ["2026-03", "1", "0"]]
    html = client.get(f"/work/stats/?{MARCH}").content.decode()
    assert '<th scope="row">2026-03</th><td>1</td><td>0</td>' in html

    county = make_user("countyadmin", (RoleKind.ORG_ADMIN, tree["county"]))
    response = staff_client(county).get(f"/work/stats/export/platform.notifications_per_day.csv?{MARCH}")
    assert csv_rows(response)[1] == ["2026-03", "3", "0"]


def test_workbench_statistics_cost_few_queries(
    staff_client, tree, make_user, platform_only, django_assert_max_num_queries
):
    client = staff_client(make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"])))
    client.get("/work/stats/")
    # Session, user, OTP device, roles (scope), and the session save (an UPDATE between SAVEPOINT and RELEASE
    # inside the test's transaction); no figure is computed again.
    with django_assert_max_num_queries(7):
        assert client.get("/work/stats/").status_code == 200


def test_a_bad_period_on_the_workbench_is_400_too(staff_client, tree, make_user):
    client = staff_client(make_user("t1head", (RoleKind.UNIT_HEAD, tree["t1"])))
    assert client.get("/work/stats/?start=2026-03-31&end=2026-03-01").status_code == 400
    response = client.get("/work/stats/export/platform.notifications_per_day.xlsx?end=2026-13-01")
    assert response.status_code == 400 and "输入一个有效的日期" in response.content.decode()


def test_english_visitors_get_english_figures(client, tree):
    client.post("/i18n/setlang/", {"language": "en", "next": "/data/"})
    html = client.get("/data/").content.decode()
    assert "<h1>Open data</h1>" in html and "Distance-education stations per township" in html
    response = client.get(f"/data/export/platform.stations_per_township.csv?{MARCH}")
    assert csv_rows(response)[0] == ["Item", "Stations"]


def test_default_period_is_the_last_12_months(client, tree):
    with freeze_time("2026-11-28 04:00:00"):
        html = client.get("/data/").content.decode()
    assert 'name="start" value="2025-12-01"' in html and 'name="end" value="2026-11-28"' in html
    assert 'value="month" selected' in html
