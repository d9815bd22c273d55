"""The organisation tree: paths, subtree queries, the rules of which unit stands under which."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dangjian.core import actions
from dangjian.core.models import Unit, UnitKind


def test_subtree_is_the_unit_and_everything_below_it(tree):
    codes = set(Unit.objects.subtree(tree["t1"]).values_list("code", flat=True))
    assert codes == {"T1", "V1", "S1"}
    assert set(Unit.objects.subtree(tree["county"]).values_list("code", flat=True)) == {
        "360733", "T1", "T2", "V1", "V2", "S1", "S2", "D1"
    }  # fmt: skip


def test_subtree_is_one_query(tree):
    with CaptureQueriesContext(connection) as q:
        list(Unit.objects.subtree(tree["county"]))
    assert len(q) == 1


def test_sibling_paths_do_not_leak_into_each_other(tree):
    # T1 = ...000001, T2 = ...000002: T1's subtree must not contain T2's children, even past 9 siblings.
    county = tree["county"]
    for i in range(3, 13):
        actions.create_unit(actor=None, code=f"X{i}", name=f"乡{i}", kind=UnitKind.TOWNSHIP, parent=county)
    t1 = Unit.objects.get(code="T1")
    assert not Unit.objects.subtree(t1).filter(code__startswith="X").exists()
    # T1, T2 and D1 are children 1-3, so X3..X12 are children 4-13.
    assert Unit.objects.get(code="X12").path == county.path + "000013"


def test_only_the_county_may_be_a_root(db):
    with pytest.raises(ValidationError):
        actions.create_unit(actor=None, code="T9", name="孤乡", kind=UnitKind.TOWNSHIP, parent=None)
    assert not Unit.objects.exists()


def test_a_station_cannot_stand_under_a_department(tree):
    with pytest.raises(ValidationError):
        actions.create_unit(actor=None, code="S9", name="站", kind=UnitKind.STATION, parent=tree["d1"])
    assert not Unit.objects.filter(code="S9").exists()


def test_duplicate_code_is_refused(tree):
    with pytest.raises(ValidationError):
        actions.create_unit(actor=None, code="T1", name="重复", kind=UnitKind.TOWNSHIP, parent=tree["county"])


def test_descendant_of_rejects_a_non_path():
    with pytest.raises(ValueError):
        list(Unit.objects.filter(path__descendant_of="1%"))


def test_ancestors(tree):
    assert [u.code for u in tree["s1"].ancestors()] == ["360733", "T1", "V1"]
    assert tree["s1"].is_within(tree["t1"]) and not tree["s1"].is_within(tree["t2"])
