"""`dangjian seed-scale` fills a database of its own at the asked scale, with rows the pages can show."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from dangjian.cli import main
from dangjian.core import calendar
from dangjian.core.models import Unit, UnitKind
from dangjian.education.models import Resource, Station
from dangjian.services.registry.models import Person
from dangjian.supervision.models import Letter

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def seed(**counts) -> str:
    out = io.StringIO()
    args = [f"--{k}={v}" for k, v in counts.items()]
    call_command("seed_scale", *args, stdout=out)
    return out.getvalue()


def test_the_counts_asked_for_are_written_under_a_county_of_their_own():
    report = seed(members=700, letters=300, resources=20, stations=12)
    county = Unit.objects.get(code="SC")
    subtree = Unit.objects.filter(path__startswith=county.path)
    assert subtree.filter(kind=UnitKind.TOWNSHIP).count() == 25
    assert subtree.filter(kind=UnitKind.STATION).count() == 12 == Station.objects.count()
    assert Person.objects.count() == 700
    assert set(Person.objects.values_list("branch__kind", flat=True)) == {UnitKind.BRANCH}
    assert not Person.objects.exclude(branch__path__startswith=county.path).exists()
    assert Letter.objects.count() == 300 and Resource.objects.count() == 20
    assert "700 members" in report and "300 letters" in report


def test_due_dates_follow_the_working_day_calendar():
    seed(members=30, letters=40, resources=0, stations=2)
    for letter in Letter.objects.select_related("channel"):
        assert letter.first_response_due == calendar.deadline(letter.received_at, letter.channel.first_response_days)
        assert letter.result_due == calendar.deadline(letter.received_at, letter.channel.result_days)


def test_the_same_prefix_twice_is_refused_and_changes_nothing():
    seed(members=30, letters=5, resources=1, stations=2)
    units = Unit.objects.count()
    with pytest.raises(CommandError, match="already there"):
        seed(members=30, letters=5, resources=1, stations=2)
    assert Unit.objects.count() == units
    seed(members=30, letters=5, resources=1, stations=2, prefix="Q")
    assert Unit.objects.filter(code="QC").exists() and Person.objects.count() == 60


def test_the_seeded_letters_and_library_are_served(client):
    seed(members=30, letters=50, resources=5, stations=2)
    assert client.get("/supervision/letters/").status_code == 200
    assert client.get("/education/").status_code == 200


def test_the_command_is_spelt_with_a_dash_on_the_command_line(capsys):
    main(["seed-scale", "--members=30", "--letters=0", "--resources=0", "--stations=1", "--prefix=D"])
    assert "30 members" in capsys.readouterr().out


def test_seeded_pages_serve_in_their_column_and_are_in_the_tree(client):
    from wagtail.models import Page

    from dangjian.publicity.models import ArticlePage, ColumnPage

    report = seed(members=30, letters=0, resources=0, stations=1, pages=120)
    assert "120 pages" in report
    column = ColumnPage.objects.get(slug="scale-s")
    articles = ArticlePage.objects.child_of(column).live()
    assert articles.count() == 120 and column.get_children_count() == 120
    assert Page.find_problems() == ([], [], [], [], [])  # treebeard's own check: paths, depths, numchild
    last = articles.get(slug="a120")
    page = client.get(last.url)
    assert page.status_code == 200 and last.title in page.content.decode()
    listing = client.get(column.url).content.decode()
    assert ArticlePage.objects.get(slug="a1").title in listing  # the newest first, on the column's first page
    assert client.get(column.url + "?page=3").status_code == 200


def test_pages_go_under_the_default_sites_home_when_there_is_one():
    from wagtail.models import Site

    from dangjian.publicity.models import ColumnPage

    seed(members=30, letters=0, resources=0, stations=1, pages=3)
    home = Site.objects.get(is_default_site=True).root_page
    seed(members=30, letters=0, resources=0, stations=1, pages=2, prefix="Q")
    assert ColumnPage.objects.get(slug="scale-q").get_parent().pk == home.pk
    assert Site.objects.count() == 1
