"""The public pages (write, receipt, look-up, published letters, criticism) and the units' workbench pages."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from dangjian.supervision import actions, queries
from dangjian.supervision.models import Attachment, Letter, Status
from tests.supervision.conftest import CHANNELS, solved

LETTER = {"title": "路灯坏了", "body": "上坑村路灯坏了。我叫刘建华，电话13907970000。", "category": "complaint"}


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.parametrize("code", [c for c, _n, _e in CHANNELS])
def test_each_channel_has_a_page_and_a_form(client, channels, code):
    assert client.get(reverse("supervision:channel", args=[code])).status_code == 200
    page = client.get(reverse("supervision:write", args=[code]))
    assert page.status_code == 200 and 'name="anonymous"' in page.content.decode()


def test_index_lists_the_four_channels(client, channels):
    html = client.get(reverse("supervision:index")).content.decode()
    for _code, name, _extra in CHANNELS:
        assert name in html


def test_writing_anonymously_shows_the_receipt_once_and_keeps_no_contact(client, channels):
    data = {**LETTER, "anonymous": "on", "contact_name": "刘建华", "contact_phone": "13907970000", "is_public": "on"}
    page = client.post(reverse("supervision:write", args=["voice"]), {**data, **solved()}, REMOTE_ADDR="10.1.2.3")
    assert page.status_code == 200
    receipt = page.context["submitted"].receipt
    assert receipt in page.content.decode()
    letter = Letter.objects.get()
    assert letter.is_anonymous and letter.contact_name == letter.contact_phone == ""
    assert "10.1.2.3" not in str(list(Letter.objects.values().get().values()))


def test_a_named_letter_needs_contact_and_the_form_says_so(client, channels):
    page = client.post(reverse("supervision:write", args=["voice"]), {**LETTER, **solved()})
    assert page.status_code == 400
    assert page.context["form"].errors["contact_name"]
    assert not Letter.objects.exists()


def test_the_honeypot_refuses_robots(client, channels):
    data = {**LETTER, "anonymous": "on", "website": "x", **solved()}
    page = client.post(reverse("supervision:write", args=["voice"]), data)
    assert page.status_code == 400 and not Letter.objects.exists()


def test_writing_is_rate_limited_per_address(client, channels):
    url = reverse("supervision:write", args=["voice"])
    for i in range(10):
        assert client.post(url, {**LETTER, "title": f"信{i}", "anonymous": "on", **solved()}).status_code == 200
    page = client.post(url, {**LETTER, "title": "第十一封", "anonymous": "on", **solved()})
    assert page.status_code == 400 and Letter.objects.count() == 10


def test_behind_a_trusted_proxy_the_limit_counts_each_writer_not_the_proxy(client, channels, settings):
    settings.DANGJIAN_TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    url = reverse("supervision:write", args=["voice"])

    def post(title, forwarded):
        data = {**LETTER, "title": title, "anonymous": "on", **solved()}
        return client.post(url, data, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)

    for i in range(10):
        assert post(f"信{i}", "10.0.0.1").status_code == 200
    assert post("第十一封", "10.0.0.1").status_code == 400
    assert post("另一位群众的信", "10.0.0.2").status_code == 200  # a second writer behind the same proxy
    # A writer cannot escape the limit by forging the header: the proxy appends the real address last.
    assert post("伪造来源", "203.0.113.9, 10.0.0.1").status_code == 400


def test_an_attachment_is_sniffed_not_trusted_by_name(client, channels):
    url = reverse("supervision:write", args=["voice"])
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" * 10, content_type="image/jpeg")
    page = client.post(url, {**LETTER, "anonymous": "on", "attachments": [fake], **solved()})
    assert page.status_code == 400 and "attachments" in page.context["form"].errors
    picture = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(picture, "PNG")
    png = SimpleUploadedFile("scan.txt", picture.getvalue(), content_type="text/plain")
    assert client.post(url, {**LETTER, "anonymous": "on", "attachments": [png], **solved()}).status_code == 200
    assert Attachment.objects.get().content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "make", "says"),
    [
        ("pdf-javascript", "pdf_with_javascript", "含有脚本或启动程序的动作"),
        ("pdf-launch", "pdf_with_launch", "含有脚本或启动程序的动作"),
        ("pdf-truncated", None, "已损坏或无法读取"),
    ],
)
def test_a_pdf_that_runs_something_or_cannot_be_read_is_refused_and_nothing_is_stored(
    client, channels, name, make, says
):
    """Staff open a letter's PDF on an office computer: scripts and launch actions stay out."""
    from dangjian.education import samples
    from tests.quality import hostile

    data = getattr(hostile, make)() if make else samples.pdf(["会昌"])[:300]
    upload = SimpleUploadedFile("材料.pdf", data, content_type="application/pdf")
    url = reverse("supervision:write", args=["voice"])
    page = client.post(url, {**LETTER, "anonymous": "on", "attachments": [upload], **solved()})
    assert page.status_code == 400, name
    assert says in " ".join(page.context["form"].errors["attachments"])
    assert not Letter.objects.exists() and not Attachment.objects.exists()
    good = SimpleUploadedFile("材料.pdf", samples.pdf(["水渠照片"]), content_type="application/pdf")
    assert client.post(url, {**LETTER, "anonymous": "on", "attachments": [good], **solved()}).status_code == 200
    assert Attachment.objects.get().content_type == "application/pdf"


def test_lookup_by_receipt_is_a_post_and_shows_the_status(client, write):
    sub = write()
    assert client.get(reverse("supervision:lookup")).status_code == 200
    page = client.post(reverse("supervision:lookup"), {"receipt": sub.receipt.lower()})
    assert page.status_code == 200 and page.context["letter"] == sub.letter
    assert client.post(reverse("supervision:lookup"), {"receipt": "AAAA-BBBB-CCCC-DDDD"}).status_code == 404


def test_lookups_are_rate_limited(client, write):
    sub = write()
    for _ in range(30):
        client.post(reverse("supervision:lookup"), {"receipt": "AAAA-BBBB-CCCC-DDDD"})
    assert client.post(reverse("supervision:lookup"), {"receipt": sub.receipt}).status_code == 400


def answered(dispatched, people, channel="secretary", unlocked=None):
    sub = dispatched(channel=channel, anonymous=False, contact_name="刘建华", contact_phone="13907970000",
                     body="我叫刘建华，住幸福路18号，电话13907970000，路灯坏了。")  # fmt: skip
    actions.post_follow_up(actor=people["responder"], letter=sub.letter, body="已联系刘建华核实。")
    result = actions.post_result(actor=people["responder"], letter=sub.letter, body="已维修。")
    actions.sign_off_result(actor=people["head"], result=result, unlocked=unlocked)
    return sub


def test_published_letter_masks_personal_data_in_the_public_view(client, dispatched, people):
    sub = answered(dispatched, people)
    html = client.get(reverse("supervision:letter", args=[sub.letter.pk])).content.decode()
    assert "路灯坏了" in html and "已维修" in html and "文武坝镇" in html
    for secret in ("刘建华", "13907970000", "幸福路18号"):
        assert secret not in html
    assert client.get(reverse("supervision:letters")).status_code == 200


def test_an_unpublished_or_confidential_letter_has_no_public_page(client, dispatched, people, keys):
    sub = answered(dispatched, people, channel="supervision", unlocked=keys["head"])
    assert client.get(reverse("supervision:letter", args=[sub.letter.pk])).status_code == 404
    pending = dispatched()
    assert client.get(reverse("supervision:letter", args=[pending.letter.pk])).status_code == 404


def test_the_citizen_rates_with_the_receipt_in_the_form_body(client, dispatched, people):
    sub = answered(dispatched, people)
    page = client.post(reverse("supervision:rate"), {"receipt": sub.receipt, "value": "satisfied"})
    assert page.status_code == 200
    assert Letter.objects.get().status == Status.CLOSED
    bad = client.post(reverse("supervision:rate"), {"receipt": sub.receipt, "value": "satisfied"})
    assert bad.status_code == 400


def test_published_letter_list_runs_a_fixed_number_of_queries(client, dispatched, people):
    answered(dispatched, people)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("supervision:letters"))
    for _ in range(5):
        answered(dispatched, people)
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("supervision:letters"))
    assert len(six) == len(one)


def test_the_criticism_page_shows_published_bulletins_only(client, dispatched, people):
    from datetime import date

    dispatched()
    draft = actions.draft_bulletin(actor=people["office"], month=date(2025, 3, 1))
    assert "文武坝镇" not in client.get(reverse("supervision:criticism")).content.decode()
    actions.publish_bulletin(actor=people["leader"], bulletin=draft)
    assert "文武坝镇" in client.get(reverse("supervision:criticism")).content.decode()


# --- the workbench ---------------------------------------------------------------------------------------------


def test_the_inbox_of_a_unit_shows_only_its_letters(client, login, dispatched, people, tree):
    mine = dispatched().letter
    theirs = dispatched().letter
    actions.request_transfer(actor=people["responder"], letter=theirs, reason="不属本镇")
    actions.dispatch_letter(actor=people["office"], letter=theirs, unit=tree["t2"])
    login(people["responder"])
    page = client.get(reverse("supervision_work:queue"))
    assert list(page.context["page"].object_list) == [mine]
    assert client.get(reverse("supervision_work:letter", args=[theirs.pk])).status_code == 404
    login(people["office"])
    assert len(client.get(reverse("supervision_work:queue")).context["page"].object_list) == 2


def test_a_member_without_a_supervision_role_is_refused(client, login, people):
    login(people["member"])
    assert client.get(reverse("supervision_work:queue")).status_code == 403


def test_the_queue_runs_a_fixed_number_of_queries(client, login, dispatched, people):
    dispatched()
    login(people["office"])
    client.get(reverse("supervision_work:queue"))  # the session's once-a-minute save falls here, not below
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("supervision_work:queue"))
    for _ in range(5):
        dispatched()
    with CaptureQueriesContext(connection) as six:
        client.get(reverse("supervision_work:queue"))
    assert len(six) == len(one)


def test_a_queue_tab_pages_on_within_the_tab(client, login, dispatched, people):
    for _ in range(26):  # one more than a page
        dispatched()
    assert Letter.objects.filter(queries.late_q()).count() == 26
    login(people["office"])
    first = client.get(reverse("supervision_work:queue"), {"q": "late"})
    assert 'href="?q=late&amp;page=2" rel="next"' in first.content.decode()
    second = client.get(reverse("supervision_work:queue"), {"q": "late", "page": "2"})
    assert second.context["queue"] == "late" and len(second.context["page"].object_list) == 1
    assert 'href="?q=late&amp;page=1" rel="prev"' in second.content.decode()


def test_office_dispatches_unit_follows_up_writes_result_head_signs_off(client, login, write, people, tree):
    letter = write(channel="secretary").letter
    login(people["office"])
    client.post(reverse("supervision_work:dispatch", args=[letter.pk]), {"unit": tree["t1"].pk, "note": "请办理"})
    assert Letter.objects.get().status == Status.DISPATCHED
    login(people["responder"])
    page = client.get(reverse("supervision_work:letter", args=[letter.pk]))
    assert page.context["is_responder"]
    client.post(reverse("supervision_work:follow_up", args=[letter.pk]), {"body": "来信收悉。"})
    client.post(reverse("supervision_work:result", args=[letter.pk]), {"body": "已维修。"})
    assert Letter.objects.get().status == Status.AWAITING_SIGNOFF
    client.post(reverse("supervision_work:sign_off", args=[letter.pk]), {"decision": "approve"})
    assert Letter.objects.get().status == Status.AWAITING_SIGNOFF  # a responder cannot sign off
    login(people["head"])
    client.post(reverse("supervision_work:sign_off", args=[letter.pk]), {"decision": "approve"})
    assert Letter.objects.get().status == Status.ANSWERED


def test_a_unit_asks_for_a_transfer_from_its_page(client, login, dispatched, people, tree):
    letter = dispatched().letter
    login(people["responder"])
    client.post(reverse("supervision_work:transfer", args=[letter.pk]), {"reason": "", "suggested_unit": ""})
    assert Letter.objects.get().status == Status.DISPATCHED
    client.post(
        reverse("supervision_work:transfer", args=[letter.pk]),
        {"reason": "属部门职责", "suggested_unit": tree["d1"].pk},
    )
    assert Letter.objects.get().status == Status.RECEIVED


def test_a_unit_asks_for_more_time_from_its_page_and_the_office_grants_it(client, login, dispatched, people):
    from freezegun import freeze_time

    from dangjian.core import calendar
    from dangjian.supervision.models import Extension

    letter = dispatched().letter  # received Monday 3 March 2025: first follow-up due Thursday 6 March
    url = reverse("supervision_work:extension", args=[letter.pk])
    with freeze_time("2025-03-04 10:00:00+08:00"):
        login(people["responder"])
        assert "h-extension" in client.get(reverse("supervision_work:letter", args=[letter.pk])).content.decode()
        page = client.post(url, {"which": "first", "workdays": "0", "reason": "需实地核查"})
        assert not Extension.objects.exists() and page.status_code == 400
        summary = page.content.decode().split('class="sv-error-summary', 1)[1].split("</div>", 1)[0]
        assert 'href="#extension-workdays"' in summary and "1" in summary  # "at least 1", linked to the field
        assert "需实地核查" in page.content.decode()  # the answers are kept
        client.post(url, {"which": "first", "workdays": "2", "reason": "需实地核查"})
        ext = Extension.objects.get()
        assert (ext.which, ext.workdays, ext.requested_by) == ("first", 2, people["responder"])
        login(people["office"])
        client.post(reverse("supervision_work:decide_extension", args=[ext.pk]), {"grant": "1"})
    letter.refresh_from_db()
    assert letter.first_response_due.astimezone(calendar.SHANGHAI).date().isoformat() == "2025-03-10"


def test_the_workbench_shows_the_supervision_panel(client, login, dispatched, people):
    dispatched()
    login(people["responder"])
    html = client.get(reverse("portal:workbench")).content.decode()
    assert reverse("supervision_work:queue") in html


def test_an_action_refused_shows_its_reason_in_the_error_summary_and_changes_nothing(
    client, login, dispatched, people, tree
):
    letter = dispatched().letter
    login(people["office"])
    events = letter.events.count()
    page = client.post(reverse("supervision_work:dispatch", args=[letter.pk]), {"unit": tree["t2"].pk, "note": ""})
    assert page.status_code == 400
    summary = page.content.decode().split('class="sv-error-summary', 1)[1].split("</div>", 1)[0]
    assert "只有在监督办等待派发的信件才能派发。" in summary
    letter.refresh_from_db()
    assert letter.unit == tree["t1"] and letter.events.count() == events
