"""The unlocked officer key in a browser session, for a short time, split so that neither half alone opens it.

After the officer types their mail passphrase, the opened private key is encrypted (XSalsa20-Poly1305, PyNaCl
SecretBox) under a fresh random key. The ciphertext goes into the server-side session with an expiry; the random
key goes to the browser only, in an HttpOnly, SameSite=Strict cookie limited to the staff area (/work/: the mail pages
and the confidential letters of the supervision supermarket, which open with the same unit keys) that expires at
the same time. A copy of the session table alone, or a stolen cookie alone, opens nothing; locking or expiry
deletes both.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

import nacl.exceptions
import nacl.secret
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from dangjian.core.crypto import KeyPair
from dangjian.services.securemail import conf
from dangjian.services.securemail.keys import Unlocked

COOKIE = "dangjian_mail_key"
SESSION_KEY = "securemail_unlocked"
COOKIE_PATH = "/work/"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def remember(request: HttpRequest, response: HttpResponse, unlocked: Unlocked) -> None:
    key = secrets.token_bytes(nacl.secret.SecretBox.KEY_SIZE)
    payload = json.dumps(
        {"user": unlocked.user_id, "suite": unlocked.suite, "public": _b64(unlocked.identity.public),
         "private": _b64(unlocked.identity.private)}
    ).encode()  # fmt: skip
    until = int(time.time()) + conf.unlock_seconds()
    request.session[SESSION_KEY] = {"box": _b64(nacl.secret.SecretBox(key).encrypt(payload)), "until": until}
    response.set_cookie(
        COOKIE, _b64(key), max_age=conf.unlock_seconds(), path=COOKIE_PATH, httponly=True, samesite="Strict",
        secure=settings.SESSION_COOKIE_SECURE,
    )  # fmt: skip


def load(request: HttpRequest) -> Unlocked | None:
    """The unlocked key of this session's user, or None (never unlocked, expired, locked, or another user)."""
    stored = request.session.get(SESSION_KEY)
    cookie = request.COOKIES.get(COOKIE)
    if not stored or not cookie or stored.get("until", 0) < time.time():
        return None
    try:
        payload = json.loads(nacl.secret.SecretBox(base64.urlsafe_b64decode(cookie)).decrypt(
            base64.urlsafe_b64decode(stored["box"])
        ))  # fmt: skip
    except (nacl.exceptions.CryptoError, ValueError, TypeError, KeyError):
        return None
    if payload["user"] != request.user.pk:
        return None
    pair = KeyPair(base64.urlsafe_b64decode(payload["public"]), base64.urlsafe_b64decode(payload["private"]))
    return Unlocked(payload["user"], payload["suite"], pair)


def forget(request: HttpRequest, response: HttpResponse) -> None:
    request.session.pop(SESSION_KEY, None)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Strict")


def seconds_left(request: HttpRequest) -> int:
    stored = request.session.get(SESSION_KEY) or {}
    return max(0, int(stored.get("until", 0) - time.time()))
