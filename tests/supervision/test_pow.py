"""The letter form's proof of work: a signed challenge, solved once, fresh, at the asked difficulty."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dangjian.supervision import pow
from dangjian.supervision.models import Letter, SpentChallenge
from tests.supervision.conftest import solved

LETTER = {"title": "路灯坏了", "body": "上坑村的路灯坏了三天。", "category": "complaint", "anonymous": "on"}


def _post(client, **extra):
    return client.post(reverse("supervision:write", args=["voice"]), {**LETTER, **extra})


def test_the_form_carries_a_challenge_and_its_script(client, channels):
    html = client.get(reverse("supervision:write", args=["voice"])).content.decode()
    challenge = html.split('name="pow_challenge" value="', 1)[1].split('"', 1)[0]
    assert pow.verify(challenge, pow.solve(challenge)).ok
    assert "supervision/pow.js" in html and "<noscript>" in html


def test_a_letter_with_the_work_done_is_taken(client, channels):
    assert _post(client, **solved()).status_code == 200
    assert Letter.objects.count() == 1 and SpentChallenge.objects.count() == 1


@pytest.mark.parametrize(
    "work",
    [
        {},  # a robot posting the fields alone
        {"pow_challenge": "x", "pow_nonce": "1"},  # not a challenge the server signed
        "forged",
        "wrong nonce",
        "expired",
    ],
)
def test_a_letter_without_valid_work_is_refused_and_nothing_is_stored(client, channels, work):
    if work == "forged":
        good = solved()
        issued, ident, _bits, signature = good["pow_challenge"].split(".")
        work = {"pow_challenge": f"{issued}.{ident}.0.{signature}", "pow_nonce": "0"}  # difficulty lowered
    elif work == "wrong nonce":
        challenge = pow.issue()
        nonce = next(str(n) for n in range(10_000) if pow.work(challenge, str(n)) < pow.bits())
        work = {"pow_challenge": challenge, "pow_nonce": nonce}
    elif work == "expired":
        challenge = pow.issue(now=time.time() - pow.LIFETIME - 5)
        work = {"pow_challenge": challenge, "pow_nonce": pow.solve(challenge)}
    page = _post(client, **work)
    assert page.status_code == 400
    assert page.context["form"].non_field_errors()
    assert not Letter.objects.exists()
    # The page comes back with a new challenge to solve.
    assert 'name="pow_challenge" value="' in page.content.decode()


def test_a_challenge_serves_once(client, channels):
    work = solved()
    assert _post(client, **work).status_code == 200
    again = _post(client, **work, title="另一封信")
    assert again.status_code == 400 and Letter.objects.count() == 1
    assert "此表单已经提交过一次" in " ".join(again.context["form"].non_field_errors())


def test_a_refused_letter_leaves_its_challenge_unspent(client, channels):
    # The challenge is spent in the letter's own transaction: a letter the action refuses (here, one already
    # received) stores nothing, not even the spent challenge.
    assert _post(client, **solved()).status_code == 200
    refused = _post(client, **solved())
    assert refused.status_code == 400 and "已经收到" in " ".join(refused.context["form"].errors["body"])
    assert Letter.objects.count() == 1 and SpentChallenge.objects.count() == 1


def test_a_challenge_easier_than_the_setting_is_refused(channels, settings):
    settings.DANGJIAN_SUPERVISION_POW_BITS = 4
    easy = pow.issue()
    settings.DANGJIAN_SUPERVISION_POW_BITS = 10
    assert pow.verify(easy, pow.solve(easy)).reason == "weak"


def test_zero_bits_turns_the_check_off(client, channels, settings):
    settings.DANGJIAN_SUPERVISION_POW_BITS = 0
    assert _post(client).status_code == 200 and Letter.objects.count() == 1


def test_old_spent_challenges_are_purged_and_recent_ones_kept(db):
    old = SpentChallenge.objects.create(ident="old")
    SpentChallenge.objects.filter(pk=old.pk).update(spent_at=timezone.now() - timedelta(seconds=pow.LIFETIME + 300))
    SpentChallenge.objects.create(ident="recent")
    assert pow.purge_spent() == 1
    assert list(SpentChallenge.objects.values_list("ident", flat=True)) == ["recent"]


def test_leading_zero_bits():
    assert pow.leading_zero_bits(b"\x00\x00\x80") == 16
    assert pow.leading_zero_bits(b"\x0f") == 4
    assert pow.leading_zero_bits(b"\x00" * 32) == 256


def test_a_challenge_is_spent_once_and_a_spend_rolled_back_with_its_letter_is_undone(db):
    from django.db import transaction

    ident = pow.verify(*_solved_pair()).ident
    with pytest.raises(RuntimeError), transaction.atomic():
        assert pow.spend(ident) is True
        raise RuntimeError("the letter's transaction fails")
    assert not SpentChallenge.objects.filter(ident=ident).exists()
    assert pow.spend(ident) is True
    assert pow.spend(ident) is False  # the second spend is refused, without an error
    assert SpentChallenge.objects.filter(ident=ident).count() == 1


def _solved_pair() -> tuple[str, str]:
    challenge = pow.issue()
    return challenge, pow.solve(challenge)


@pytest.mark.django_db(transaction=True)  # the letter's transaction is a real one, not a savepoint in the test's
def test_a_letter_writes_in_one_transaction_of_few_statements(client, channels, people):
    """The letter's writes take one turn at the write lock: the challenge, the duplicate check, the letter, its
    event, the audit record (head read, record, head update) and the office's inbox row, with no savepoint."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as seen:
        assert _post(client, **solved()).status_code == 200
    sql = [q["sql"].upper() for q in seen.captured_queries]
    assert not any(s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")) for s in sql), sql
    assert sum(s.startswith("INSERT") for s in sql) == 5, sql  # challenge, letter, event, audit, inbox
