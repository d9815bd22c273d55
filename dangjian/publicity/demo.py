"""The publicity demo: the public site 会昌党务公开网 with the seed's columns, 政务公开, a knowledge base and notices,
each with articles written for the demo (loaded by `dangjian demo`; idempotent: a page is found by its slug)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from wagtail.models import Page, Site

from dangjian.core.models import User
from dangjian.core.registry import register_demo
from dangjian.publicity import actions
from dangjian.publicity.models import (
    ArticlePage,
    ColumnKind,
    ColumnPage,
    HomePage,
    KnowledgeEntryPage,
    NoticeKind,
    NoticePage,
    OpenGovernmentKind,
    OpenGovernmentPage,
)

HOME = ("会昌党务公开网", "dwgk", "会昌县委组织部主办。公开党务，接受监督，服务群众。")

#: column slug → (title, kind, [(title, source, paragraphs)])
NEWS = {
    "jcdj": (
        "基层党建",
        [
            (
                "我县推行村级党组织“积分制”管理",
                "县委组织部",
                [
                    "今年以来，我县在全县村级党组织推行“积分制”管理，把组织建设、服务群众、乡村振兴等工作细化为可量化的指标。",
                    "各乡镇党委每季度对村党组织积分进行评定，结果与村干部绩效报酬挂钩，有效激发了基层党组织活力。",
                ],
            ),
            (
                "文武坝镇“三会一课”实现全程记实",
                "文武坝镇党委",
                [
                    "文武坝镇为各党支部统一配发“三会一课”记实本，支部书记按月上传会议照片和记录，镇党委每月抽查通报。",
                    "镇党委书记表示，将以规范组织生活为抓手，持续提升基层党建工作质量。",
                ],
            ),
        ],
    ),
    "dxscgb": (
        "大学生村干部",
        [
            (
                "大学生村干部座谈会召开",
                "县委组织部",
                [
                    "近日，县委组织部召开大学生村干部座谈会，二十余名在村任职的大学生村干部交流了工作体会。",
                    "会议要求大学生村干部扎根基层、服务群众，在乡村振兴中建功立业。",
                ],
            ),
        ],
    ),
    "gbgz": (
        "干部工作",
        [
            (
                "我县开展年轻干部递进培养工作",
                "县委组织部",
                [
                    "为建设高素质专业化干部队伍，我县建立年轻干部递进培养机制，分层分类开展教育培训和实践锻炼。",
                    "首批四十名年轻干部已被选派到信访、招商和乡村振兴一线岗位锻炼。",
                ],
            ),
        ],
    ),
    "rcgz": (
        "人才工作",
        [
            (
                "会昌县出台引进急需紧缺人才办法",
                "县委人才工作领导小组办公室",
                [
                    "为加快集聚发展急需的专业人才，我县出台引进急需紧缺人才办法，在安家补贴、子女入学等方面给予支持。",
                    "2026年计划引进教育、卫生、工业等领域人才一百二十名。",
                ],
            ),
        ],
    ),
    "zgtx": (
        "会昌组工通讯",
        [
            (
                "组工干部“下基层、察民情”活动启动",
                "县委组织部",
                [
                    "县委组织部全体干部分赴各乡镇开展“下基层、察民情”活动，走访党员群众，收集意见建议。",
                    "活动中收集的问题将建立台账，逐项交办，限期办结并向群众反馈。",
                ],
            ),
        ],
    ),
}

OPEN_GOVERNMENT = {
    OpenGovernmentKind.PROCEDURE: (
        "党员组织关系转接办事程序",
        "会组字〔2026〕3号",
        [
            "党员组织关系转接由转出党组织开具介绍信，党员持介绍信到接收党组织报到，接收党组织在一个月内完成接转。",
            "县内转接在全国党员管理信息系统中办理，不再开具纸质介绍信。",
        ],
    ),
    OpenGovernmentKind.POLICY: (
        "关于加强村级党组织书记队伍建设的意见",
        "会组字〔2026〕5号",
        [
            "各乡镇党委要选优配强村级党组织书记，注重从致富能手、退役军人、返乡大学生中选拔。",
            "村级党组织书记每年至少参加一次县级集中培训。",
        ],
    ),
    OpenGovernmentKind.PLAN: (
        "2026年全县组织工作要点",
        "会组字〔2026〕1号",
        [
            "2026年，全县组织工作以提升组织力为重点，抓好基层党组织建设、干部队伍建设和人才工作三项任务。",
            "年内完成软弱涣散村党组织整顿，开展党员教育培训全覆盖。",
        ],
    ),
    OpenGovernmentKind.RESULT: (
        "2026年上半年软弱涣散村党组织整顿进展",
        "",
        [
            "截至6月底，全县列入整顿的十二个村党组织已有九个完成整顿验收，其余三个正在按计划推进。",
        ],
    ),
}

KNOWLEDGE = {
    "jbll": (
        "党的基本理论、基本路线、基本方针、基本政策",
        [
            (
                "什么是党的基本路线",
                [
                    "党在社会主义初级阶段的基本路线是：领导和团结全国各族人民，以经济建设为中心，坚持四项基本原则，坚持改革开放，"
                    "自力更生，艰苦创业，为把我国建设成为富强民主文明和谐美丽的社会主义现代化强国而奋斗。",
                ],
            ),
        ],
    ),
    "zzgz": (
        "组织工作业务知识",
        [
            (
                "发展党员的五个阶段",
                [
                    "发展党员工作分为申请入党、入党积极分子的确定和培养教育、发展对象的确定和考察、预备党员的接收、预备党员的教育考察和转正五个阶段。",
                ],
            ),
            (
                "“三会一课”是什么",
                [
                    "“三会一课”是指定期召开支部党员大会、支部委员会、党小组会，按时上好党课。",
                ],
            ),
        ],
    ),
    "jjwh": (
        "经济、文化、科技、法律",
        [
            (
                "党风廉政建设知识问答",
                [
                    "党风廉政建设是党的建设的重要内容。各级党组织要落实全面从严治党主体责任，坚持不懈纠治“四风”。",
                ],
            ),
        ],
    ),
}

NOTICES = [
    # (slug, kind, title, days since the period started, working days, body)
    ("rqgs-2026-11", NoticeKind.PRE_APPOINTMENT, "县管干部任前公示", 0, 5,
     "经县委常委会研究，拟提拔任用以下同志：张明，男，1985年生，现任文武坝镇党委副书记，拟任筠门岭镇党委书记。"),
    ("bxgs-2026", NoticeKind.COMMENDATION, "拟表彰全县优秀共产党员公示", 40, 5,
     "经各基层党组织推荐、县委组织部审核，拟表彰优秀共产党员五十名、优秀党务工作者二十名、先进基层党组织十个。"),
    ("zjgs-2026-01", NoticeKind.PERFORMANCE, "筠门岭镇党委书记任期政绩概要公示", 20, 7,
     "任期内，该同志带领全镇推进乡村振兴，新建农村公路三十公里，村集体经济收入全部超过十万元。"),
    ("wjtb-2026-q3", NoticeKind.DISCIPLINE, "2026年第三季度党员干部违纪违法查处情况通报", 10, 0,
     "第三季度，全县纪检监察机关共立案十五件，给予党纪政务处分十四人，其中违反中央八项规定精神问题五件。"),
]  # fmt: skip


def _body(paragraphs) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def _child(parent: Page, slug: str) -> Page | None:
    return parent.get_children().filter(slug=slug).first()


def _add(parent: Page, cls, *, user: User | None, slug: str, **fields) -> Page:
    """A page written by the demo editor and published by the demo reviewer (the demo stands in for 审核)."""
    existing = _child(parent, slug)
    if existing is not None:
        return existing.specific
    page = cls(live=False, slug=slug, **fields)
    parent.add_child(instance=page)
    reviewer = User.objects.filter(username="reviewer").first()
    page.save_revision(user=user).publish(user=reviewer, skip_permission_checks=True)
    return page


def load_site(stdout) -> HomePage:
    editor = User.objects.filter(username="editor").first()
    root = Page.get_first_root_node()
    home = HomePage.objects.filter(slug=HOME[1]).first() or _add(
        root, HomePage, user=editor, slug=HOME[1], title=HOME[0], intro=f"<p>{HOME[2]}</p>"
    )
    Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": HOME[0]}
    )
    actions.sync_editorial_groups(actor=None, root=home)
    for slug, (title, articles) in NEWS.items():
        column = _add(home, ColumnPage, user=editor, slug=slug, title=title, kind=ColumnKind.NEWS)
        actions.ensure_column_workflow(actor=None, column=column)
        for i, (heading, source, paragraphs) in enumerate(articles, 1):
            _add(column, ArticlePage, user=editor, slug=f"{slug}-{i}", title=heading, source=source,
                 summary=paragraphs[0][:120], body=_body(paragraphs))  # fmt: skip
    open_gov = _add(home, ColumnPage, user=editor, slug="zwgk", title="政务公开", kind=ColumnKind.OPEN_GOVERNMENT)
    actions.ensure_column_workflow(actor=None, column=open_gov)
    for category, (heading, reference, paragraphs) in OPEN_GOVERNMENT.items():
        _add(open_gov, OpenGovernmentPage, user=editor, slug=f"zwgk-{category}", title=heading, category=category,
             reference=reference, source="县委组织部", body=_body(paragraphs))  # fmt: skip
    knowledge = _add(home, ColumnPage, user=editor, slug="zsk", title="党建知识库", kind=ColumnKind.KNOWLEDGE)
    actions.ensure_column_workflow(actor=None, column=knowledge)  # its sub-columns' entries are reviewed too
    for slug, (title, entries) in KNOWLEDGE.items():
        sub = _add(knowledge, ColumnPage, user=editor, slug=slug, title=title, kind=ColumnKind.KNOWLEDGE)
        for i, (heading, paragraphs) in enumerate(entries, 1):
            _add(sub, KnowledgeEntryPage, user=editor, slug=f"{slug}-{i}", title=heading, body=_body(paragraphs))
    notices = _add(home, ColumnPage, user=editor, slug="gsgg", title="公示公告", kind=ColumnKind.NOTICES)
    actions.ensure_column_workflow(actor=None, column=notices)
    today = timezone.localdate()
    for slug, kind, title, days_ago, workdays, body in NOTICES:
        _add(notices, NoticePage, user=editor, slug=slug, title=title, kind=kind,
             period_start=today - timedelta(days=days_ago), period_workdays=workdays, source="县委组织部",
             objection_contact="县委组织部干部监督室 电话：0797-5621234 地址：会昌县文武坝镇县委大院",
             body=f"<p>{body}</p>")  # fmt: skip
    stdout.write(f"publicity: site {home.title} with {home.get_descendants().count()} pages\n")
    return home


@register_demo
def load(stdout) -> None:
    with transaction.atomic():
        load_site(stdout)
