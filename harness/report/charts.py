"""Inline SVG charts for the HTML report: no scripts, no external assets.

Every label is escaped here; the result is :class:`markupsafe.Markup`, safe to embed as is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ARM_COLOURS = {"baseline": "#8a8f98", "skill": "#2f6fdf", "inline": "#8e44ad"}
NEUTRAL = "#7a8594"  # per-task bars: descriptive, so neither "helps" green nor "hurts" red
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
POINT_RADIUS = 6
CHAR_WIDTH = 7.0  # px per character of 12 px system-ui text, rounded up
LABEL_HEIGHT = 16


@dataclass(frozen=True)
class RateBar:
    label: str
    arm: str
    rate: float
    low: float
    high: float


@dataclass(frozen=True)
class Point:
    label: str
    arm: str
    x: float
    y: float


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" {FONT}><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _label_room(labels: list[str], minimum: int) -> int:
    """Pixels left of the plot for right-aligned labels (``CHAR_WIDTH`` a character)."""
    return max(minimum, 16 + int(CHAR_WIDTH * max((len(label) for label in labels), default=0)))


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" {extra}>{escape(text)}</text>'


def rate_chart(bars: Sequence[RateBar]) -> Markup:
    """Horizontal bars of resolved rate per group, with 95% whiskers over tasks."""
    width, row = 300, 28
    left = _label_room([bar.label for bar in bars], minimum=150)
    height = 40 + row * len(bars)
    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        x = left + width * tick / 100
        body.append(f'<line x1="{x}" y1="10" x2="{x}" y2="{height - 24}" stroke="#e3e5e8"/>')
        body.append(_text(x, height - 8, f"{tick}%", "middle", 'fill="#666"'))
    for i, bar in enumerate(bars):
        y = 14 + i * row
        colour = ARM_COLOURS.get(bar.arm, "#555")
        lo, hi = left + width * bar.low, left + width * bar.high
        body += [
            _text(left - 8, y + 14, bar.label, "end"),
            f'<rect x="{left}" y="{y + 3}" width="{width * bar.rate:.1f}" height="16" '
            f'fill="{colour}" opacity="0.85"/>',
            f'<line x1="{lo:.1f}" y1="{y + 11}" x2="{hi:.1f}" y2="{y + 11}" stroke="#222"/>',
            f'<line x1="{lo:.1f}" y1="{y + 5}" x2="{lo:.1f}" y2="{y + 17}" stroke="#222"/>',
            f'<line x1="{hi:.1f}" y1="{y + 5}" x2="{hi:.1f}" y2="{y + 17}" stroke="#222"/>',
            _text(left + width + 8, y + 14, f"{bar.rate * 100:.0f}%"),
        ]
    return _svg(left + width + 50, height, "resolved rate per group, 95% CI over tasks", body)


def uplift_chart(
    deltas: Sequence[tuple[str, float]], mean: float, ci: tuple[float, float]
) -> Markup:
    """Per-task difference of resolved rate (-100..+100 pp), with the mean and its CI band.

    Descriptive: at a few epochs no single task's difference is significant, so the bars are
    drawn in one neutral colour, not as "helps" and "hurts"."""
    width, row = 360, 20
    left = _label_room([task for task, _ in deltas], minimum=180)
    top = 18
    height = top + 30 + row * len(deltas)
    centre = left + width / 2

    def x_of(diff: float) -> float:
        return centre + width / 2 * max(-1.0, min(1.0, diff))

    body = [
        f'<rect x="{x_of(ci[0]):.1f}" y="{top - 6}" width="{x_of(ci[1]) - x_of(ci[0]):.1f}" '
        f'height="{height - top - 18}" fill="#2f6fdf" opacity="0.12"/>',
    ]
    for tick in (-100, -50, 0, 50, 100):
        x = x_of(tick / 100)
        body.append(_text(x, height - 6, f"{tick:+d}" if tick else "0", "middle", 'fill="#666"'))
    body.append(
        f'<line x1="{centre}" y1="{top - 6}" x2="{centre}" y2="{height - 20}" stroke="#999"/>'
    )
    for i, (task, diff) in enumerate(deltas):
        y = top + i * row
        start, end = sorted((centre, x_of(diff)))
        body += [
            _text(left - 8, y + 12, task, "end"),
            f'<rect x="{start:.1f}" y="{y + 2}" width="{max(end - start, 1.5):.1f}" height="13" '
            f'fill="{NEUTRAL if diff else "#999"}"/>',
        ]
    mean_x = x_of(mean)
    body += [
        f'<line x1="{mean_x:.1f}" y1="{top - 6}" x2="{mean_x:.1f}" y2="{height - 20}" '
        'stroke="#2f6fdf" stroke-width="2" stroke-dasharray="4 3"/>',
        _text(mean_x, top - 8, f"mean {mean * 100:+.1f} pp", "middle", 'fill="#2f6fdf"'),
    ]
    return _svg(
        left + width + 30, height, "per-task difference in percentage points (descriptive)", body
    )


@dataclass(frozen=True)
class Box:
    """An axis-aligned rectangle in SVG coordinates (y grows downwards)."""

    x: float
    y: float
    w: float
    h: float

    def intersects(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )


def separate(
    centres: Sequence[tuple[float, float]], gap: float, bounds: Box
) -> list[tuple[float, float]]:
    """Move points that would overprint one another apart, deterministically.

    Each point keeps its place unless an earlier point already holds it; then it takes the
    first free spot on rings of radius ``gap``, ``2 gap``, ... around it (right first, then
    anticlockwise), inside ``bounds``. Free means at least ``gap`` from every placed point."""
    placed: list[tuple[float, float]] = []
    for x, y in centres:
        spot = (x, y)
        for candidate in _rings(x, y, gap, rings=len(centres) + 2):
            inside = bounds.x <= candidate[0] <= bounds.x + bounds.w
            inside = inside and bounds.y <= candidate[1] <= bounds.y + bounds.h
            if inside and all(math.dist(candidate, p) >= gap - 1e-6 for p in placed):
                spot = candidate
                break
        placed.append(spot)
    return placed


def _rings(x: float, y: float, gap: float, rings: int) -> list[tuple[float, float]]:
    spots = [(x, y)]
    for ring in range(1, rings + 1):
        count = 6 * ring  # neighbours on a ring stay at least ``gap`` apart
        for i in range(count):
            angle = 2 * math.pi * i / count
            spots.append((x + ring * gap * math.cos(angle), y - ring * gap * math.sin(angle)))
    return spots


def label_box(x: float, baseline: float, text: str, anchor: str) -> Box:
    """The room 12 px text takes, from its anchor point and baseline, padded by 2 px."""
    width = CHAR_WIDTH * len(text)
    left = x - width if anchor == "end" else x
    return Box(left - 2, baseline - 12, width + 4, LABEL_HEIGHT)


def place_labels(
    points: Sequence[tuple[float, float]], texts: Sequence[str], plot: Box
) -> list[tuple[float, float, str]]:
    """Where each point's label goes (x, baseline, anchor) so that no two labels overlap and
    none covers a point: beside its point if there is room, else the nearest free row within
    the plot's height, else a column right of the plot and of every label placed so far.

    Labels stay right of the plot's left edge (the axis has its tick labels there) and may
    run past its right edge (the chart widens to fit)."""
    r = POINT_RADIUS
    obstacles = [Box(x - r, y - r, 2 * r, 2 * r) for x, y in points]
    taken: list[Box] = []
    placed: list[tuple[float, float, str]] = []
    rows = int(plot.h // LABEL_HEIGHT) + 1
    for (x, y), text in zip(points, texts, strict=True):
        beside = [(x + r + 4, y + 4, "start"), (x - r - 4, y + 4, "end")]
        shifted = [
            (spot_x, spot_y + sign * step * LABEL_HEIGHT, anchor)
            for step in range(1, rows)
            for sign in (1, -1)
            for spot_x, spot_y, anchor in beside
        ]
        choice: tuple[float, float, str] | None = None
        for spot_x, spot_y, anchor in beside + shifted:
            box = label_box(spot_x, spot_y, text, anchor)
            fits = box.x >= plot.x and plot.y <= box.y and box.y + box.h <= plot.y + plot.h
            if fits and not any(box.intersects(other) for other in taken + obstacles):
                choice = (spot_x, spot_y, anchor)
                break
        if choice is None:  # crowded: a column of its own, clear of everything so far
            column = max([plot.x + plot.w + r, *(b.x + b.w for b in taken)]) + 8
            choice = (column, y + 4, "start")
        taken.append(label_box(choice[0], choice[1], text, choice[2]))
        placed.append(choice)
    return placed


def cost_scatter(points: Sequence[Point]) -> Markup:
    """Cost per trial (x) against resolved rate (y), one labelled point per group.

    Groups at the same place (the same cost and rate, common with recorded runs that carry no
    cost) are set side by side, and labels are placed so that none overprints another; a label
    moved away from its point is tied to it by a thin line. Hovering a point shows its values."""
    left, top, width, height = 50, 14, 300, 200
    r = POINT_RADIUS
    max_x = max((p.x for p in points), default=0.0) * 1.15 or 1.0
    body: list[str] = []
    for tick in (0, 25, 50, 75, 100):
        y = top + height * (1 - tick / 100)
        body.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#e3e5e8"/>')
        body.append(_text(left - 6, y + 4, f"{tick}%", "end", 'fill="#666"'))
    for i in range(5):
        value = max_x * i / 4
        x = left + width * i / 4
        body.append(_text(x, top + height + 16, f"${value:.2f}", "middle", 'fill="#666"'))
    body.append(_text(left + width / 2, top + height + 34, "cost per trial (USD)", "middle"))
    true = [(left + width * p.x / max_x, top + height * (1 - p.y)) for p in points]
    plot = Box(left, top - r, width + r, height + 2 * r)  # every true position, and a rim
    centres = separate(true, 2 * r + 2, plot)
    labels = place_labels(centres, [p.label for p in points], Box(left + r, 0, width, top + height))
    right: float = left + width + 30  # room for the last tick label, "$1.00"
    for p, (x, y), (lx, ly, anchor) in zip(points, centres, labels, strict=True):
        colour = ARM_COLOURS.get(p.arm, "#555")
        tip = f"{p.label}: ${p.x:.3f} per trial, {p.y * 100:.0f}% resolved"
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{colour}">'
            f"<title>{escape(tip)}</title></circle>"
        )
        box = label_box(lx, ly, p.label, anchor)
        if abs(ly - (y + 4)) > 0.5:  # moved off its point's row: a leader line finds it
            edge_x = box.x if anchor == "start" else box.x + box.w
            body.append(
                f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{edge_x:.1f}" y2="{box.y + box.h / 2:.1f}"'
                ' stroke="#999" stroke-width="0.8"/>'
            )
        body.append(
            f'<rect class="label-box" x="{box.x:.1f}" y="{box.y:.1f}" width="{box.w:.1f}"'
            f' height="{box.h:.1f}" fill="#fff" fill-opacity="0.85"/>'
        )
        body.append(_text(lx, ly, p.label, anchor))
        right = max(right, box.x + box.w)
    return _svg(int(right) + 10, top + height + 44, "cost per trial vs resolved rate", body)
