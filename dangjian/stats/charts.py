"""Server-side SVG charts with pygal: no JavaScript, no external reference, Chinese-capable fonts, an accessible name.

The SVG is inlined in the page (HTML parsers put <svg> in the SVG namespace themselves), so the namespace
declarations are dropped with pygal's comments and its configuration <script>: the output names no URL at all.
"""

from __future__ import annotations

import math
import re

import pygal
from django.utils.translation import gettext as _
from pygal.style import Style

from dangjian.stats.registry import Figure, Series

# Fonts with CJK glyphs first (Linux, Windows, macOS, then Noto/Source Han), so Chinese labels never fall back to
# boxes; the generic family last.
FONT_FAMILY = (
    '"Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",'
    '"Hiragino Sans GB",SimHei,sans-serif'
)
# Colours with at least 3:1 contrast on white (WCAG 2.1 SC 1.4.11, non-text contrast); the party red first.
COLOURS = ("#a8000b", "#1f4e79", "#7a4f00", "#2e7d32", "#5b2c83", "#00695c", "#8a3b12", "#37474f")

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#1a1a1a",
    foreground_subtle="#595959",
    opacity=".9",
    opacity_hover="1",
    colors=COLOURS,
    font_family=FONT_FAMILY,
    title_font_family=FONT_FAMILY,
    label_font_family=FONT_FAMILY,
    major_label_font_family=FONT_FAMILY,
    legend_font_family=FONT_FAMILY,
    value_font_family=FONT_FAMILY,
    value_label_font_family=FONT_FAMILY,
    tooltip_font_family=FONT_FAMILY,
    no_data_font_family=FONT_FAMILY,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    no_data_font_size=28,
)

CHART_CLASSES = {"bar": pygal.Bar, "line": pygal.Line, "pie": pygal.Pie}
MAX_X_LABELS = 12
_NAMESPACES = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')


def _accessible(title: str):
    """An lxml/etree filter: no script, no comment; role="img" with the figure's title as its accessible name."""

    def apply(root):
        for node in list(root.iter()):
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag.rsplit("}", 1)[-1] == "script" or not tag:
                node.getparent().remove(node)
        root.set("role", "img")
        root.set("aria-label", title)
        for node in root:
            if isinstance(node.tag, str) and node.tag.rsplit("}", 1)[-1] == "title":
                node.text = title
                break
        return root

    return apply


def render_svg(figure: Figure, series: Series) -> str:
    """The figure's chart as an inline SVG string; "" for a table-only figure."""
    chart_class = CHART_CLASSES.get(figure.chart)
    if chart_class is None:
        return ""
    count = len(series.labels)
    options: dict = {
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 800,
        "height": 400,
        "margin": 16,
        "legend_at_bottom": True,
        "truncate_legend": -1,
        "print_zeroes": False,
        "no_data_text": _("No data"),
    }
    if figure.chart != "pie":
        options.update(
            show_legend=len(series.values) > 1,
            show_minor_x_labels=count <= MAX_X_LABELS,
            x_labels_major_every=max(1, math.ceil(count / MAX_X_LABELS)),
            x_label_rotation=30 if count > 6 else 0,
            truncate_label=-1,
            show_dots=count <= 60,
            y_title=str(figure.unit) or None,
        )
    chart = chart_class(**options)
    if figure.chart == "pie":
        first = next(iter(series.values.values()), [])
        for label, value in zip(series.labels, first, strict=True):
            chart.add(label, value)
    else:
        chart.x_labels = series.labels
        for name, values in series.values.items():
            chart.add(name, values)
    chart.add_xml_filter(_accessible(str(figure.title)))
    return _NAMESPACES.sub("", chart.render(is_unicode=True))
