"""The encrypted mail demo: the demo unit head of 文武坝镇 and the organisation administrator of the county put their
units on the network (mail passphrase "Mail-<username>-2026") and one notice travels between them. Idempotent."""

from __future__ import annotations

import io

from dangjian.core.models import Role, User
from dangjian.core.registry import register_demo
from dangjian.services.securemail import actions, conf
from dangjian.services.securemail.keys import unlock
from dangjian.services.securemail.models import Category, Message, OfficerIdentity, UnitKey

OFFICERS = ("head", "orgadmin")


def passphrase(username: str) -> str:
    return f"Mail-{username}-2026"


@register_demo
def load_securemail_demo(stdout) -> None:
    users = {u.username: u for u in User.objects.filter(username__in=OFFICERS, is_demo=True)}
    if len(users) != len(OFFICERS):
        return
    units = {}
    for name, user in users.items():
        if not OfficerIdentity.objects.filter(user=user, suite=conf.suite_name()).exists():
            actions.enrol_officer(actor=user, passphrase=passphrase(name))
        role = Role.objects.filter(user=user).select_related("unit").first()
        units[name] = role.unit
        if not UnitKey.objects.filter(unit=role.unit, suite=conf.suite_name()).exists():
            actions.create_unit_key(actor=user, unit=role.unit)
    if Message.objects.filter(sender_unit=units["head"], doc_number="会文武发〔2026〕1号").exists():
        return
    actions.send_message(
        actor=users["head"], unlocked=unlock(user=users["head"], passphrase=passphrase("head")),
        sender_unit=units["head"], recipients=[units["orgadmin"]], category=Category.REPORT,
        subject="关于2026年第一季度党建工作情况的报告", doc_number="会文武发〔2026〕1号",
        body="县委组织部：\n现将我镇第一季度党建工作情况报告如下（详见附件）。",
        uploads=[actions.Upload("第一季度党建工作情况.txt", io.BytesIO("一、组织建设……\n二、党员教育……\n".encode()))],
    )  # fmt: skip
    stdout.write("securemail: demo officers enrolled, keys created, one message sent\n")
