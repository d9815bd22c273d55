"""The registry: figures register once under a unique key; a Series is checked; figures are listed by audience."""

from __future__ import annotations

import pytest

from dangjian.stats import registry
from dangjian.stats.registry import Series


def test_series_refuses_values_that_do_not_match_the_labels():
    with pytest.raises(ValueError, match="has 1 values for 2 labels"):
        Series(labels=["一月", "二月"], values={"来信": [3]})


def test_series_accepts_several_named_value_lists_of_the_labels_length():
    series = Series(labels=["一月", "二月"], values={"发送": [3, 4], "失败": [0, 1]})
    assert list(series.values) == ["发送", "失败"]


def test_a_second_figure_under_the_same_key_is_refused(extra_figure):
    extra_figure("test.duplicate", public=True)
    with pytest.raises(ValueError, match="registered twice"):
        registry.register(key="test.duplicate", title="Another", supermarket="platform", public=True)(
            lambda period, scope: Series([], {})
        )


def test_registering_the_same_function_again_is_harmless(extra_figure):
    figure = extra_figure("test.again", public=True)
    registry.register(key="test.again", title="Figure test.again", supermarket="supervision", public=True)(
        figure.compute
    )
    assert registry.get("test.again").compute is figure.compute


def test_an_unknown_chart_kind_is_refused():
    with pytest.raises(ValueError, match="chart must be one of"):
        registry.register(key="test.radar", title="Radar", supermarket="platform", public=True, chart="radar")(
            lambda period, scope: Series([], {})
        )
    with pytest.raises(KeyError):
        registry.get("test.radar")


def test_public_only_lists_no_staff_figure(extra_figure):
    extra_figure("test.public", public=True)
    extra_figure("test.staff", public=False)
    public_keys = {f.key for f in registry.figures(public_only=True)}
    all_keys = {f.key for f in registry.figures()}
    assert "test.public" in public_keys and "test.staff" not in public_keys
    assert {"test.public", "test.staff"} <= all_keys


def test_the_platform_registers_its_own_figures():
    assert registry.get("platform.units_by_kind").public
    assert registry.get("platform.stations_per_township").public
    assert not registry.get("platform.notifications_per_day").public
    assert not registry.get("platform.audit_actions_per_day").public
    assert {f.key for f in registry.figures(supermarket="platform")} >= {
        "platform.units_by_kind",
        "platform.stations_per_township",
        "platform.notifications_per_day",
        "platform.audit_actions_per_day",
    }
