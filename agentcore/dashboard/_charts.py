"""Inline SVG charts: no JavaScript, no assets, readable without a network."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from markupsafe import Markup

W, H, LEFT, BOTTOM, TOP = 640, 180, 70, 22, 10


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    import math

    exp = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exp:
            return step * exp
    return 10 * exp


def bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, str, Sequence[float]]],
    title: str,
    fmt: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> Markup:
    """Stacked bars: ``series`` is (name, css class, values per label), drawn bottom to top."""
    n = max(1, len(labels))
    totals = [sum(s[2][i] for s in series) for i in range(len(labels))]
    top = _nice(max(totals, default=0.0))
    plot_w, plot_h = W - LEFT - 8, H - BOTTOM - TOP
    bw = plot_w / n
    parts = [f'<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>']  # fmt: skip
    for frac in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - frac)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{W - 8}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="axis" x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end">{escape(fmt(top * frac) if frac else "0")}</text>'
        )
    for i, label in enumerate(labels):
        base = 0.0
        for name, css, values in series:
            v = values[i]
            if v <= 0:
                continue
            h = plot_h * v / top
            y = TOP + plot_h - plot_h * (base + v) / top
            parts.append(
                f'<rect class="{css}" x="{LEFT + i * bw + bw * 0.1:.1f}" y="{y:.1f}" '
                f'width="{max(bw * 0.8, 0.8):.1f}" height="{h:.1f}"><title>{escape(label)} {escape(name)}: '
                f"{escape(fmt(v))}</title></rect>"
            )
            base += v
    ticks = sorted({0, n // 2, n - 1}) if labels else []
    for i in ticks:
        x = LEFT + i * bw + bw / 2
        anchor = "start" if i == 0 else "end" if i == n - 1 else "middle"
        parts.append(
            f'<text class="axis" x="{x:.1f}" y="{H - 6}" text-anchor="{anchor}">{escape(labels[i])}</text>'
        )
    parts.append("</svg>")
    legend = "".join(f'<span class="key {css}">{escape(name)}</span>' for name, css, _ in series)
    return Markup(f"<figure><figcaption>{escape(title)} {legend}</figcaption>{''.join(parts)}</figure>")
