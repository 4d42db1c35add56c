"""Inline SVG charts for the HTML report: no scripts, no external assets.

Every label is escaped here; the result is :class:`markupsafe.Markup`, safe to embed as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

ARM_COLOURS = {"baseline": "#8a8f98", "skill": "#2f6fdf", "inline": "#8e44ad"}
NEUTRAL = "#7a8594"  # per-task bars: descriptive, so neither "helps" green nor "hurts" red
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


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
    """Pixels left of the plot for right-aligned labels (about 7 px a character at 12 px)."""
    return max(minimum, 16 + 7 * max((len(label) for label in labels), default=0))


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


def cost_scatter(points: Sequence[Point]) -> Markup:
    """Cost per trial (x) against resolved rate (y), one labelled point per group."""
    left, top, width, height = 50, 14, 300, 200
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
    for p in points:
        x = left + width * p.x / max_x
        y = top + height * (1 - p.y)
        colour = ARM_COLOURS.get(p.arm, "#555")
        body += [
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6" fill="{colour}"/>',
            _text(x + 9, y + 4, p.label),
        ]
    return _svg(left + width + 150, top + height + 44, "cost per trial vs resolved rate", body)
