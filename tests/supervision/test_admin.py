"""The channels in the Django admin: their deadlines and rules are the county's to set, each change audited, and
new letters follow them; a channel's code stays fixed and a channel is never deleted."""

from __future__ import annotations

from dangjian.core import calendar
from dangjian.core.models import AuditRecord
from dangjian.supervision.models import Channel


def form(channel: Channel, **changes) -> dict:
    data = {
        "name": channel.name, "addressee": channel.addressee, "description": channel.description,
        "email": channel.email, "unit": channel.unit_id, "first_response_days": channel.first_response_days,
        "result_days": channel.result_days, "working_days": "on", "is_published": "on", "accepts_anonymous": "on",
        "is_active": "on", "position": channel.position,
    }  # fmt: skip
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_an_administrator_sets_a_channels_deadlines_and_new_letters_follow_them(channels, verified_admin, write):
    channel = channels["voice"]
    url = f"/admin/supervision/channel/{channel.pk}/change/"
    assert verified_admin.get("/admin/supervision/channel/").status_code == 200
    response = verified_admin.post(url, form(channel, first_response_days=2, result_days=10, code="changed"))
    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert (channel.code, channel.first_response_days, channel.result_days) == ("voice", 2, 10)
    change = AuditRecord.objects.get(verb="channel.change", object_id=str(channel.pk))
    assert change.before["first_response_days"] == "3" and change.after["first_response_days"] == "2"
    letter = write("voice").letter
    assert letter.first_response_due == calendar.deadline(letter.received_at, 2)
    assert letter.result_due == calendar.deadline(letter.received_at, 10)


def test_a_channel_whose_result_comes_before_its_first_answer_is_refused_and_nothing_changes(channels, verified_admin):
    channel = channels["voice"]
    response = verified_admin.post(
        f"/admin/supervision/channel/{channel.pk}/change/", form(channel, first_response_days=5, result_days=3)
    )
    assert response.status_code == 200  # the form again, with the reason
    channel.refresh_from_db()
    assert (channel.first_response_days, channel.result_days) == (3, 15)
    assert not AuditRecord.objects.filter(verb="channel.change").exists()


def test_a_channel_cannot_be_deleted(channels, verified_admin):
    channel = channels["voice"]
    assert verified_admin.post(f"/admin/supervision/channel/{channel.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Channel.objects.filter(pk=channel.pk).exists()
