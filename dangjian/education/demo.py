"""The education demo: a library of items written for the demo (files generated in code), station profiles with
Huichang's local industries, seasonal rules, county-wide items, requests, next Sunday's programmes and last month's
classes with their reports, and a question bank on 党章 and 党史 with a
daily quiz and a special test. Idempotent.
"""

from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from dangjian.core.models import Unit, UnitKind, User
from dangjian.core.registry import register_demo
from dangjian.education import actions, queries, samples
from dangjian.education.models import (
    Access,
    Category,
    Classification,
    ClassReport,
    CountyItem,
    Industry,
    Kind,
    Programme,
    ProgrammeState,
    QuestionBank,
    QuestionKind,
    QuizKind,
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

# A series of recorded practical lectures (农村实用技术讲座), so that the demo's library holds enough for last month's
# classes and next Sunday's without a station repeating an item (the builder's rule). Written for the demo.
HANDBOOK = [
    ("脐橙春季修剪", "剪除枯枝、病虫枝，保持树冠通风透光。"),
    ("脐橙保花保果", "花期喷施硼肥，控制夏梢。"),
    ("脐橙采后贮藏", "分级包装，低温通风贮藏。"),
    ("柑橘木虱的识别与防治", "木虱是黄龙病的传播媒介，统一时间喷药。"),
    ("早稻育秧技术", "选用良种，集中育秧，培育壮秧。"),
    ("晚稻田间管理", "浅水勤灌，适时晒田。"),
    ("稻田养鱼", "开挖鱼沟鱼凼，稻鱼共生。"),
    ("油茶新造林技术", "选用良种壮苗，秋冬季整地。"),
    ("油茶采收与加工", "霜降前后采收，晒果脱籽。"),
    ("肉兔饲料配制", "青粗饲料与精饲料合理搭配。"),
    ("兔舍消毒与防疫", "定期消毒，按时注射兔瘟疫苗。"),
    ("生猪健康养殖", "全进全出，做好非洲猪瘟防控。"),
    ("蔬菜病虫害绿色防控", "黄板诱杀，防虫网覆盖。"),
    ("茶园春季管理", "适时采摘，合理施肥。"),
    ("烟叶烘烤技术", "看烟烤烟，把好变黄和定色关。"),
    ("农产品质量安全", "合理使用农药，遵守安全间隔期。"),
    ("农村合作社的组建", "依法登记，民主管理，按交易量返还盈余。"),
    ("农民工权益保护", "签订劳动合同，依法维护工资权益。"),
    ("农村安全用电", "不私拉乱接电线，雷雨天远离电线杆。"),
    ("农村消防安全", "柴草远离灶台，家中配备灭火器。"),
    ("农村电商直播带货入门", "选好产品，真实介绍，守法经营。"),
    ("农村垃圾分类", "可回收物、有害垃圾分类投放。"),
    ("农村厕所改造", "三格式化粪池的建设与维护。"),
    ("家庭农场经营", "适度规模经营，做好收支记账。"),
    ("农业保险知识", "参加政策性农业保险，减少灾害损失。"),
    ("防范电信诈骗", "不轻信陌生来电，不转账给陌生人。"),
    ("农村小额信贷", "了解贴息政策，按时还款守信用。"),
    ("留守老人和儿童关爱", "党员结对帮扶，定期走访。"),
    ("高标准农田建设", "田成方、渠相通、路相连。"),
    ("农机安全操作", "持证驾驶，定期检修。"),
]

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
    for number, (subject, line) in enumerate(HANDBOOK, 1):
        title = f"农村实用技术讲座（第{number}讲）：{subject}"
        if title in existing:
            continue
        # A low sampling rate keeps the series small (about 60 KB a minute).
        audio = samples.wav(60.0 * (12 + number % 7), rate=1000, tone=150 + 11 * number)
        actions.add_resource(
            actor=editor, title=title, kind=Kind.AUDIO, category=categories["lectures-experts"], unit=county,
            stream=io.BytesIO(audio), summary=line, topics=[topics["technology"]],
            published_at=now - timedelta(days=70 - number),
        )  # fmt: skip
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
    """A profile for every station unit, the demo station with its manager and the demo member; the season's rules
    and the county-wide items; last month's classes; a request from the demo member; and next Sunday's programmes,
    drafted as the Thursday job drafts them."""
    manager = User.objects.get(username="station")
    member = User.objects.get(username="member")
    home = manager.roles.get().unit
    industries = {i.slug: i for i in Industry.objects.all()}
    resources = {r.title: r for r in Resource.objects.filter(title__in=[t for *_x, ts in SEASON_RULES for t in ts])}
    created = 0
    new_home = None
    for i, unit in enumerate(Unit.objects.filter(kind=UnitKind.STATION).order_by("code")):
        if Station.objects.filter(unit=unit).exists():
            continue
        station = actions.ensure_station(actor=None, unit=unit, manager=manager if unit == home else None)
        station.industries.set([industries["navel-orange"], industries[SECOND_INDUSTRIES[i % len(SECOND_INDUSTRIES)]]])
        if unit == home:
            station.equipment = "投影仪、电视机、卫星接收设备、电脑"
            station.save(update_fields=["equipment"])
            station.members.add(member)
            new_home = station
        created += 1
    for name, months, industry, titles in SEASON_RULES:
        if SeasonRule.objects.filter(name=name).exists():
            continue
        rule = SeasonRule.objects.create(name=name, months=months, industry=industries.get(industry or ""))
        rule.resources.set([resources[t] for t in titles])
    load_county_items()
    if created:
        load_past_classes(stdout, Station.objects.filter(unit=home).first())
    if new_home is not None:
        actions.request_play(
            station=new_home, resource=Resource.objects.get(title="专家讲座：赣南脐橙黄龙病防控"), user=member,
            note="果园里发现了疑似黄龙病的病树，想请大家一起学习防控。",
        )  # fmt: skip
    sunday = queries.next_sunday(timezone.localdate())
    built = 0 if Programme.objects.filter(sunday=sunday).exists() else actions.build_programmes(sunday=sunday)
    stdout.write(f"education: {created} station profiles, {built} Sunday programmes drafted\n")
    return created


# (title of the library item, note): what every station plays while the item's period runs. Written for the demo.
COUNTY_ITEMS = [
    ("中央一号文件解读", "全县各站点必须播放：学习今年的中央一号文件。"),
    ("乡村振兴战略专题讲座", "全县各站点必须播放：乡村振兴战略专题学习。"),
]
#: Minutes of the midweek session (党员夜校) at which a station plays its Sunday programme again.
MIDWEEK_MINUTES = 180
#: Minutes of discussion after the items of a Sunday class (播后讨论).
DISCUSSION_MINUTES = 40
# 播后讨论 notes of the demo's classes. Written for the demo.
DISCUSSIONS = (
    "大家围绕黄龙病防控交流了经验，决定统一时间清除病树、统一购药防治木虱。",
    "党员带头发言，结合本村实际讨论了如何把政策落实到户。",
    "村民提出想多学网上销售脐橙的办法，下次点播电商讲座。",
    "老党员讲述了苏区时期的故事，年轻党员表示要传承红色基因。",
    "讨论了油茶林改造的补助政策，村委会答应帮助申报。",
    "大家对汛期转移路线提出了意见，村里将重新张贴避险示意图。",
)


def _last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1)
    return (end - timedelta(days=1)).replace(day=1), end


def load_county_items() -> None:
    """The county's policy items, running from the start of last month to a month after next Sunday."""
    today = timezone.localdate()
    start, _end = _last_month(today)
    for title, note in COUNTY_ITEMS:
        resource = Resource.objects.get(title=title)
        if not CountyItem.objects.filter(resource=resource).exists():
            CountyItem.objects.create(resource=resource, start=start, end=today + timedelta(weeks=5), note=note)


def _skips(index: int, week: int, midweek: bool) -> bool:
    """The demo's stations that fall short of the monthly minimum: a few held one class only, a few no midweek
    session, so the report card flags them to their township."""
    return (index % 23 == 5 and week > 0) or (midweek and index % 17 == 3)


def load_past_classes(stdout, home: Station | None) -> int:
    """Last month's classes at every station but the demo station (whose manager plans and reports in the demo
    itself), through the actions: each Sunday's programme built, published and reported (attendance, the members
    checked in, discussion), and a midweek session that plays it again; most stations reach the monthly minimum,
    a few do not, and the month's report card shows both."""
    today = timezone.localdate()
    org_admin = User.objects.get(username="orgadmin")
    stations_qs = Station.objects.exclude(pk=home.pk) if home else Station.objects.all()
    stations = list(stations_qs.prefetch_related("members").order_by("unit__code"))
    reported = set(ClassReport.objects.values_list("station_id", "held_on"))
    start, end = _last_month(today)
    sundays = [
        start + timedelta(days=d) for d in range((end - start).days) if (start + timedelta(days=d)).weekday() == 6
    ]
    count = 0
    for week, sunday in enumerate(sundays):
        actions.build_programmes(sunday=sunday, stations=stations_qs)
        programmes = {
            p.station_id: p for p in Programme.objects.filter(sunday=sunday).prefetch_related("items__resource")
        }
        for index, station in enumerate(stations):
            prog = programmes.get(station.pk)
            if prog is None or not prog.items.all():
                continue
            if prog.state == ProgrammeState.DRAFT:
                actions.publish_programme(actor=org_admin, programme_=prog)
            played = [(i.resource, i.minutes) for i in prog.items.all()]
            members = list(station.members.all())
            attendance = 12 + (index * 7 + week * 5) % 30
            for held_on, minutes, midweek in (
                (sunday, sum(m for _r, m in played) + DISCUSSION_MINUTES, False),
                (sunday + timedelta(days=3), MIDWEEK_MINUTES, True),
            ):
                if held_on >= min(today, end) or (station.pk, held_on) in reported or _skips(index, week, midweek):
                    continue
                actions.submit_report(
                    actor=org_admin, station=station, held_on=held_on, minutes=minutes,
                    attendance=max(attendance - (8 if midweek else 0), len(members)), played=played,
                    attendees=members, discussion="" if midweek else DISCUSSIONS[(index + week) % len(DISCUSSIONS)],
                )  # fmt: skip
                count += 1
    stdout.write(f"education: {len(COUNTY_ITEMS)} county-wide items, {count} class reports of last month\n")
    return count


BANK = "党章党史知识题库"
S, M, TF = QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE
# (kind, question, options with the right ones marked by a leading "*", or "对"/"错", explanation). Written for the
# demo from the party constitution (党章) and party history.
QUESTIONS: list[tuple[str, str, object, str]] = [
    (S, "中国共产党第一次全国代表大会于哪一年召开？", ["1919年", "*1921年", "1927年", "1949年"],
     "1921年7月，中国共产党第一次全国代表大会在上海召开，最后一天转移到浙江嘉兴南湖的游船上举行。"),
    (S, "党的最高理想和最终目标是什么？",
     ["*实现共产主义", "全面建成小康社会", "基本实现社会主义现代化", "实现共同富裕"],
     "党章总纲：党的最高理想和最终目标是实现共产主义。"),
    (S, "党的根本组织原则是什么？", ["集体领导", "*民主集中制", "个人分工负责", "少数服从多数"],
     "党章总纲：党是根据自己的纲领和章程，按照民主集中制组织起来的统一整体。"),
    (S, "预备党员的预备期为多长时间？", ["半年", "*一年", "两年", "三年"], "党章第七条：预备党员的预备期为一年。"),
    (S, "年满多少岁的中国工人、农民、军人、知识分子和其他社会阶层的先进分子，可以申请加入中国共产党？",
     ["十六岁", "*十八岁", "二十岁", "二十二岁"], "党章第一条规定，年满十八岁。"),
    (S, "遵义会议是在哪一年召开的？", ["1927年", "1931年", "*1935年", "1937年"],
     "1935年1月，中共中央政治局在贵州遵义召开扩大会议，这是党的历史上一个生死攸关的转折点。"),
    (S, "1934年夏，毛泽东同志在会昌写下了哪首词？",
     ["《沁园春·雪》", "*《清平乐·会昌》", "《忆秦娥·娄山关》", "《西江月·井冈山》"],
     "1934年夏，毛泽东同志登上会昌城外的岚山岭，写下“东方欲晓，莫道君行早”的《清平乐·会昌》。"),
    (S, "党员没有正当理由，连续多长时间不参加党的组织生活、不交纳党费或不做党所分配的工作，就被认为是自行脱党？",
     ["三个月", "*六个月", "九个月", "一年"], "党章第九条规定为连续六个月。"),
    (S, "南昌起义爆发于哪一天？", ["*1927年8月1日", "1927年9月9日", "1928年4月28日", "1921年7月1日"],
     "南昌起义打响了武装反抗国民党反动派的第一枪，8月1日后来成为中国人民解放军建军节。"),
    (S, "党的全国代表大会每几年举行一次？", ["三年", "四年", "*五年", "十年"],
     "党章第十九条：党的全国代表大会每五年举行一次，由中央委员会召集。"),
    (S, "党支部党员大会一般多长时间召开一次？", ["每月一次", "*每季度一次", "每半年一次", "每年一次"],
     "“三会一课”制度：支部党员大会一般每季度召开一次，党小组会一般每月召开一次。"),
    (M, "党章规定的党的纪律处分有哪些？（选出所有正确项）",
     ["*警告", "*严重警告", "*撤销党内职务", "*留党察看", "降级"],
     "党的纪律处分有五种：警告、严重警告、撤销党内职务、留党察看、开除党籍。降级是政务处分，不是党纪处分。"),
    (M, "“四个意识”是指哪些？", ["*政治意识", "*大局意识", "*核心意识", "*看齐意识", "忧患意识"],
     "“四个意识”即政治意识、大局意识、核心意识、看齐意识。"),
    (M, "“三会一课”中的“三会”是指哪些？", ["*支部党员大会", "*支部委员会", "*党小组会", "民主生活会"],
     "“三会”是支部党员大会、支部委员会、党小组会，“一课”是党课。"),
    (M, "党的三大优良作风是指哪些？", ["*理论联系实际", "*密切联系群众", "*批评与自我批评", "墨守成规"],
     "毛泽东同志在党的七大上把党的优良作风概括为理论和实践相结合、和人民群众紧密地联系在一起、自我批评。"),
    (M, "下列哪些内容出自入党誓词？", ["*拥护党的纲领", "*遵守党的章程", "*保守党的秘密", "追求个人利益"],
     "入党誓词：我志愿加入中国共产党，拥护党的纲领，遵守党的章程，履行党员义务，执行党的决定，严守党的纪律，保守党的秘密……"),
    (TF, "中国共产党是中国工人阶级的先锋队，同时是中国人民和中华民族的先锋队。", "对", "党章总纲开篇即如此规定。"),
    (TF, "预备党员享有表决权、选举权和被选举权。", "错",
     "党章第七条：预备党员的义务同正式党员一样；权利除了没有表决权、选举权和被选举权以外，也同正式党员一样。"),
    (TF, "井冈山革命根据地是中国共产党创建的第一个农村革命根据地。", "对",
     "1927年10月，毛泽东同志率秋收起义部队到达井冈山，创建了第一个农村革命根据地。"),
    (TF, "党的基层组织是党在社会基层组织中的战斗堡垒，是党的全部工作和战斗力的基础。", "对",
     "见党章第五章“党的基层组织”。"),
    (TF, "中国共产党第一次全国代表大会自始至终都在上海举行。", "错",
     "会议因遭法租界巡捕袭扰，最后一天转移到浙江嘉兴南湖的一艘游船上举行。"),
]  # fmt: skip


def _options(kind: str, spec) -> list[tuple[str, bool]]:
    if kind == QuestionKind.TRUE_FALSE:
        return [("正确", spec == "对"), ("错误", spec == "错")]
    return [(text.lstrip("*"), text.startswith("*")) for text in spec]


def load_quizzes(stdout) -> int:
    """The bank on 党章 and 党史, the county's daily quiz (5 questions) and a special test open for a month (10
    questions, pass mark 60, 20 minutes, two attempts); the demo member did yesterday's daily quiz."""
    if QuestionBank.objects.filter(name=BANK).exists():
        return 0
    editor = User.objects.get(username="editor")
    county = Unit.objects.get(kind=UnitKind.COUNTY)
    bank = actions.create_bank(
        actor=editor, name=BANK, unit=county, category=Category.objects.get(slug="knowledge-rules"),
        description="党章、党史基础知识，用于每日答题和专题测试。",
    )  # fmt: skip
    for kind, text, spec, explanation in QUESTIONS:
        actions.add_question(actor=editor, bank=bank, kind=kind, text=text, options=_options(kind, spec),
                             explanation=explanation)  # fmt: skip
    now = timezone.now()
    daily = actions.create_quiz(actor=editor, kind=QuizKind.DAILY, title="每日答题", unit=county, banks=[bank],
                                question_count=5, opens_at=now - timedelta(days=7),
                                description="每天5道题，每答对1题得1分。")  # fmt: skip
    actions.create_quiz(
        actor=editor, kind=QuizKind.TEST, title="学党章 知党史 专题测试", unit=county, banks=[bank],
        question_count=10, pass_mark=60, time_limit_minutes=20, max_attempts=2, opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=30), description="全县党员参加，60分合格，限时20分钟，可作答两次。",
    )  # fmt: skip
    member = User.objects.get(username="member")
    yesterday = now - timedelta(days=1)
    attempt = actions.start_attempt(user=member, quiz_=daily, now=yesterday)
    answers = {}  # all right but the second question
    for a in attempt.answers.select_related("question").prefetch_related("question__options"):
        options = list(a.question.options.all())
        right, wrong = [o.pk for o in options if o.is_correct], [o.pk for o in options if not o.is_correct]
        answers[a.question_id] = wrong[:1] if a.order == 2 else right
    actions.submit_attempt(user=member, attempt=attempt, answers=answers, now=yesterday + timedelta(minutes=3))
    stdout.write(f"education: a question bank of {len(QUESTIONS)} questions, a daily quiz and a special test\n")
    return len(QUESTIONS)


@register_demo
def load(stdout) -> None:
    with transaction.atomic():
        load_library(stdout)
        load_stations(stdout)
        load_quizzes(stdout)
