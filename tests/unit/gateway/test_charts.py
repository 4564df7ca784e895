"""The dashboards' SVG charts: well-formed, accessible, escaped."""

from __future__ import annotations

from xml.etree import ElementTree

from stadskamer.gateway.screens.charts import Bar, bar_chart, low_score_drivers, rising_topics

SVG = "{http://www.w3.org/2000/svg}"


def test_a_chart_is_an_accessible_image_listing_every_value() -> None:
    bars = [Bar("parkeer<vergunning>", 12, "12 (gemiddeld 3.0)", True), Bar("afval & zo", 3, "3")]
    root = ElementTree.fromstring(bar_chart("Stijgend", "Contacten", bars))
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Stijgend"
    assert desc is not None and "parkeer<vergunning>: 12 (gemiddeld 3.0) (opvallend)" in (
        desc.text or ""
    )
    widths = [float(r.get("width", "0")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > 0
    colours = {r.get("fill") for r in root.iter(f"{SVG}rect")}
    assert len(colours) == 2


def test_an_empty_chart_says_so() -> None:
    root = ElementTree.fromstring(bar_chart("Leeg", "Niets", []))
    assert "Geen gegevens" in "".join(root.itertext())


def test_topic_and_driver_figures_become_bars() -> None:
    report = {
        "topics": [
            {"topic": "energietoeslag", "counts": [1, 2, 30], "rising": True, "baseline": 1.5},
            {"topic": "afval", "counts": [], "rising": False},
        ]
    }
    assert [(b.label, b.value, b.highlight) for b in rising_topics(report)] == [
        ("energietoeslag", 30.0, True),
        ("afval", 0.0, False),
    ]
    insights = {
        "mainLowScoreDriver": "uitkomst",
        "drivers": [
            {
                "aspect": "snelheid",
                "suppressed": False,
                "lowScoreContribution": 0.2,
                "meanScore": 6.0,
            },
            {
                "aspect": "uitkomst",
                "suppressed": False,
                "lowScoreContribution": 0.7,
                "meanScore": 4.1,
            },
            {"aspect": "bejegening", "suppressed": True},
        ],
    }
    bars = low_score_drivers(insights)
    assert [b.label for b in bars] == ["uitkomst", "snelheid", "bejegening"]
    assert bars[0].highlight and not bars[1].highlight
