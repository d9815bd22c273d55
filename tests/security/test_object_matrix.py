"""Every staff URL with an object in its address × staff of the other township: no leak, no change.

The world: objects of every kind belonging to the second township (筠门岭镇, "t2"): a letter dispatched to it with a
file, its extension request, an interview, a station and its programme, a question bank and a quiz, a member with
an entry in every record tab, a transfer, a saved search and an import job of a t2 officer, an SMS campaign, an
encrypted message and the unit's mail key; and a county bulletin.

- **Positive control**: an officer holding every staff role at t2 opens each page (200), so the addresses are right
  and a refusal below means something.
- **The matrix**: staff of the first township ("t1"), once with every staff role at once and once per role, GET and
  POST each address: the answer is 403, 404, or a redirect to the login, the second factor or the mail key's unlock
  page; never 200, never 5xx; the response never shows the object's marker text; and the audit log (every change
  of state writes one) does not grow.
- **Completeness**: the list of addresses is read from the URL configuration; an address with a parameter that is
  not in `OBJECTS` (or `NOT_OBJECT_SCOPED`, with the reason) fails the test, so a page an app adds is covered the day
  it lands.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from dangjian.core import actions as core_actions
from dangjian.core.models import AuditRecord, RoleKind, UnitKind
from dangjian.education import samples
from tests.core.otp import login_verified

pytestmark = pytest.mark.django_db
MARK = "泄露检测"  # in the title or name of every object of the world: a response showing it leaked the object
STAFF_KINDS = [k for k in RoleKind.values if k != RoleKind.MEMBER]

#: URL name → how to fill its parameters from the world; "page" when a GET shows the object (positive control).
OBJECTS: dict[str, tuple[str, object]] = {
    "education_work:station": ("page", lambda w: {"pk": w["station"].pk}),
    "education_work:build": ("post", lambda w: {"pk": w["station"].pk}),
    "education_work:report": ("page", lambda w: {"pk": w["station"].pk}),
    "education_work:reports": ("page", lambda w: {"pk": w["station"].pk}),
    "education_work:programme": ("page", lambda w: {"pk": w["programme"].pk}),
    "education_work:programme_print": ("page", lambda w: {"pk": w["programme"].pk}),
    "education_work:programme_text": ("file", lambda w: {"pk": w["programme"].pk}),
    "education_work:programme_package": ("file", lambda w: {"pk": w["programme"].pk}),
    "education_work:quiz_results": ("page", lambda w: {"pk": w["quiz"].pk}),
    "education_work:quiz_non_takers": ("page", lambda w: {"pk": w["special"].pk}),
    "education_work:bank_import": ("page", lambda w: {"pk": w["bank"].pk}),
    "supervision_work:letter": ("page", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:dispatch": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:follow_up": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:result": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:transfer": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:sign_off": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:extension": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:attachment": ("file", lambda w: {"pk": w["letter"].pk, "attachment": w["attachment"].pk}),
    "supervision_work:decide_extension": ("post", lambda w: {"pk": w["extension"].pk}),
    "supervision_work:publish_bulletin": ("post", lambda w: {"pk": w["bulletin"].pk}),
    "supervision_work:interview": ("page", lambda w: {"pk": w["interview"].pk}),
    "supervision_work:moderate": ("post", lambda w: {"pk": w["interview"].pk, "question": w["question"].pk}),
    "supervision_work:answer": ("post", lambda w: {"pk": w["interview"].pk, "question": w["question"].pk}),
    "supervision_work:archive": ("post", lambda w: {"pk": w["interview"].pk}),
    "supervision_work:edit_interview": ("page", lambda w: {"pk": w["interview"].pk}),
    "supervision_work:cancel_interview": ("post", lambda w: {"pk": w["interview"].pk}),
    "supervision_work:redact": ("post", lambda w: {"pk": w["letter"].pk}),
    "supervision_work:unredact": ("post", lambda w: {"pk": w["letter"].pk}),
    "registry:delete_search": ("post", lambda w: {"pk": w["search"].pk}),
    "registry:import_job": ("page", lambda w: {"pk": w["job"].pk}),
    "registry:import_apply": ("post", lambda w: {"pk": w["job"].pk}),
    "registry:person_detail": ("page", lambda w: {"pk": w["person"].pk}),
    "registry:person_edit": ("page", lambda w: {"pk": w["person"].pk}),
    "registry:transfer_create": ("page", lambda w: {"pk": w["person"].pk}),
    "registry:part_add": ("page", lambda w: {"pk": w["person"].pk, "tab": "rewards"}),
    "registry:part_edit": ("page", lambda w: {"pk": w["person"].pk, "tab": "rewards", "entry_pk": w["reward"].pk}),
    "registry:part_end": ("page", lambda w: {"pk": w["person"].pk, "tab": "positions", "entry_pk": w["position"].pk}),
    "registry:transfer_detail": ("page", lambda w: {"pk": w["transfer"].pk}),
    "registry:transfer_print": ("page", lambda w: {"pk": w["transfer"].pk}),
    "dues:account": ("page", lambda w: {"pk": w["person"].pk}),
    "sms:campaign_detail": ("page", lambda w: {"pk": w["campaign"].pk}),
    "sms:campaign_submit": ("post", lambda w: {"pk": w["campaign"].pk}),
    "sms:campaign_approve": ("post", lambda w: {"pk": w["campaign"].pk}),
    "sms:campaign_cancel": ("post", lambda w: {"pk": w["campaign"].pk}),
    # The mail pages need the officer's unlocked key before anything else (a redirect to the unlock page); the
    # positive control for them is in tests/securemail, where keys are unlocked.
    "securemail:read": ("key", lambda w: {"pk": w["message"].pk}),
    "securemail:attachment": ("key", lambda w: {"pk": w["message"].pk, "position": 0}),
    "securemail:forward": ("key", lambda w: {"pk": w["message"].pk}),
    "securemail:delete": ("key", lambda w: {"pk": w["message"].pk}),
    "securemail:refile": ("key", lambda w: {"pk": w["message"].pk}),
    "securemail:create_key": ("post", lambda w: {"unit_pk": w["t2"].pk}),
    "securemail:rotate_key": ("post", lambda w: {"unit_pk": w["t2"].pk}),
    "securemail:grant": ("post", lambda w: {"unit_pk": w["t2"].pk}),
    "securemail:revoke_officer": ("post", lambda w: {"unit_pk": w["t2"].pk, "user_pk": w["owner"].pk}),
}
#: Addresses with a parameter that names no object of a unit, with the reason.
NOT_OBJECT_SCOPED = {
    "stats_work:export": "a report's name and format; the unit and period come in the query (tests/stats)",
}


def _named_routes(patterns, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found = []
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            ns = f"{namespace}:{p.namespace}" if namespace and p.namespace else (p.namespace or namespace)
            found += _named_routes(p.url_patterns, route, ns)
        elif isinstance(p, URLPattern) and "<" in route and route.startswith("work/"):
            found.append((f"{namespace}:{p.name}" if namespace else str(p.name), route))
    return found


def test_every_staff_address_with_an_object_is_in_the_matrix():
    names = {name for name, _route in _named_routes(get_resolver().url_patterns)}
    missing = names - set(OBJECTS) - set(NOT_OBJECT_SCOPED)
    assert not missing, f"add these addresses to OBJECTS (or NOT_OBJECT_SCOPED with a reason): {sorted(missing)}"


@pytest.fixture
def world(tree, make_user, settings, tmp_path):
    """The second township's objects, made through the real actions where they have one."""
    from dangjian.education.models import Programme, QuestionBank, Quiz, Station
    from dangjian.services.registry.models import (
        ImportJob,
        Person,
        Position,
        RewardPunishment,
        SavedSearch,
        Transfer,
    )
    from dangjian.services.securemail import actions as mail
    from dangjian.services.securemail.keys import unlock
    from dangjian.services.sms.models import Campaign
    from dangjian.supervision import actions as letters
    from dangjian.supervision import attachments
    from dangjian.supervision.models import Bulletin, Channel, Interview, Question

    settings.MEDIA_ROOT = tmp_path / "media"
    t2 = tree["t2"]
    branch = core_actions.create_unit(
        actor=None, code="B2", name="下塘村党支部", kind=UnitKind.BRANCH, parent=tree["v2"]
    )
    owner = make_user("t2-officer", *[(kind, t2) for kind in STAFF_KINDS])
    office = make_user("county-office", (RoleKind.SUPERVISION_OFFICE, tree["county"]))
    w: dict = {"t2": t2, "owner": owner}

    Channel.objects.create(code="voice", name="民声通道", unit=tree["county"])
    pdf = samples.pdf(["水渠照片"])
    sub = letters.submit_letter(
        channel_code="voice", title=f"{MARK}：下塘村水渠", body="水渠堵塞。", anonymous=True,
        attachments=[attachments.Upload("照片.pdf", pdf)],
    )  # fmt: skip
    w["letter"] = letters.dispatch_letter(actor=office, letter=sub.letter, unit=t2)
    w["attachment"] = w["letter"].attachments.get()
    w["extension"] = letters.request_extension(
        actor=owner, letter=w["letter"], which="first", workdays=3, reason=f"{MARK}：需现场核实"
    )
    w["bulletin"] = Bulletin.objects.create(month=date(2026, 11, 1), title=f"{MARK}：十一月通报")
    now = timezone.now()
    w["interview"] = Interview.objects.create(
        title=f"{MARK}：访谈",
        topic="农村水利",
        guests="镇长",
        unit=t2,
        starts_at=now + timedelta(days=1),
        ends_at=now + timedelta(days=1, hours=1),
    )
    w["question"] = Question.objects.create(interview=w["interview"], body=f"{MARK}：水渠什么时候修？")

    w["station"], _ = Station.objects.get_or_create(unit=tree["s2"])
    w["programme"] = Programme.objects.create(station=w["station"], sunday=date(2026, 12, 6))
    w["bank"] = QuestionBank.objects.create(name=f"{MARK}：题库", unit=t2)
    w["quiz"] = Quiz.objects.create(kind="daily", title=f"{MARK}：每日答题", unit=t2)
    w["special"] = Quiz.objects.create(
        kind="test", title=f"{MARK}：专项测试", unit=t2, closes_at=timezone.now() + timedelta(days=7)
    )

    w["person"] = Person.objects.create(
        name=f"{MARK}李四", name_pinyin="lisi", name_initials="ls", gender="male", branch=branch,
        joined_date=date(2015, 7, 1), full_member_date=date(2016, 7, 1),
    )  # fmt: skip
    w["reward"] = RewardPunishment.objects.create(person=w["person"], kind="reward", title=MARK, date=date(2020, 1, 1))
    w["position"] = Position.objects.create(person=w["person"], title=f"{MARK}支书", start=date(2021, 1, 1))
    w["transfer"] = Transfer.objects.create(
        person=w["person"], number="T2-2026-001", from_branch=branch, to_organisation="赣州市某单位",
        issued_on=date(2026, 11, 1), valid_until=date(2026, 12, 31), receipt_due=date(2026, 12, 31),
    )  # fmt: skip
    w["search"] = SavedSearch.objects.create(name=f"{MARK}：检索", unit=t2, owner=owner)
    w["job"] = ImportJob.objects.create(owner=owner, filename=f"{MARK}.csv", content=b"name\n", digest="0" * 64)
    w["campaign"] = Campaign.objects.create(unit=t2, title=f"{MARK}：通知", body=MARK, created_by=owner)

    county_officer = make_user("county-mail", (RoleKind.ORG_ADMIN, tree["county"]))
    for officer in (owner, county_officer):
        mail.enrol_officer(actor=officer, passphrase="passphrase-of-the-test")
    mail.create_unit_key(actor=owner, unit=t2)
    mail.create_unit_key(actor=county_officer, unit=tree["county"])
    w["message"] = mail.send_message(
        actor=owner, unlocked=unlock(user=owner, passphrase="passphrase-of-the-test"), sender_unit=t2,
        recipients=[tree["county"]], category="report", subject=f"{MARK}：报告", doc_number="", body=MARK,
        uploads=[mail.Upload("附件.txt", io.BytesIO(MARK.encode()))],
    )  # fmt: skip
    return w


def _url(world, name: str) -> str:
    return reverse(name, kwargs=OBJECTS[name][1](world))  # type: ignore[operator]


ALLOWED_REDIRECTS = re.compile(r"^/(accounts/login/|accounts/otp/|work/mail/(unlock|setup)/)")


def _refused(response, method: str) -> bool:
    """A page asked for is refused outright; a form posted may also be answered with a redirect back and an error
    message (the audit check says whether anything changed)."""
    if response.status_code in (403, 404):
        return True
    if response.status_code != 302:
        return False
    location = response["Location"]
    return bool(ALLOWED_REDIRECTS.match(location)) or (method == "post" and location.startswith("/work/"))


def test_the_owner_opens_every_page_so_the_addresses_are_right(client, world):
    login_verified(client, world["owner"])
    for name, (kind, _kwargs) in OBJECTS.items():
        if kind not in ("page", "file"):
            continue
        response = client.get(_url(world, name))
        assert response.status_code == 200, f"the owner got {response.status_code} on {name}"


def _probe(client, world, label: str) -> list[str]:
    leaks = []
    before = AuditRecord.objects.count()
    for name in OBJECTS:
        url = _url(world, name)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"body": "x", "reason": "x", "note": "x", "unit": world["t2"].pk})
            if response.status_code == 405:
                continue
            body = b"".join(response) if response.streaming else response.content
            if not _refused(response, method):
                leaks.append(f"{label} {method.upper()} {name}: {response.status_code}")
            elif MARK.encode() in body:
                leaks.append(f"{label} {method.upper()} {name}: the refusal shows the object")
        after = AuditRecord.objects.count()
        if after != before:
            leaks.append(f"{label} on {name}: the audit log grew by {after - before} (a change was made)")
            before = after
    return leaks


def test_staff_of_the_other_township_with_every_role_reach_nothing(client, world, tree, make_user):
    login_verified(client, make_user("t1-all", *[(kind, tree["t1"]) for kind in STAFF_KINDS]))
    assert _probe(client, world, "all roles at t1") == []


@pytest.mark.parametrize("kind", STAFF_KINDS)
def test_staff_of_the_other_township_in_each_role_reach_nothing(client, world, tree, make_user, kind):
    login_verified(client, make_user(f"t1-{kind}", (kind, tree["t1"])))
    assert _probe(client, world, f"{kind} at t1") == []
