"""Charts are inline SVG with no script and no URL, a CJK font list and an accessible name."""

from __future__ import annotations

import re

import pytest

from dangjian.stats.charts import FONT_FAMILY, render_svg
from dangjian.stats.registry import Figure, Series

SERIES = Series(labels=["文武坝镇", "筠门岭镇", "西江镇"], values={"站点数": [12, 9, 0], "示范站": [2, 1, 0]})


def figure(chart: str) -> Figure:
    return Figure("test.stations", "各乡镇远程教育站点", "platform", True, chart, lambda p, s: SERIES, "个")


@pytest.mark.parametrize("chart", ["bar", "line", "pie"])
def test_svg_has_no_script_and_names_no_url(chart):
    svg = render_svg(figure(chart), SERIES)
    assert svg.startswith("<svg")
    assert not re.search(r"https?:|file:|//[a-z]", svg, re.IGNORECASE)
    assert "<script" not in svg and "<!--" not in svg


@pytest.mark.parametrize("chart", ["bar", "line", "pie"])
def test_svg_is_an_image_named_by_its_title(chart):
    svg = render_svg(figure(chart), SERIES)
    root = svg[: svg.index(">") + 1]
    assert 'role="img"' in root and 'aria-label="各乡镇远程教育站点"' in root
    assert "<title>各乡镇远程教育站点</title>" in svg


def test_svg_draws_chinese_labels_with_a_cjk_font():
    svg = render_svg(figure("bar"), SERIES)
    assert "筠门岭镇" in svg
    assert FONT_FAMILY in svg and "Noto Sans CJK SC" in FONT_FAMILY


def test_svg_escapes_markup_in_labels():
    hostile = Series(labels=['<img src=x onerror="alert(1)">'], values={"n": [1]})
    svg = render_svg(figure("bar"), hostile)
    assert "<img" not in svg and "&lt;img" in svg


def test_a_table_figure_has_no_chart():
    assert render_svg(figure("table"), SERIES) == ""


def test_an_empty_series_renders_a_no_data_chart():
    svg = render_svg(figure("line"), Series(labels=[], values={}))
    assert "<svg" in svg and "<script" not in svg
