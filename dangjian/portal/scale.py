"""Generated data at a chosen scale (`dangjian seed-scale`), for benchmarks and load tests on a database of their own.

A county of its own (code prefix `S`, under a root of its own, so the demo and real units are never touched) with
townships, villages, party branches and distance-education stations; members in the branches; letters to the
county's channels in every state, with due dates from the working-day calendar; library resources; and, when asked,
live articles of the public site under a column of the county's own (`--pages`). Everything
goes in with bulk inserts in batches, in a transaction per batch, so a province-sized run (1,000,000 members and
letters) takes minutes and memory stays flat. The portal holds this because it is the one app that spans all four
supermarkets; the rows are those each app's own actions would write, minus the per-row checks.

Search indexes are not updated row by row: run `dangjian update_index` afterwards when search is to be measured.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from dangjian.core import calendar
from dangjian.core.actions import child_path
from dangjian.core.models import Unit, UnitKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 5000
TOWNSHIPS = 25
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "建华秀英国平志强桂英明军丽娟红梅海燕文斌永福春生金凤玉兰德胜小龙家豪思远雨欣"
TOPICS = ("村道硬化", "低保评定", "集体资金", "河道采砂", "宅基地审批", "路灯维修", "校车安全", "脐橙收购")


@dataclass(frozen=True)
class Scale:
    members: int = 10_000
    letters: int = 10_000
    resources: int = 1_000
    stations: int = 300
    seed: int = 733
    pages: int = 0


@dataclass
class Seeded:
    units: int = 0
    stations: int = 0
    members: int = 0
    letters: int = 0
    resources: int = 0
    pages: int = 0


def _batches(rows: Iterator, size: int = BATCH) -> Iterator[list]:
    while batch := list(islice(rows, size)):
        yield batch


def _analyze(*models) -> None:
    """On PostgreSQL, fresh statistics for tables just filled from empty. A session keeps the plans of its foreign-key
    checks (they are prepared statements, PostgreSQL manual, *Plan Caching*, and the checks of deferred keys run
    at each batch's COMMIT); planned while a referenced table was empty, a check is a sequential scan, so every
    batch would cost more than the last (100,000 pages: over 15 minutes instead of seconds). ANALYZE changes the
    statistics, which makes the session plan them again."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in models:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _insert(model, rows: Iterator, label: str, report: Callable[[str], None]) -> int:
    """Bulk-insert the rows in batches, a transaction each, reporting every 100,000; returns how many."""
    done = 0
    for batch in _batches(rows):
        with transaction.atomic():
            model.objects.bulk_create(batch)
        if not done:
            _analyze(model, *(field.related_model for field in model._meta.concrete_fields if field.is_relation))
        done += len(batch)
        if done % 100_000 < BATCH:
            report(f"{done:,} {label}")
    return done


def _names(rng: random.Random) -> list[tuple[str, str, str]]:
    """A pool of 2,000 names with their pinyin (computed once; the registry stores both)."""
    from dangjian.services.registry.pinyin import name_pinyin

    pool = set()
    while len(pool) < 2000:
        pool.add(rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else ""))
    return [(name, *name_pinyin(name)) for name in sorted(pool)]


def new_county(prefix: str) -> Unit:
    if Unit.objects.filter(code=f"{prefix}C").exists():
        raise ValueError(f"a scale county with the prefix {prefix!r} is already there; choose another --prefix")
    roots = Unit.objects.filter(parent__isnull=True).order_by("-path").values_list("path", flat=True).first()
    number = int(roots) + 1 if roots else 1
    return Unit.objects.create(
        code=f"{prefix}C", name=f"规模测试县{prefix}", kind=UnitKind.COUNTY, path=child_path("", number)
    )


def _tree(prefix: str, scale: Scale, report: Callable[[str], None]) -> tuple[list[Unit], list[Unit], list[Unit]]:
    """Townships, one village per station, and enough branches for 30 members each, spread over the villages."""
    county = new_county(prefix)
    townships = Unit.objects.bulk_create(
        Unit(code=f"{prefix}T{t}", name=f"测试乡{t}", kind=UnitKind.TOWNSHIP, parent=county,
             path=child_path(county.path, t))
        for t in range(1, TOWNSHIPS + 1)
    )  # fmt: skip
    villages_count = max(scale.stations, 1)
    villages: list[Unit] = []
    for batch in _batches(iter(range(villages_count))):
        villages += Unit.objects.bulk_create(
            Unit(code=f"{prefix}V{i}", name=f"测试村{i}", kind=UnitKind.VILLAGE, parent=townships[i % TOWNSHIPS],
                 path=child_path(townships[i % TOWNSHIPS].path, i // TOWNSHIPS + 1))
            for i in batch
        )  # fmt: skip
    report(f"{len(villages):,} villages")
    stations = []
    for batch in _batches(iter(villages[: scale.stations])):
        stations += Unit.objects.bulk_create(
            Unit(code=f"{v.code}S", name=f"{v.name}远教站点", kind=UnitKind.STATION, parent=v,
                 path=child_path(v.path, 1))
            for v in batch
        )  # fmt: skip
    branches_count = max(1, -(-scale.members // 30))
    branches: list[Unit] = []
    for batch in _batches(iter(range(branches_count))):
        branches += Unit.objects.bulk_create(
            Unit(code=f"{prefix}B{i}", name=f"第{i // len(villages) + 1}党支部", kind=UnitKind.BRANCH,
                 parent=(village := villages[i % len(villages)]), path=child_path(village.path, i // len(villages) + 2))
            for i in batch
        )  # fmt: skip
    report(f"{len(branches):,} branches, {len(stations):,} stations")
    return villages, stations, branches


def _station_profiles(stations: list[Unit]) -> None:
    from dangjian.education.models import Station

    for batch in _batches(iter(stations)):
        Station.objects.bulk_create([Station(unit=u, session_minutes=120) for u in batch])


def _members(branches: list[Unit], n: int, rng: random.Random, report: Callable[[str], None]) -> int:
    from dangjian.services.registry.models import Person

    names = _names(rng)
    now = timezone.now()

    def rows() -> Iterator[Person]:
        for i in range(n):
            name, pinyin, initials = names[rng.randrange(len(names))]
            joined = date(1970 + rng.randrange(55), 1 + rng.randrange(12), 1)
            yield Person(
                name=name, name_pinyin=pinyin, name_initials=initials, gender=rng.choice(("male", "female")),
                branch=branches[i % len(branches)], joined_date=joined, full_member_date=joined + timedelta(days=366),
                category=rng.choice(("farmer", "employed", "retired", "student")), created_at=now, updated_at=now,
            )  # fmt: skip

    return _insert(Person, rows(), "members", report)


def _channels(prefix: str, county: Unit) -> list:
    from dangjian.supervision.models import Channel

    specs = (("secretary", "书记信箱"), ("county-head", "县长信箱"), ("voice", "民声通道"), ("supervision", "监督投诉"))
    return [
        Channel.objects.create(code=f"{prefix.lower()}-{code}", name=name, addressee=name, unit=county, position=i)
        for i, (code, name) in enumerate(specs)
    ]


def _letters(prefix: str, villages: list[Unit], n: int, rng: random.Random, report: Callable[[str], None]) -> int:
    from dangjian.supervision.models import Letter, Status

    county = villages[0].parent.parent if villages[0].parent else villages[0]
    channels = _channels(prefix, county)
    townships = list(Unit.objects.filter(parent=county).order_by("path"))
    today = timezone.localtime(timezone.now()).replace(hour=10, minute=0, second=0, microsecond=0)
    statuses = [Status.CLOSED] * 5 + [Status.ANSWERED] * 2 + [Status.FOLLOWED_UP, Status.DISPATCHED, Status.RECEIVED]

    def rows() -> Iterator[Letter]:
        for i in range(n):
            channel = channels[i % len(channels)]
            received = today - timedelta(days=rng.randrange(730), minutes=rng.randrange(600))
            status = rng.choice(statuses)
            topic = rng.choice(TOPICS)
            finished = status in (Status.ANSWERED, Status.CLOSED)
            answered = received + timedelta(days=rng.randrange(1, 20)) if finished else None
            key = f"{prefix}:{i}".encode()
            township = townships[i % len(townships)]
            yield Letter(
                channel=channel, title=f"关于{topic}的问题（{i}）", body=f"反映{township.name}{topic}问题，请予核查。",
                category="complaint", receipt_hash=hashlib.sha256(b"receipt:" + key).hexdigest(),
                content_hash=hashlib.sha256(b"content:" + key).hexdigest(), unit=township,
                status=status, received_at=received, is_anonymous=rng.random() < 0.4,
                dispatched_at=received + timedelta(hours=4) if status != Status.RECEIVED else None,
                first_response_due=calendar.deadline(received, channel.first_response_days),
                result_due=calendar.deadline(received, channel.result_days),
                answered_at=answered, published_at=answered, closed_at=answered if status == Status.CLOSED else None,
            )  # fmt: skip

    return _insert(Letter, rows(), "letters", report)


def _resources(county: Unit, n: int, rng: random.Random) -> int:
    from dangjian.education import samples
    from dangjian.education.models import Category, Kind, Resource

    categories = list(Category.objects.all()) or [None]
    if categories == [None]:
        return 0
    data = samples.pdf(["规模测试资料", "学习党的历史，传承红色基因。"])
    path = default_storage.save("education/scale/sample.pdf", ContentFile(data))
    digest = hashlib.sha256(data).hexdigest()
    now = timezone.now()
    rows = (
        Resource(
            title=f"{rng.choice(TOPICS)}学习资料第{i}期", kind=Kind.DOCUMENT, category=categories[i % len(categories)],
            unit=county, file=path, content_type="application/pdf", size=len(data), sha256=digest,
            text="学习党的历史，传承红色基因。", published_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    )  # fmt: skip
    return _insert(Resource, rows, "resources", lambda _m: None)


def _column(prefix: str, county: Unit):
    """The county's column of the public site: under the default site's home, or under a home and default site
    made for it when there is none."""
    from wagtail.models import Page, Site

    from dangjian.publicity.models import ColumnPage, HomePage

    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    home = site.root_page.specific if site else None
    if not isinstance(home, HomePage):
        home = Page.get_first_root_node().add_child(instance=HomePage(title="会昌党务公开网", slug=f"scale-{prefix}"))
        Site.objects.update_or_create(
            is_default_site=True, defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "会昌"}
        )
    column = home.add_child(instance=ColumnPage(title=f"{county.name}动态", slug=f"scale-{prefix.lower()}"))
    column.save_revision().publish()
    return column


#: An article's title, body (HTML) and classification, from its number.
Article = Callable[[int], tuple[str, str, str]]


def articles(
    prefix: str,
    county: Unit,
    n: int,
    rng: random.Random,
    report: Callable[[str], None] = lambda _m: None,
    article: Article | None = None,
) -> int:
    """Live articles under the county's column, written table by table (Wagtail's page, then the publicity
    page, the body page and the article: bulk inserts do not cross multi-table inheritance), with their tree paths
    computed here instead of `add_child` per page. They serve as they are (a page is served from its row); Wagtail
    makes a revision when an editor first changes one. `article` words them (default: public news of the county's
    topics)."""
    import uuid

    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from wagtail.models import Locale, Page

    from dangjian.publicity import pagecache
    from dangjian.publicity.models import ArticlePage, BodyPage, PublicityPage

    with transaction.atomic():
        column = _column(prefix, county)
    kind = ContentType.objects.get_for_model(ArticlePage)
    locale = Locale.get_default()
    now = timezone.now()
    tables = [(model, model._meta.local_concrete_fields) for model in (PublicityPage, BodyPage, ArticlePage)]
    page_fields = [f for f in Page._meta.local_concrete_fields if not f.primary_key]
    done = 0
    for batch in _batches(iter(range(n)), connection.ops.bulk_batch_size(page_fields, [None] * BATCH) or BATCH):
        rows = []
        for i in batch:
            if article is None:
                title = f"{county.name}{rng.choice(TOPICS)}工作动态（{i + 1}）"
                body = f"<p>{title}。{county.name}扎实推进{rng.choice(TOPICS)}，群众满意度持续提升。</p>"
                classification = "public"
            else:
                title, body, classification = article(i)
            published = now - timedelta(minutes=i)
            rows.append(
                ArticlePage(
                    path=ArticlePage._get_path(column.path, column.depth + 1, i + 1), depth=column.depth + 1,
                    numchild=0, translation_key=uuid.uuid4(), locale=locale, live=True,
                    has_unpublished_changes=False, first_published_at=published, last_published_at=published,
                    latest_revision_created_at=published, title=title, draft_title=title, slug=f"a{i + 1}",
                    content_type=kind, url_path=f"{column.url_path}a{i + 1}/", classification=classification,
                    unit=county, body=body,
                )
            )  # fmt: skip
        with transaction.atomic():
            ids = Page._base_manager._insert(rows, fields=page_fields, returning_fields=[Page._meta.pk])
            for row, (pk,) in zip(rows, ids, strict=True):
                row.pk = row.page_ptr_id = row.publicitypage_ptr_id = row.bodypage_ptr_id = pk
            for model, fields in tables:
                model._base_manager._insert(rows, fields=fields, raw=True)
        if not done:
            _analyze(Page, *(model for model, _ in tables))
        done += len(batch)
        if done % 10_000 < len(batch):
            report(f"{done:,} pages")
    Page.objects.filter(pk=column.pk).update(numchild=n)
    pagecache.bump()  # rows written without Wagtail's signals: every process renders again
    return done


def seed(scale: Scale, *, prefix: str = "S", report: Callable[[str], None] = lambda _m: None) -> Seeded:
    """Fill the database at `scale`; returns what was written."""
    rng = random.Random(scale.seed)
    with transaction.atomic():
        villages, stations, branches = _tree(prefix, scale, report)
        _station_profiles(stations)
    county = villages[0].parent.parent
    out = Seeded(units=1 + TOWNSHIPS + len(villages) + len(stations) + len(branches), stations=len(stations))
    out.members = _members(branches, scale.members, rng, report)
    out.letters = _letters(prefix, villages, scale.letters, rng, report) if scale.letters else 0
    out.resources = _resources(county, scale.resources, rng)
    report(f"{out.resources:,} resources")
    out.pages = articles(prefix, county, scale.pages, rng, report) if scale.pages else 0
    return out
