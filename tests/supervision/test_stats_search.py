"""Statistics per channel and per unit in the stats registry; published letters in the one search box."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from dangjian.core.permissions import scope_for
from dangjian.search.queries import search
from dangjian.stats.registry import Period, get
from dangjian.supervision import actions
from dangjian.supervision.models import RatingValue

MARCH = Period(date(2025, 3, 1), date(2025, 3, 31), "month")


def answer(people, letter):
    actions.post_follow_up(actor=people["responder"], letter=letter, body="来信收悉。")
    result = actions.post_result(actor=people["responder"], letter=letter, body="已维修完毕，路灯恢复照明。")
    actions.sign_off_result(actor=people["head"], result=result)


def test_letters_per_channel_counts_received_late_and_satisfaction(dispatched, write, people):
    rated = dispatched(channel="secretary")
    answer(people, rated.letter)  # answered now, long after March: late
    actions.rate_letter(receipt=rated.receipt, value=RatingValue.SATISFIED)
    dispatched(channel="voice")
    dispatched(channel="voice")
    with translation.override("en"):
        series = get("supervision.letters_per_channel").compute(MARCH, None)
    assert series.labels == ["书记信箱", "民声通道"]
    values = {k: v for k, v in series.values.items()}
    assert values["Received"] == [1, 2]
    assert values["Late"] == [1, 2]
    assert values["Satisfaction (%)"] == [100.0, 0]


def test_figures_on_the_workbench_are_limited_to_the_viewers_units(dispatched, people, tree):
    dispatched()
    other = dispatched().letter
    actions.request_transfer(actor=people["responder"], letter=other, reason="不属本镇")
    actions.dispatch_letter(actor=people["office"], letter=other, unit=tree["t2"])
    figure = get("supervision.letters_per_unit")
    assert figure.compute(MARCH, None).labels == ["文武坝镇", "筠门岭镇"]
    assert figure.compute(MARCH, scope_for(people["responder"])).labels == ["文武坝镇"]


def test_letters_received_per_month(dispatched):
    dispatched()
    with translation.override("en"):
        series = get("supervision.letters_received").compute(Period(date(2025, 2, 1), date(2025, 3, 31)), None)
    assert series.labels == ["2025-02", "2025-03"] and series.values["Letters"] == [0, 1]


def test_the_open_data_page_shows_the_supervision_figures(client, channels):
    cache.clear()
    html = client.get("/data/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Letters per channel" in html


def test_search_finds_a_published_letter_by_its_masked_text_only(dispatched, people):
    sub = dispatched(channel="secretary", title="路灯损坏", body="我叫刘建华，上坑村路灯损坏。",
                     anonymous=False, contact_name="刘建华", contact_phone="13907970000")  # fmt: skip
    unpublished = dispatched(title="水管破裂", body="水管破裂漏水。").letter
    answer(people, sub.letter)
    hits = search(AnonymousUser(), "路灯")
    assert [h.obj.pk for h in hits if h.obj.__class__.__name__ == "Letter"] == [sub.letter.pk]
    assert not [h for h in search(AnonymousUser(), "水管") if h.obj.pk == unpublished.pk]
    assert not [h for h in search(AnonymousUser(), "刘建华") if h.obj.__class__.__name__ == "Letter"]
    assert reverse("supervision:letter", args=[sub.letter.pk]) == sub.letter.get_absolute_url()
