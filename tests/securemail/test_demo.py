"""The demo loader puts the demo head and administrator on the network and sends one report, once."""

from __future__ import annotations

import io

from dangjian.core.models import RoleKind
from dangjian.services.securemail.actions import open_message
from dangjian.services.securemail.demo import load_securemail_demo, passphrase
from dangjian.services.securemail.keys import unlock
from dangjian.services.securemail.models import Message


def test_demo_is_idempotent_and_readable(tree, make_user, suite_name, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    head = make_user("head", (RoleKind.UNIT_HEAD, tree["t1"]))
    admin = make_user("orgadmin", (RoleKind.ORG_ADMIN, tree["county"]))
    for user in (head, admin):
        user.is_demo = True
        user.save(update_fields=["is_demo"])
    load_securemail_demo(io.StringIO())
    load_securemail_demo(io.StringIO())
    message = Message.objects.get()
    opened = open_message(actor=admin, unlocked=unlock(user=admin, passphrase=passphrase("orgadmin")), message=message)
    assert opened.subject == "关于2026年第一季度党建工作情况的报告"
