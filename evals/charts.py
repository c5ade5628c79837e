"""Small inline SVG charts for the eval report: no JavaScript, no fonts or files from anywhere."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

_FONT = 'font-family="system-ui, sans-serif" font-size="12"'
GOOD, BAD, NEUTRAL = "#2f7d4f", "#b4432f", "#3b6ea8"


def bar_chart(bars: Sequence[tuple[str, float, str]], title: str, width: int = 640, scale_max: float = 1.0) -> str:
    """Horizontal bars, one per (label, value, colour), on a 0..``scale_max`` axis."""
    label_w, row_h, top = 190, 24, 26
    plot_w = width - label_w - 60
    height = top + row_h * len(bars) + 24
    parts = [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f"<title>{escape(title)}</title>",
             f'<text x="0" y="16" {_FONT} font-weight="600">{escape(title)}</text>']
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + plot_w * tick
        parts.append(f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" {_FONT} text-anchor="middle" fill="#666">'
                     f"{tick * scale_max:g}</text>")
    for i, (label, value, colour) in enumerate(bars):
        y = top + i * row_h
        w = plot_w * max(0.0, min(value / scale_max, 1.0)) if scale_max else 0.0
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" {_FONT} text-anchor="end">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}">'
                     f"<title>{escape(label)}: {value:.4g}</title></rect>")
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" {_FONT}>{value:.3g}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: Sequence[float], title: str, unit: str = "s", bins: int = 20, width: int = 420,
              height: int = 180) -> str:
    """A histogram of ``values`` with the p50 and p95 marked; far outliers (a first call loading a model)
    are counted in the last bar rather than stretching the axis."""
    if not values:
        return ""
    low, high = 0.0, max(values)
    p99 = _quantile(values, 0.99)
    clipped = high > 2 * p99 > 0
    if clipped:
        high = p99 * 1.25
        title = f"{title}, last bar ≥ {high:.3g}{unit}"
    if high <= low:
        high = low + 1e-3
    step = (high - low) / bins
    counts = [0] * bins
    for v in values:
        counts[max(0, min(int((v - low) / step), bins - 1))] += 1
    left, top, bottom = 34, 24, 30
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max(counts)
    parts = [f'<svg class="chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f"<title>{escape(title)}</title>",
             f'<text x="0" y="14" {_FONT} font-weight="600">{escape(title)} (n={len(values)})</text>',
             f'<text x="{left - 4}" y="{top + 8}" {_FONT} text-anchor="end" fill="#666">{peak}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>']
    bar_w = plot_w / bins
    for i, count in enumerate(counts):
        h = plot_h * count / peak
        parts.append(f'<rect x="{left + i * bar_w + 1:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 2:.1f}" '
                     f'height="{h:.1f}" fill="{NEUTRAL}"><title>{low + i * step:.3g}–{low + (i + 1) * step:.3g} '
                     f"{escape(unit)}: {count}</title></rect>")
    for q, colour in ((50, GOOD), (95, BAD)):
        v = _quantile(values, q / 100)
        x = left + plot_w * min(v - low, high - low) / (high - low)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}" stroke="{colour}" '
                     f'stroke-dasharray="4 2"/>')
        right = x > left + plot_w * 0.7  # near the right edge: write the label to the left of its line
        parts.append(f'<text x="{x - 3 if right else x + 3:.1f}" y="{top + 10 + (q == 95) * 12}" {_FONT} '
                     f'text-anchor="{"end" if right else "start"}" fill="{colour}" '
                     f'stroke="#fff" stroke-width="3" paint-order="stroke">'
                     f"p{q} {v:.3g}{escape(unit)}</text>")
    for frac in (0.0, 0.5, 1.0):
        x = left + plot_w * frac
        parts.append(f'<text x="{x:.1f}" y="{height - 10}" {_FONT} text-anchor="middle" fill="#666">'
                     f"{low + (high - low) * frac:.3g}{escape(unit)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def _quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lower, upper = math.floor(pos), math.ceil(pos)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (pos - lower)
