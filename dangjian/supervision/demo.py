"""The supervision demo: the county's channels and a handful of letters in every state, made through the actions.

Idempotent: channels are created once; the letters only when no letter exists yet.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dangjian.core.models import Unit, User
from dangjian.core.registry import register_demo
from dangjian.supervision import actions, sealing
from dangjian.supervision.models import Category, Channel, Letter, RatingValue

# (code, name, addressee, published, anonymous accepted, confidential, description)
CHANNELS = [
    ("secretary", "书记信箱", "县委书记", True, True, False, "写给县委书记的信，县委书记亲自阅批，县监督办跟踪督办。"),
    ("county-head", "县长信箱", "县长", True, True, False, "写给县长的信，由县政府办公室转有关单位办理并公开答复。"),
    (
        "voice",
        "民声通道",
        "县网络监督办",
        True,
        True,
        False,
        "反映民生诉求、提出意见建议，由责任单位以单位名义跟帖答复。",
    ),
    ("supervision", "监督投诉", "县纪委县监委", False, True, True, "投诉举报党员干部作风问题；信件加密保存，不公开。"),
    ("notice", "公示异议", "县委组织部", False, True, False, "对公示对象有异议的，可在公示期内来信反映。"),
]

LETTERS = {
    "streetlight": (
        "村道路灯损坏多日无人维修",
        "文武坝镇上坑村通组道路的路灯已坏了两个多月，夜里出行不便，请尽快维修。",
    ),
    "water": ("农村饮水工程水压不足", "我家住在文武坝镇，自来水经常断水，水压不足。我叫刘建华，电话13907970000。"),
    "bus": ("建议增加县城至筠门岭的公交班次", "早晚高峰公交车太挤，建议增加班次。"),
    "stalls": (
        "关于小区门口占道经营的问题",
        "小区门口每天早上有人占道摆摊，垃圾乱扔，住在幸福路18号的居民反映强烈，联系邮箱 liu@example.com。",
    ),
    "housing": ("申请危房改造补助进度咨询", "去年提交的危房改造补助申请，至今没有消息，请问办理进度。"),
    "notice": ("对拟任人选公示的意见", "反映公示对象工作作风方面的情况。"),
    "report": ("反映某站所工作人员办事拖拉", "到某站所办理业务多次被推诿。"),
}
REPLIES = {
    "bus": "来信收悉，我镇已与县交通运输局对接，正在研究调整方案。",
    "stalls_first": "来信收悉，已安排城管中队现场核查。",
    "stalls": "经核查，已对占道经营户进行劝导并划定临时疏导点，每日安排专人巡查保洁。",
    "housing": "您的申请已通过镇级审核，已报县住建局复核，预计本月底前拨付。",
}


def _office_keys(stdout, county: Unit, office: User) -> None:
    """Letters of the confidential channel are sealed for the office: its officer joins the encrypted mail network
    (mail passphrase "Mail-supervision-2026") and holds the county's key."""
    from dangjian.services.securemail import actions as mail
    from dangjian.services.securemail import demo as mail_demo
    from dangjian.services.securemail.keys import unlock
    from dangjian.services.securemail.models import KeyGrant, OfficerIdentity

    mail_demo.load_securemail_demo(stdout)  # the organisation administrator puts the county on the network
    if not OfficerIdentity.objects.filter(user=office).exists():
        mail.enrol_officer(actor=office, passphrase=mail_demo.passphrase(office.username))
    if not sealing.unit_can_receive(county):
        mail.create_unit_key(actor=office, unit=county)
    elif not KeyGrant.objects.filter(officer=office, unit_key__unit=county).exists():
        admin = User.objects.get(username="orgadmin")
        opened = unlock(user=admin, passphrase=mail_demo.passphrase(admin.username))
        mail.grant_officer(actor=admin, unlocked=opened, unit=county, officer=office)


def load(stdout) -> None:
    county = Unit.objects.filter(code=settings.DANGJIAN_COUNTY_CODE).first()
    if county is None:
        return
    with transaction.atomic():
        for position, (code, name, addressee, published, anonymous, confidential, description) in enumerate(CHANNELS):
            Channel.objects.get_or_create(
                code=code,
                defaults=dict(
                    name=name,
                    addressee=addressee,
                    description=description,
                    email=f"{code}@dangjian.localhost",
                    unit=county,
                    is_published=published,
                    accepts_anonymous=anonymous,
                    is_confidential=confidential,
                    position=position,
                ),
            )
    if Letter.objects.exists():
        return
    office = User.objects.filter(username="supervision").first()
    responder = User.objects.filter(username="responder").first()
    head = User.objects.filter(username="head").first()
    township = responder.roles.first().unit if responder else None
    if not (office and responder and head and township):
        return
    _office_keys(stdout, county, office)
    now = timezone.now()

    def submit(channel, title, body, days_ago, **kw):
        kw.setdefault("anonymous", False)
        if not kw["anonymous"]:
            kw.setdefault("contact_name", "刘建华")
            kw.setdefault("contact_phone", "13907970000")
        return actions.submit_letter(
            channel_code=channel, title=title, body=body, received_at=now - timedelta(days=days_ago), **kw
        )

    with transaction.atomic():
        submit("voice", *LETTERS["streetlight"], 1, anonymous=True, category=Category.COMPLAINT)
        late = submit("county-head", *LETTERS["water"], 30, category=Category.COMPLAINT).letter
        actions.dispatch_letter(actor=office, letter=late, unit=township, note="请文武坝镇核实办理。")
        progress = submit("secretary", *LETTERS["bus"], 3, anonymous=True, category=Category.SUGGESTION).letter
        actions.dispatch_letter(actor=office, letter=progress, unit=township)
        actions.post_follow_up(actor=responder, letter=progress, body=REPLIES["bus"])
        answered = submit("secretary", *LETTERS["stalls"], 10, category=Category.COMPLAINT)
        actions.dispatch_letter(actor=office, letter=answered.letter, unit=township)
        actions.post_follow_up(actor=responder, letter=answered.letter, body=REPLIES["stalls_first"])
        result = actions.post_result(actor=responder, letter=answered.letter, body=REPLIES["stalls"])
        actions.sign_off_result(actor=head, result=result)
        actions.rate_letter(receipt=answered.receipt, value=RatingValue.SATISFIED, comment="处理及时，谢谢。")
        waiting = submit("voice", *LETTERS["housing"], 5, anonymous=True, category=Category.CONSULTATION).letter
        actions.dispatch_letter(actor=office, letter=waiting, unit=township)
        actions.post_result(actor=responder, letter=waiting, body=REPLIES["housing"])
        submit("notice", *LETTERS["notice"], 2, anonymous=True, subject_ref="publicity.notice:demo")
        submit("supervision", *LETTERS["report"], 4, anonymous=True, category=Category.REPORT)
    stdout.write("supervision: channels and demo letters loaded\n")


register_demo(load)
