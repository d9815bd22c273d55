"""Statistics per unit per month (the workbench's unit × month table, scoped, with its CSV) and the public
per-channel, per-month figures as open-data JSON with no personal data."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from dangjian.core.permissions import scope_for
from dangjian.stats.registry import Period, get
from dangjian.supervision import actions
from dangjian.supervision.models import RatingValue
from tests.supervision.conftest import MONDAY

SPRING = Period(date(2025, 3, 1), date(2025, 4, 30), "month")
QUERY = "start=2025-03-01&end=2025-04-30&granularity=month"


def _two_units_two_months(dispatched, people, tree):
    dispatched()
    dispatched(received_at=MONDAY + timedelta(days=35))  # April
    moved = dispatched().letter
    actions.request_transfer(actor=people["responder"], letter=moved, reason="不属本镇")
    actions.dispatch_letter(actor=people["office"], letter=moved, unit=tree["t2"])


def test_a_row_per_unit_and_month_with_late_first_answers_and_results(dispatched, people, tree):
    _two_units_two_months(dispatched, people, tree)
    with translation.override("en"):
        series = get("supervision.letters_per_unit_month").compute(SPRING, None)
    # 筠门岭镇 received nothing in April: its row is there, with zeros, so that both units' months line up.
    assert series.labels == ["文武坝镇 2025-03", "文武坝镇 2025-04", "筠门岭镇 2025-03", "筠门岭镇 2025-04"]
    assert series.values["Received"] == [1, 1, 1, 0]
    assert series.values["Late first follow-ups"] == [1, 1, 1, 0]
    assert series.values["Late results"] == [1, 1, 1, 0]
    assert series.values["First follow-up on time"] == [0, 0, 0, 0]
    assert series.values["Satisfaction (%)"] == [0, 0, 0, 0]


def test_answers_on_time_and_satisfaction(dispatched, people):
    sub = dispatched(received_at=timezone.now())
    actions.post_follow_up(actor=people["responder"], letter=sub.letter, body="来信收悉。")
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已维修。")
    actions.sign_off_result(actor=people["head"], result=result)
    actions.rate_letter(receipt=sub.receipt, value=RatingValue.BASICALLY)
    today = timezone.localdate()
    with translation.override("en"):
        series = get("supervision.letters_per_unit_month").compute(Period(today.replace(day=1), today), None)
    assert series.labels == [f"文武坝镇 {today:%Y-%m}"]
    values = {name: v[0] for name, v in series.values.items()}
    assert values == {"Received": 1, "First follow-up on time": 1, "Result on time": 1, "Late first follow-ups": 0,
                      "Late results": 0, "Reopened": 0, "Satisfaction (%)": 100.0}  # fmt: skip


def test_a_reopened_letter_is_counted_in_its_unit_and_month(dispatched, people):
    sub = dispatched(received_at=timezone.now())
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已维修。")
    actions.sign_off_result(actor=people["head"], result=result)
    actions.rate_letter(receipt=sub.receipt, value=RatingValue.UNSATISFIED)
    actions.reopen_letter(receipt=sub.receipt, reason="路灯仍然不亮。")
    today = timezone.localdate()
    with translation.override("en"):
        series = get("supervision.letters_per_unit_month").compute(Period(today.replace(day=1), today), None)
    assert series.values["Reopened"] == [1] and series.values["Satisfaction (%)"] == [0]


def test_the_table_shows_only_the_viewers_units(dispatched, people, tree):
    _two_units_two_months(dispatched, people, tree)
    figure = get("supervision.letters_per_unit_month")
    assert figure.compute(SPRING, scope_for(people["responder"])).labels == ["文武坝镇 2025-03", "文武坝镇 2025-04"]
    assert figure.compute(SPRING, scope_for(people["other"])).labels == ["筠门岭镇 2025-03", "筠门岭镇 2025-04"]


def test_the_table_is_one_query_however_many_letters(dispatched, people):
    figure = get("supervision.letters_per_unit_month")
    dispatched()
    with CaptureQueriesContext(connection) as one:
        figure.compute(SPRING, None)
    for _ in range(4):
        dispatched(received_at=MONDAY + timedelta(days=35))
    with CaptureQueriesContext(connection) as five:
        figure.compute(SPRING, None)
    assert len(one) == len(five) == 1


def test_the_workbench_table_and_its_csv_are_scoped(client, login, dispatched, people, tree):
    cache.clear()
    _two_units_two_months(dispatched, people, tree)
    login(people["responder"])
    html = client.get(f"/work/stats/?{QUERY}").content.decode()
    assert "各单位每月来信办理情况" in html and '<th scope="row">文武坝镇 2025-04</th>' in html
    assert "筠门岭镇 2025-03" not in html
    response = client.get(f"/work/stats/export/supervision.letters_per_unit_month.csv?{QUERY}")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["文武坝镇 2025-03", "文武坝镇 2025-04"]
    header = ["已受理", "按时首次跟帖", "按时答复结果", "首次跟帖超期", "处理结果超期", "重办", "满意率（%）"]
    assert rows[0][1:] == header


def test_the_unit_table_is_not_open_data(client, dispatched):
    dispatched()
    for fmt in ("csv", "json"):
        assert client.get(f"/data/export/supervision.letters_per_unit_month.{fmt}?{QUERY}").status_code == 404


def test_open_data_json_per_channel_and_month_holds_no_personal_data(client, dispatched, people):
    cache.clear()
    named = dispatched(channel="secretary", anonymous=False, contact_name="刘建华", contact_phone="13907970000",
                       title="幸福路路灯", body="我叫刘建华，电话13907970000。")  # fmt: skip
    actions.post_follow_up(actor=people["responder"], letter=named.letter, body="已联系刘建华。")
    dispatched(channel="voice", received_at=MONDAY + timedelta(days=35))
    response = client.get(f"/data/export/supervision.letters_per_channel_month.json?{QUERY}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = json.loads(response.content)
    assert data["key"] == "supervision.letters_per_channel_month"
    assert data["period"] == {"start": "2025-03-01", "end": "2025-04-30", "granularity": "month"}
    assert data["labels"] == ["书记信箱 2025-03", "书记信箱 2025-04", "民声通道 2025-03", "民声通道 2025-04"]
    assert data["series"]["已受理"] == [1, 0, 0, 1] and data["series"]["首次跟帖超期"] == [1, 0, 0, 1]
    text = response.content.decode()
    for secret in ("刘建华", "13907970000", "幸福路", "路灯"):
        assert secret not in text


def test_every_public_figure_has_its_json(client, channels):
    cache.clear()
    response = client.get("/data/export/supervision.letters_per_channel.json")
    assert response.status_code == 200 and set(json.loads(response.content)) >= {"labels", "series", "period"}
    assert "supervision.letters_per_channel_month.json" in client.get("/data/").content.decode()


def test_a_bad_period_gets_a_json_error(client, channels):
    response = client.get("/data/export/supervision.letters_per_channel_month.json?start=2025-13-01")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "start" in json.loads(response.content)["errors"]


def test_a_cancelled_interview_is_not_counted(people, tree):
    from dangjian.supervision import interviews

    start = timezone.now() + timedelta(days=1)
    for title in ("召开的访谈", "取消的访谈"):
        session = interviews.schedule_interview(
            actor=people["office"], unit=tree["county"], title=title, topic="t", guests="g", starts_at=start,
            ends_at=start + timedelta(hours=1),
        )  # fmt: skip
    interviews.cancel_interview(actor=people["office"], interview=session)
    day = timezone.localdate(start)
    with translation.override("en"):
        series = get("supervision.interviews").compute(Period(day, day, "day"), None)
    assert series.values["Count"][0] == 1
