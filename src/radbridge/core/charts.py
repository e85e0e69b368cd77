"""Server-side SVG charts (stacked bars, lines) for the staff pages: no JavaScript library,
no CDN, nothing for the Content-Security-Policy to allow.

A chart is plain markup built from numbers. Every label is escaped here, so a chart comes
back marked safe for templates; colours are SVG presentation attributes (not `style`), so a
strict CSP holds. Each chart carries a <title> and <desc> for screen readers; pages show the
same figures in a table next to it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# Colour-blind-safe palette (Okabe-Ito), dark enough on white for the 3:1 graphics contrast.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000",
           "#999999"]
WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 56
PLOT_HEIGHT = HEIGHT - TOP - BOTTOM


@dataclass(frozen=True)
class Series:
    name: str
    values: list[float | None]  # one per category; None: no value (a gap in a line)


def nice_ceiling(value: float) -> float:
    """The next 1, 2 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power * (1 + 1e-9):
            return step * power
    return 10 * power


def axis_top(value: float) -> float:
    """A top whose four gridline steps are round numbers (0, 2, 4, 6, 8 rather than 1.25s)."""
    return 4 * nice_ceiling(value / 4)


def slot_width(categories: list[str]) -> float:
    """The horizontal room of one category (a bar, or a point of a line)."""
    return (WIDTH - LEFT - RIGHT) / max(1, len(categories))


def number(value: float) -> str:
    return f"{value:g}" if value < 1000 else f"{value:,.0f}"


def frame(title: str, description: str, body: list[str], legend: list[Series]) -> SafeString:
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>",
        *body,
    ]
    x = LEFT
    for position, series in enumerate(legend):
        colour = PALETTE[position % len(PALETTE)]
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="13">'
                     f"{escape(series.name)}</text>")
        x += 26 + 8 * len(series.name)
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label above is escaped


def axes(categories: list[str], top: float, unit: str) -> list[str]:
    parts = [f'<line x1="{LEFT}" y1="{TOP + PLOT_HEIGHT}" x2="{WIDTH - RIGHT}" '
             f'y2="{TOP + PLOT_HEIGHT}" stroke="#444"/>']
    for tick in range(5):
        value = top * tick / 4
        y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * tick / 4
        parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                     'stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="12" text-anchor="end">'
                     f"{number(value)}{escape(unit)}</text>")
    step = max(1, -(-len(categories) // 8))  # at most 8 labels, so they never overlap
    slot = slot_width(categories)
    for index, category in enumerate(categories):
        if index % step == 0:
            x = LEFT + slot * (index + 0.5)
            parts.append(f'<text x="{x:.1f}" y="{TOP + PLOT_HEIGHT + 14}" font-size="12" '
                         f'text-anchor="middle">{escape(category)}</text>')
    return parts


def stacked_bars(title: str, categories: list[str], series: list[Series],
                 unit: str = "") -> SafeString:
    """One bar per category, stacked by series (e.g. studies per day, by modality)."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(categories))]
    top = axis_top(max([4, *totals]))  # counts: whole-number gridlines
    slot = slot_width(categories)
    body = axes(categories, top, unit)
    for index, category in enumerate(categories):
        base = TOP + PLOT_HEIGHT
        for position, one in enumerate(series):
            value = one.values[index] or 0
            if not value:
                continue
            height = PLOT_HEIGHT * value / top
            base -= height
            body.append(
                f'<rect x="{LEFT + slot * index + slot * 0.15:.1f}" y="{base:.1f}" '
                f'width="{slot * 0.7:.1f}" height="{height:.1f}" '
                f'fill="{PALETTE[position % len(PALETTE)]}">'
                f"<title>{escape(category)} · {escape(one.name)}: {number(value)}{escape(unit)}"
                "</title></rect>"
            )
    description = f"{len(categories)} bars, total {number(sum(totals))}{unit}"
    return frame(title, description, body, series)


def lines(title: str, categories: list[str], series: list[Series], unit: str = "") -> SafeString:
    """One line per series over the categories (e.g. median turnaround per day)."""
    values = [v for s in series for v in s.values if v is not None]
    top = axis_top(max(values, default=0))
    slot = slot_width(categories)
    body = axes(categories, top, unit)
    for position, one in enumerate(series):
        colour = PALETTE[position % len(PALETTE)]
        points = [
            (LEFT + slot * (index + 0.5), TOP + PLOT_HEIGHT - PLOT_HEIGHT * value / top, index)
            for index, value in enumerate(one.values) if value is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                        'stroke-width="2"/>')
        for x, y, index in points:
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(categories[index])} · {escape(one.name)}: "
                f"{number(one.values[index])}{escape(unit)}</title></circle>"
            )
    return frame(title, f"{len(series)} lines over {len(categories)} points", body, series)
