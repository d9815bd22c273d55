"""The education demo: a library of items written for the demo (files generated in code), station profiles with
Huichang's local industries, seasonal rules, requests, programmes and a month of class reports. Idempotent.
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.registry import register_demo
from dangjian.education import actions, queries, samples
from dangjian.education.models import (
    Access,
    Category,
    Classification,
    Industry,
    Kind,
    Programme,
    Resource,
    SeasonRule,
    Station,
    Topic,
)

# (title, category slug, topic slugs, kind, body lines or minutes, summary). Written for the demo.
LIBRARY: list[tuple[str, str, tuple[str, ...], str, object, str]] = [
    ("中央苏区时期的会昌", "history-huichang", ("culture",), "pdf",
     ["中央苏区时期的会昌", "1934年夏，毛泽东同志在会昌写下《清平乐·会昌》。", "“东方欲晓，莫道君行早”。"],
     "会昌在中央苏区历史中的地位与红色资源。"),
    ("党的历史简明读本（第一章）", "history-party", (), "epub",
     [("第一章 开天辟地", "中国共产党的成立是中国历史上开天辟地的大事变。"),
      ("第二章 星火燎原", "井冈山的斗争开辟了农村包围城市的道路。")],
     "供党员自学的党史简明读本节选。"),
    ("重要文献选读：关于党的建设的论述", "history-documents", (), "docx",
     ["坚持党要管党、全面从严治党。", "把党的政治建设摆在首位。"], ""),
    ("《共产党宣言》导读", "classics-marxism", ("experts",), "epub",
     [("导读", "《共产党宣言》是科学社会主义的纲领性文献。"), ("学习要点", "理解阶级斗争和无产阶级使命。")],
     "经典著作导读。"),
    ("《矛盾论》《实践论》学习辅导", "classics-mao", ("experts",), "pdf",
     ["《矛盾论》《实践论》学习辅导", "一切从实际出发，实事求是。", "抓主要矛盾和矛盾的主要方面。"], ""),
    ("新时代党的创新理论学习提纲", "classics-xi", (), "docx",
     ["以人民为中心的发展思想。", "绿水青山就是金山银山。", "乡村振兴是实现共同富裕的必经之路。"], ""),
    ("中国共产党章程学习辅导", "knowledge-rules", (), "pdf",
     ["中国共产党章程学习辅导", "党员必须履行的八项义务。", "党员享有的八项权利。"], "逐条学习党章。"),
    ("“三会一课”制度问答", "knowledge-life", (), "docx",
     ["支部党员大会一般每季度召开一次。", "党小组会一般每月召开一次。", "党课一般每季度至少一次。"],
     "组织生活常见问题解答。"),
    ("主题党日活动组织指南", "knowledge-life", (), "docx",
     ["每月固定一天开展主题党日。", "活动前公布主题，活动后记录台账。"], ""),
    ("流动党员教育管理办法解读", "knowledge-members", (), "pdf",
     ["流动党员教育管理办法解读", "外出务工党员可通过网络参加组织生活。"], ""),
    ("党课：学习党史 坚定信念", "lectures-party", ("experts",), "audio", 18, "县委党校教师讲授的党史专题党课。"),
    ("党课：发挥先锋模范作用", "lectures-party", (), "audio", 15, "结合农村实际讲党员先锋模范作用。"),
    ("专家讲座：赣南脐橙黄龙病防控", "lectures-experts", ("technology", "experts"), "audio", 22,
     "农业专家讲解黄龙病的识别、防控和果园管理。"),
    ("专家讲座：油茶低产林改造技术", "lectures-experts", ("technology", "experts"), "audio", 16,
     "油茶低产林改造的整地、修剪和施肥。"),
    ("专家讲座：肉兔规模养殖与疫病防治", "lectures-experts", ("technology", "wealth"), "audio", 14,
     "兔舍建设、饲料配方与兔瘟防治。"),
    ("基层党建：村级组织换届工作要点", "lectures-grassroots", (), "audio", 12, "村“两委”换届的程序和纪律。"),
    ("乡村振兴战略专题讲座", "policy-revival", ("sannong", "experts"), "audio", 20,
     "产业兴旺、生态宜居、乡风文明、治理有效、生活富裕。"),
    ("中央一号文件解读", "policy-rural", ("sannong",), "pdf",
     ["中央一号文件解读", "稳定粮食生产，确保国家粮食安全。", "巩固拓展脱贫攻坚成果同乡村振兴有效衔接。"],
     "逐条解读今年的中央一号文件。"),
    ("耕地保护和粮食安全政策问答", "policy-rural", ("sannong",), "docx",
     ["严守耕地保护红线。", "遏制耕地“非农化”、防止“非粮化”。"], ""),
    ("当前经济形势报告", "policy-situation", ("business",), "audio", 10, "县发改委关于当前经济形势的报告。"),
    ("水稻病虫害绿色防控技术", "policy-revival", ("technology",), "pdf",
     ["水稻病虫害绿色防控技术", "稻飞虱、纹枯病的综合防治。", "春耕备耕期间做好种子处理。"], ""),
    ("会昌米粉加工技术与品牌建设", "policy-revival", ("technology", "business"), "docx",
     ["选用早籼米，浸泡、磨浆、蒸粉、压条。", "注册商标，统一包装，拓宽网络销售。"], ""),
    ("白莲种植与采收加工", "policy-revival", ("technology", "wealth"), "pdf",
     ["白莲种植与采收加工", "清明前后种藕，七月至九月分批采收。"], ""),
    ("蔬菜大棚种植实用技术", "policy-revival", ("technology",), "docx",
     ["大棚选址要背风向阳、排灌方便。", "轮作倒茬，减少病虫害。"], ""),
    ("汛期防灾避险知识", "knowledge-members", ("sannong",), "pdf",
     ["汛期防灾避险知识", "雨季注意山洪、滑坡预警信息，及时转移。"], ""),
    ("采茶戏选段欣赏", "lectures-grassroots", ("culture",), "audio", 8, "赣南采茶戏经典选段。"),
    ("农村电商创业经验分享", "policy-revival", ("wealth", "business"), "docx",
     ["脐橙网上销售要把好品质关。", "物流、包装和售后是关键。"], ""),
    ("小微企业经营管理基础", "policy-situation", ("business",), "pdf",
     ["小微企业经营管理基础", "记账、纳税和用工合同。"], ""),
    ("党员学习材料：支部工作条例", "knowledge-rules", (), "docx",
     ["党支部是党的基础组织。", "党支部的基本任务。"], "仅供党员学习。"),
    ("共产党员网", "knowledge-members", (), "link", "https://www.12371.cn/", "全国党员干部现代远程教育网站。"),
]  # fmt: skip

MEMBERS_ONLY = {"党员学习材料：支部工作条例"}
INTERNAL = {"重要文献选读：关于党的建设的论述"}


def _stream(kind: str, title: str, body) -> io.BytesIO | None:
    if kind == "pdf":
        return io.BytesIO(samples.pdf(body))
    if kind == "docx":
        return io.BytesIO(samples.docx(title, body))
    if kind == "epub":
        return io.BytesIO(samples.epub(title, body))
    if kind == "audio":
        tone = 180 + int(hashlib.sha256(title.encode()).hexdigest(), 16) % 200
        return io.BytesIO(samples.wav(body * 60, rate=2000, tone=tone))
    return None


def load_library(stdout) -> int:
    editor = User.objects.get(username="editor")
    county = Unit.objects.get(kind=UnitKind.COUNTY)
    existing = set(Resource.objects.values_list("title", flat=True))
    categories = {c.slug: c for c in Category.objects.all()}
    topics = {t.slug: t for t in Topic.objects.all()}
    now = timezone.now()
    created = 0
    for i, (title, cat, topic_slugs, kind, body, summary) in enumerate(LIBRARY):
        if title in existing:
            continue
        resource_kind = {"pdf": Kind.DOCUMENT, "docx": Kind.DOCUMENT, "epub": Kind.DOCUMENT}.get(kind, kind)
        actions.add_resource(
            actor=editor,
            title=title,
            kind=resource_kind,
            category=categories[cat],
            unit=county,
            stream=_stream(kind, title, body),
            url=body if kind == "link" else "",
            summary=summary,
            topics=[topics[s] for s in topic_slugs],
            access=Access.MEMBERS if title in MEMBERS_ONLY else Access.PUBLIC,
            classification=Classification.INTERNAL if title in INTERNAL else Classification.PUBLIC,
            published_at=now - timedelta(days=(i * 3) % 40, hours=i),
        )
        created += 1
    created += _load_editions(editor, county, categories, existing)
    stdout.write(f"education: {created} library items\n")
    return created


def _load_editions(editor, county, categories, existing) -> int:
    created = 0
    today = timezone.localdate()
    for paper, slug, lines in (
        ("赣南日报", "editions-gannan", ["赣南日报（演示版）", "会昌县脐橙喜获丰收", "全市乡村振兴现场推进会召开"]),
        ("江西日报", "editions-jiangxi", ["江西日报（演示版）", "全省基层党建工作会议召开"]),
    ):
        for back in (1, 8):
            day = today - timedelta(days=back)
            title = f"{paper} {day.isoformat()}"
            if title in existing:
                continue
            issue = actions.add_resource(
                actor=editor, title=title, kind=Kind.EDITION, category=categories[slug], unit=county, issue_date=day
            )
            for number, page_lines in enumerate((lines, [f"{paper} 第2版", "理论学习"]), 1):
                actions.add_edition_page(
                    actor=editor, resource=issue, number=number, stream=io.BytesIO(samples.pdf(page_lines))
                )
            created += 1
    return created


# Huichang's production: every station grows navel oranges (赣南脐橙); the second industry rotates over the others.
SECOND_INDUSTRIES = ("rice", "camellia", "rabbit", "lotus", "vegetables", "rice-noodles", "tobacco", "pigs", "tea")

# (name, months, industry slug or None for every station, titles of the library items to play). Written for the demo.
SEASON_RULES: list[tuple[str, list[int], str | None, tuple[str, ...]]] = [
    ("春耕", [3, 4], "rice", ("水稻病虫害绿色防控技术",)),
    ("防汛", [4, 5, 6], None, ("汛期防灾避险知识",)),
    ("白莲采收", [7, 8, 9], "lotus", ("白莲种植与采收加工",)),
    ("秋收", [9, 10], "rice", ("水稻病虫害绿色防控技术",)),
    ("脐橙冬季管护", [11, 12, 1], "navel-orange", ("专家讲座：赣南脐橙黄龙病防控",)),
    ("油茶管护", [11, 12], "camellia", ("专家讲座：油茶低产林改造技术",)),
]  # fmt: skip


def load_stations(stdout) -> int:
    """A profile for every station unit, the demo station with its manager and the demo member; the season's rules;
    a request from the demo member; and next Sunday's programmes, drafted as the Thursday job drafts them."""
    manager = User.objects.get(username="station")
    member = User.objects.get(username="member")
    home = manager.roles.get().unit
    industries = {i.slug: i for i in Industry.objects.all()}
    resources = {r.title: r for r in Resource.objects.filter(title__in=[t for *_x, ts in SEASON_RULES for t in ts])}
    created = 0
    for i, unit in enumerate(Unit.objects.filter(kind=UnitKind.STATION).order_by("code")):
        if Station.objects.filter(unit=unit).exists():
            continue
        station = actions.ensure_station(actor=None, unit=unit, manager=manager if unit == home else None)
        station.industries.set([industries["navel-orange"], industries[SECOND_INDUSTRIES[i % len(SECOND_INDUSTRIES)]]])
        if unit == home:
            station.equipment = "投影仪、电视机、卫星接收设备、电脑"
            station.save(update_fields=["equipment"])
            station.members.add(member)
            actions.request_play(
                station=station, resource=Resource.objects.get(title="专家讲座：赣南脐橙黄龙病防控"), user=member,
                note="果园里发现了疑似黄龙病的病树，想请大家一起学习防控。",
            )  # fmt: skip
        created += 1
    for name, months, industry, titles in SEASON_RULES:
        if SeasonRule.objects.filter(name=name).exists():
            continue
        rule = SeasonRule.objects.create(name=name, months=months, industry=industries.get(industry or ""))
        rule.resources.set([resources[t] for t in titles])
    sunday = queries.next_sunday(timezone.localdate())
    built = 0 if Programme.objects.filter(sunday=sunday).exists() else actions.build_programmes(sunday=sunday)
    stdout.write(f"education: {created} station profiles, {built} Sunday programmes drafted\n")
    return created


@register_demo
def load(stdout) -> None:
    with transaction.atomic():
        load_library(stdout)
        load_stations(stdout)
