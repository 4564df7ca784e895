"""Server-rendered SVG bar charts for the dashboards. Plain Python, no I/O.

Each chart is an accessible image: ``role="img"`` with a ``<title>`` and a ``<desc>`` that
lists every value, and a ``<title>`` per bar. Highlighted bars (rising topics, scores below a
"voldoende", the main driver of low scores) use a second colour and are named in the text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

WIDTH = 640
LABEL_WIDTH = 190
BAR_AREA = 300
ROW = 30
TOP = 44
INK = "#1b1b1b"
BAR = "#0b4f8a"
HIGHLIGHT = "#a3161b"
GRID = "#8a8f98"


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, the text shown beside it, and whether it stands out."""

    label: str
    value: float
    note: str
    highlight: bool = False


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def bar_chart(title: str, legend: str, bars: list[Bar], maximum: float | None = None) -> str:
    """A horizontal bar chart as an SVG document."""
    key = hashlib.sha256(title.encode()).hexdigest()[:8]
    height = TOP + max(1, len(bars)) * ROW + 16
    top = maximum if maximum else max((b.value for b in bars), default=0.0) or 1.0
    summary = "; ".join(f"{b.label}: {b.note}{' (opvallend)' if b.highlight else ''}" for b in bars)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="chart-{key}-title chart-{key}-desc" font-family="sans-serif">',
        f'<title id="chart-{key}-title">{escape(title)}</title>',
        f'<desc id="chart-{key}-desc">{escape(summary or "Geen gegevens in deze periode.")}</desc>',
        f'<text x="0" y="18" font-size="14" fill="{INK}">{escape(legend)}</text>',
    ]
    if not bars:
        parts.append(
            f'<text x="0" y="{TOP + 16}" font-size="14" fill="{INK}">'
            "Geen gegevens in deze periode.</text>"
        )
    for row, bar in enumerate(bars):
        y = TOP + row * ROW
        length = max(0.0, min(1.0, bar.value / top)) * BAR_AREA
        colour = HIGHLIGHT if bar.highlight else BAR
        parts += [
            f"<g><title>{escape(bar.label)}: {escape(bar.note)}</title>",
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 18}" font-size="13" text-anchor="end" '
            f'fill="{INK}">{escape(bar.label[:28])}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{length:.1f}" height="18" '
            f'fill="{colour}" data-label="{_attr(bar.label)}"/>',
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 18}" font-size="12" '
            f'fill="{INK}">{escape(bar.note)}{" ▲" if bar.highlight else ""}</text></g>',
        ]
    if bars:
        parts.append(
            f'<line x1="{LABEL_WIDTH}" y1="{TOP}" x2="{LABEL_WIDTH}" y2="{height - 12}" '
            f'stroke="{GRID}"/>'
        )
    parts.append("</svg>")
    return "".join(parts)


def rising_topics(report: dict[str, object]) -> list[Bar]:
    """Per topic: the latest bucket's count against its baseline, rising topics first."""
    bars = []
    for topic in report.get("topics", []):  # type: ignore[attr-defined]
        counts = topic["counts"] or [0]
        latest = counts[-1]
        note = f"{latest} (gemiddeld {topic.get('baseline', 0.0):.1f})"
        bars.append(Bar(topic["topic"], float(latest), note, bool(topic["rising"])))
    return bars[:12]


def repeat_shares(report: dict[str, object]) -> list[Bar]:
    """Per topic: the share of repeat contacts, highest first."""
    bars = [
        Bar(
            topic["topic"],
            100 * topic["repeatShare"],
            f"{100 * topic['repeatShare']:.0f}% van {topic['total']}",
            topic["repeatShare"] >= 0.3,
        )
        for topic in report.get("topics", [])  # type: ignore[attr-defined]
    ]
    return sorted(bars, key=lambda b: -b.value)[:12]


def satisfaction(insights: dict[str, object]) -> list[Bar]:
    """Per group: the mean score (1-10); small groups are shown as suppressed."""
    bars = []
    for group in insights.get("groups", []):  # type: ignore[attr-defined]
        figures = group.get("figures")
        if group["suppressed"] or figures is None:
            bars.append(Bar(group["key"], 0.0, "te weinig antwoorden"))
            continue
        note = f"{figures['meanScore']:.1f} ({figures['responses']} antwoorden)"
        bars.append(Bar(group["key"], figures["meanScore"], note, not figures["meanSufficient"]))
    return bars


def low_score_drivers(insights: dict[str, object]) -> list[Bar]:
    """Per aspect: its share of all low scores; the main driver highlighted."""
    main = insights.get("mainLowScoreDriver", "")
    bars = []
    for driver in insights.get("drivers", []):  # type: ignore[attr-defined]
        if driver["suppressed"]:
            bars.append(Bar(driver["aspect"], 0.0, "te weinig antwoorden"))
            continue
        share = 100 * driver["lowScoreContribution"]
        note = f"{share:.0f}% van de lage cijfers (gem. {driver['meanScore']:.1f})"
        bars.append(Bar(driver["aspect"], share, note, driver["aspect"] == main))
    return sorted(bars, key=lambda b: -b.value)
