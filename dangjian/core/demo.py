"""The Huichang demo: the county's real shape (code 360733, its 19 townships), departments, villages, stations,
and one demo account per role kind. Idempotent: a second run changes nothing.

Township names and the county code are real (国家统计局 统计用区划代码, 会昌县 360733). The township codes
follow that scheme's shape (镇 1xx, 乡 2xx); village names are illustrative, generated from common local
place-name elements, because a demo must not pretend to list real people's villages exactly.
"""

from __future__ import annotations

import hashlib
from base64 import b32encode
from dataclasses import dataclass

from django.db import transaction

from dangjian.core import audit
from dangjian.core.actions import child_path
from dangjian.core.models import Role, RoleKind, Unit, UnitKind, User

COUNTY = ("360733", "会昌县")

# (name, number of villages and communities). 269 in all, as the county has about 269 村(居)委会.
TOWNSHIPS: list[tuple[str, int]] = [
    ("文武坝镇", 26), ("筠门岭镇", 24), ("西江镇", 22), ("周田镇", 22), ("麻州镇", 15), ("庄口镇", 16),
    ("清溪乡", 10), ("右水乡", 10), ("高排乡", 10), ("晓龙乡", 8), ("珠兰乡", 10), ("洞头乡", 8),
    ("中村乡", 14), ("站塘乡", 12), ("永隆乡", 10), ("富城乡", 10), ("小密乡", 14), ("庄埠乡", 13),
    ("白鹅乡", 15),
]  # fmt: skip

DEPARTMENTS: list[str] = [
    "县委办公室", "县人大常委会办公室", "县政府办公室", "县政协办公室", "县纪委县监委", "县委组织部",
    "县委宣传部", "县委统战部", "县委政法委", "县委编办", "县发展和改革委员会", "县教育体育局",
    "县科学技术局", "县工业和信息化局", "县公安局", "县民政局", "县司法局", "县财政局",
    "县人力资源和社会保障局", "县自然资源局", "县生态环境局", "县住房和城乡建设局", "县交通运输局",
    "县水利局", "县农业农村局", "县商务局", "县文化广电新闻出版旅游局", "县卫生健康委员会",
    "县退役军人事务局", "县应急管理局", "县审计局", "县市场监督管理局", "县林业局", "县医疗保障局",
    "县信访局", "县行政审批局", "县乡村振兴局", "县融媒体中心",
]  # fmt: skip

STATIONS = 256
_FIRST = "上下东西南北大小新老高长黄白石水竹桃梅杨罗"
_SECOND = "坑塘田岭坝排洞岗背溪口布圳埠湾坪寨坳山桥"


def village_name(township_index: int, village_index: int, community: bool) -> str:
    a = _FIRST[(township_index * 7 + village_index * 3) % len(_FIRST)]
    b = _SECOND[(township_index * 5 + village_index * 11) % len(_SECOND)]
    return f"{a}{b}{'社区' if community else '村'}"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    kind: str | None  # None: superuser
    unit_code: str

    @property
    def password(self) -> str:
        return f"Huichang-{self.username}-2026"

    @property
    def totp_hex(self) -> str:
        return hashlib.sha256(f"dangjian-demo-totp:{self.username}".encode()).hexdigest()[:40]

    @property
    def totp_base32(self) -> str:
        return b32encode(bytes.fromhex(self.totp_hex)).decode()


def township_code(i: int, name: str) -> str:
    seq = sum(1 for n, _ in TOWNSHIPS[:i] if n.endswith(name[-1]))
    return f"{COUNTY[0]}{100 + seq if name.endswith('镇') else 200 + seq}"


WENWUBA = township_code(0, "文武坝镇")
FIRST_VILLAGE = f"{WENWUBA}201"

ACCOUNTS: list[DemoAccount] = [
    DemoAccount("admin", "系统管理员", None, COUNTY[0]),
    DemoAccount("leader", "县委书记（演示）", RoleKind.COUNTY_LEADER, COUNTY[0]),
    DemoAccount("orgadmin", "组织部管理员", RoleKind.ORG_ADMIN, COUNTY[0]),
    DemoAccount("supervision", "监督办工作人员", RoleKind.SUPERVISION_OFFICE, COUNTY[0]),
    DemoAccount("responder", "文武坝镇跟帖员", RoleKind.RESPONDER, WENWUBA),
    DemoAccount("head", "文武坝镇负责人", RoleKind.UNIT_HEAD, WENWUBA),
    DemoAccount("editor", "网站编辑", RoleKind.EDITOR, COUNTY[0]),
    DemoAccount("reviewer", "网站审核员", RoleKind.REVIEWER, COUNTY[0]),
    DemoAccount("station", "站点管理员", RoleKind.STATION_MANAGER, f"{FIRST_VILLAGE}S"),
    DemoAccount("secretary", "村支部书记", RoleKind.BRANCH_SECRETARY, FIRST_VILLAGE),
    DemoAccount("member", "党员（演示）", RoleKind.MEMBER, FIRST_VILLAGE),
]


def _planned_units() -> list[tuple[str, str, str, str | None]]:
    """(code, name, kind, parent code) for the whole tree, parents before children."""
    rows: list[tuple[str, str, str, str | None]] = [(COUNTY[0], COUNTY[1], UnitKind.COUNTY, None)]
    villages: list[list[str]] = []
    for ti, (tname, count) in enumerate(TOWNSHIPS):
        tcode = township_code(ti, tname)
        rows.append((tcode, tname, UnitKind.TOWNSHIP, COUNTY[0]))
        communities = 4 if ti == 0 else 1 if tname.endswith("镇") else 0
        codes = []
        for vi in range(count):
            community = vi < communities
            vcode = f"{tcode}{vi + 1:03d}" if community else f"{tcode}{200 + vi + 1 - communities:03d}"
            rows.append((vcode, village_name(ti, vi, community), UnitKind.VILLAGE, tcode))
            if not community:
                codes.append(vcode)
        villages.append(codes)
    for di, dname in enumerate(DEPARTMENTS):
        rows.append((f"{COUNTY[0]}D{di + 1:03d}", dname, UnitKind.DEPARTMENT, COUNTY[0]))
    # Stations: round-robin over the townships' villages, so every township has its share.
    placed, depth = 0, 0
    while placed < STATIONS:
        for codes in villages:
            if depth < len(codes) and placed < STATIONS:
                rows.append((f"{codes[depth]}S", "远程教育站点", UnitKind.STATION, codes[depth]))
                placed += 1
        depth += 1
    return rows


@transaction.atomic
def load_units() -> int:
    """Create whatever units of the demo tree are missing; returns how many were created."""
    existing = dict(Unit.objects.values_list("code", "path"))
    last_child: dict[str, int] = {}
    for path in existing.values():
        parent = path[:-6]
        last_child[parent] = max(last_child.get(parent, 0), int(path[-6:]))
    by_code = dict(Unit.objects.values_list("code", "pk"))
    created = 0
    for code, name, kind, parent_code in _planned_units():
        if code in existing:
            continue
        parent_path = existing[parent_code] if parent_code else ""
        number = last_child.get(parent_path, 0) + 1
        last_child[parent_path] = number
        station_name = f"{name}（{Unit.objects.get(code=parent_code).name}）" if kind == UnitKind.STATION else name
        unit = Unit.objects.create(
            code=code,
            name=station_name,
            kind=kind,
            parent_id=by_code.get(parent_code) if parent_code else None,
            path=child_path(parent_path, number),
        )
        existing[code], by_code[code] = unit.path, unit.pk
        created += 1
    if created:
        audit.record(actor=None, actor_name="dangjian demo", verb="demo.load_units", after={"created": created})
    return created


@transaction.atomic
def load_accounts() -> list[DemoAccount]:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for acc in ACCOUNTS:
        user = User.objects.filter(username=acc.username).first()
        if user is None:
            user = User(username=acc.username, display_name=acc.display_name, is_demo=True)
            user.is_superuser = user.is_staff = acc.kind is None
            user.set_password(acc.password)
            user.save()
            audit.record(actor=None, actor_name="dangjian demo", verb="demo.create_account", obj=user)
        if acc.kind is not None:
            unit = Unit.objects.get(code=acc.unit_code)
            Role.objects.get_or_create(user=user, unit=unit, kind=acc.kind)
        if (acc.kind is None or acc.kind != RoleKind.MEMBER) and not TOTPDevice.objects.filter(user=user).exists():
            TOTPDevice.objects.create(user=user, name="demo", key=acc.totp_hex, confirmed=True)
    return ACCOUNTS


def remove_accounts() -> int:
    with transaction.atomic():
        users = list(User.objects.filter(is_demo=True))
        for u in users:
            audit.record(actor=None, actor_name="dangjian demo", verb="demo.remove_account", obj=u)
        Role.objects.filter(user__in=users).delete()
        User.objects.filter(pk__in=[u.pk for u in users]).delete()
    return len(users)
