"""Proof of work for the public letter form: a small cost to the writer's browser, a large one to a spam robot.

The form carries a challenge the server signed: when it was issued, a random id and the difficulty, with an
HMAC-SHA-256 under a key derived from SECRET_KEY. The page's script (static/supervision/pow.js, its own SHA-256,
since WebCrypto needs HTTPS and county intranets often serve plain HTTP) looks for a nonce such that
SHA-256(challenge ":" nonce) starts with `bits` zero bits (2^bits tries on average: 16 bits take a phone well under a
second), and sends it with the letter. The server checks the signature, the age (an hour at most), the difficulty
and the hash; the letter's own transaction then spends the challenge (a row of `SpentChallenge`, unique by its id,
shared by every process) so it cannot be used twice; spent ids older than a challenge's lifetime are purged hourly.
Nothing in it names the writer: no address, no time finer than the issue second, which is not stored with the
letter.

It needs no third party, as the issue asks ("a proof-of-work or captcha that needs no third party"). A browser
without JavaScript cannot send the form; the page says so and gives the channel's e-mail address instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.utils import timezone

#: How long a challenge may be used after it was issued, in seconds.
LIFETIME = 3600
DEFAULT_BITS = 16


def bits() -> int:
    """The difficulty asked of new challenges (DANGJIAN_SUPERVISION_POW_BITS; 0 turns the check off)."""
    value = getattr(settings, "DANGJIAN_SUPERVISION_POW_BITS", DEFAULT_BITS)
    return max(0, min(int(value), 32))


def _key() -> bytes:
    return hashlib.blake2b(settings.SECRET_KEY.encode(), person=b"dj-letter-pow", digest_size=32).digest()


def _sign(body: str) -> str:
    return hmac.new(_key(), body.encode(), hashlib.sha256).hexdigest()[:32]


def issue(now: float | None = None) -> str:
    """A new challenge: `<issued>.<id>.<bits>.<signature>`."""
    body = f"{int(now if now is not None else time.time())}.{secrets.token_hex(12)}.{bits()}"
    return f"{body}.{_sign(body)}"


def leading_zero_bits(digest: bytes) -> int:
    n = 0
    for byte in digest:
        if byte == 0:
            n += 8
            continue
        return n + 8 - byte.bit_length()
    return n


def work(challenge: str, nonce: str) -> int:
    return leading_zero_bits(hashlib.sha256(f"{challenge}:{nonce}".encode()).digest())


def solve(challenge: str) -> str:
    """The first nonce that meets the challenge (what the page's script does; used by tests and benchmarks)."""
    need = int(challenge.split(".")[2])
    n = 0
    while work(challenge, str(n)) < need:
        n += 1
    return str(n)


@dataclass(frozen=True)
class Checked:
    ok: bool
    reason: str = ""  # "missing", "forged", "expired", "weak", "wrong", "used"
    ident: str = ""  # the challenge's one-use identity, for spend()


def verify(challenge: str, nonce: str, now: float | None = None) -> Checked:
    """Whether the work is done, without spending the challenge or asking whether it was spent: the caller spends it
    with what it stores, and a spent one is refused then (`spend` returns False)."""
    if bits() == 0:
        return Checked(True)
    if not challenge or not nonce or len(challenge) > 100 or len(nonce) > 32:
        return Checked(False, "missing")
    parts = challenge.split(".")
    if len(parts) != 4 or not parts[0].isdigit() or not parts[2].isdigit():
        return Checked(False, "forged")
    issued, ident, asked, signature = parts
    if not hmac.compare_digest(_sign(f"{issued}.{ident}.{asked}"), signature):
        return Checked(False, "forged")
    now = now if now is not None else time.time()
    if not -60 <= now - int(issued) <= LIFETIME:
        return Checked(False, "expired")
    if int(asked) < bits():
        return Checked(False, "weak")
    if work(challenge, nonce) < int(asked):
        return Checked(False, "wrong")
    return Checked(True, ident=ident)


def spend(ident: str) -> bool:
    """Spend a verified challenge in the caller's transaction; False if it was spent already (a race lost)."""
    if not ident:  # proof of work switched off
        return True
    from dangjian.supervision.models import SpentChallenge

    # One statement that says whether the row was new (INSERT … ON CONFLICT DO NOTHING, in SQLite since 3.24 and
    # in PostgreSQL), instead of a savepoint around an insert that may fail: a letter's transaction spares two
    # statements, and a lost race is an answer, not an error to roll back.
    meta = SpentChallenge._meta
    spent_at = meta.get_field("spent_at").get_db_prep_value(timezone.now(), connection)
    quote = connection.ops.quote_name
    # The names come from the model, quoted; the values are bound.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({quote('ident')}, {quote('spent_at')}) VALUES (%s, %s) "  # noqa: S608
        f"ON CONFLICT ({quote('ident')}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [ident, spent_at])
        return cursor.rowcount == 1


def purge_spent(now: float | None = None) -> int:
    """Forget spent challenges too old to be accepted anyway."""
    from datetime import UTC, datetime

    from dangjian.supervision.models import SpentChallenge

    cutoff = datetime.fromtimestamp((now if now is not None else time.time()) - LIFETIME - 120, UTC)
    deleted, _ = SpentChallenge.objects.filter(spent_at__lt=cutoff).delete()
    return deleted
