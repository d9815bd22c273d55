"""The Huichang demo as a newcomer gets it from `make run`: loaded twice it changes nothing, it has the county's real
shape, and every page reachable by following links from the home page answers, for a visitor, a member and the
staff of each kind: no server error, no broken link, and no link to a page the reader may not open."""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from dangjian.core.models import Unit, UnitKind
from dangjian.portal.supermarkets import SUPERMARKETS
from tests.core.otp import login_verified

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
SKIP = ("/cms/", "/admin/", "/accounts/logout", "/static/", "/media/", "/api/v1/docs", "/i18n/")
LIMIT = 400  # pages per reader; the demo has about 160 that a reader can reach


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models() if m._meta.managed}


def crawl(client: Client) -> tuple[int, list[tuple[int, str, str]]]:
    """Follow every same-site link from / (and /work/ for accounts); returns pages seen and (status, url, from)."""
    queue: list[tuple[str, str]] = [("/", "")]
    seen: set[str] = set()
    bad: list[tuple[int, str, str]] = []
    while queue and len(seen) < LIMIT:
        url, source = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code >= 400:
            bad.append((response.status_code, url, source))
            continue
        if response.status_code in (301, 302):
            location = response["Location"]
            if location.startswith("/") and not location.startswith("/accounts/login"):
                queue.append((location, url))
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in re.findall(r'href="([^"#]+)', response.content.decode()):
            target = urlsplit(urljoin("http://testserver" + url, href.replace("&amp;", "&")))
            if target.netloc != "testserver":
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if path.startswith(SKIP) or path.endswith((".xlsx", ".csv", ".zip", ".txt")) or "download" in path:
                continue
            queue.append((path, url))
    return len(seen), bad


@pytest.fixture
def demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", stdout=io.StringIO())


def test_the_demo_has_the_county_shape_and_loading_it_again_changes_nothing(demo):
    before = row_counts()
    call_command("demo", stdout=io.StringIO())
    assert row_counts() == before
    townships = Unit.objects.filter(kind=UnitKind.TOWNSHIP)
    assert townships.count() == 19 and townships.filter(name="筠门岭镇").exists()
    assert Unit.objects.filter(kind=UnitKind.STATION).count() >= 250
    assert 250 <= Unit.objects.filter(kind=UnitKind.VILLAGE).count() <= 290


def test_on_postgresql_the_demo_leaves_the_planner_statistics_of_what_it_loaded(demo):
    """Without them the planner takes a table just filled for empty and picks plans for one row (the search's join
    took 20 ms instead of 0.3 ms over the demo's library)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("planner statistics are gathered by ANALYZE on PostgreSQL; SQLite's planner is left as it is")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'education_resource'")
        (estimated,) = cursor.fetchone()
    from dangjian.education.models import Resource

    assert estimated >= Resource.objects.count() * 0.5 > 0


@pytest.mark.parametrize("reader", ["anonymous", "member", "leader", "orgadmin", "responder", "station", "secretary"])
def test_every_page_a_reader_can_reach_answers(demo, reader):
    client = Client()
    if reader != "anonymous":
        user = get_user_model().objects.get(username=reader)
        if user.needs_otp:
            login_verified(client, user)
        else:
            client.force_login(user)
    pages, bad = crawl(client)
    assert pages >= 50, f"{reader} reached only {pages} pages"
    # The portal shows every counter to everyone, the staff ones marked as such: those may refuse a member.
    staff_counters = {c.url for m in SUPERMARKETS for c in m.counters if c.staff}
    guide = re.compile(r"^/(m/[\w-]+/)?$")
    bad = [b for b in bad if not (b[0] == 403 and b[1] in staff_counters and guide.match(b[2]))]
    assert not bad, f"{reader}: {bad[:10]}"
