"""The screens in a real browser: the KCC agent and the privacy officer at work."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ready
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.gateway.support import Rest

BSN = "111222333"
AGENT = ["agent", "issuer"]  # an agent who identifies citizens has them issued
DUTCH_MONTHS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
Shot = Callable[[str], Path]


def _contact(rest: Rest, domain: str, topic: str, days_ago: int, request_id: str) -> str:
    body = {
        "requestId": request_id,
        "domain": domain,
        "bsn": BSN,
        "channel": "counter",
        "topic": topic,
        "orgUnit": f"{domain}-balie",
        "occurredAt": (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(),
    }
    desk = rest.auth(f"{domain}-desk", [domain], AGENT)
    response = rest.call("POST", "/contacts", desk, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["contact"]["id"])


def _complaint(rest: Rest) -> dict[str, str]:
    body = {
        "requestId": "kcc-complaint-1",
        "bsn": BSN,
        "channel": "phone",
        "orgUnit": "burgerzaken",
        "description": "Ik wacht al weken op mijn paspoort.",
    }
    desk = rest.auth("kcc-desk", ["kcc", "klachten"], AGENT)
    response = rest.call("POST", "/complaints", desk, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json()["complaint"])


def _open_complaints(browser: webdriver.Chrome) -> list[str]:
    rows = browser.find_elements(By.CSS_SELECTOR, "#complaints tbody tr")
    return [str(row.text) for row in rows]


def _wait(browser: webdriver.Chrome) -> WebDriverWait:  # type: ignore[type-arg]
    return WebDriverWait(browser, 20)


def _sign_in(browser: webdriver.Chrome, rest: Rest, page: str, token: str) -> None:
    browser.get(f"{rest.root}/{page}#token={token}")
    _wait(browser).until(ready.text_to_be_present_in_element((By.ID, "who"), "Aangemeld als"))
    assert "token=" not in browser.current_url


def _timeline_ids(browser: webdriver.Chrome) -> set[str]:
    items = browser.find_elements(By.CSS_SELECTOR, "#timeline li[data-id]")
    return {str(item.get_attribute("data-id")) for item in items}


def _look_up(browser: webdriver.Chrome) -> None:
    field = browser.find_element(By.ID, "bsn")
    field.clear()
    field.send_keys(BSN)
    browser.find_element(By.CSS_SELECTOR, "#lookup-form button[type=submit]").click()
    _wait(browser).until(lambda b: b.find_element(By.ID, "result").is_displayed())
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#consents table, #consents p"))


def test_the_agent_sees_exactly_the_permitted_history_and_the_repeat_banner(
    browser: webdriver.Chrome, rest: Rest, screenshot: Shot
) -> None:
    own = _contact(rest, "kcc", "parkeervergunning", 1, "kcc-1")
    other = _contact(rest, "burgerzaken", "paspoort", 2, "bz-1")
    hidden = _contact(rest, "sociale-zaken", "uitkering", 3, "sz-1")
    complaint = _complaint(rest)
    agent = rest.token("agent-anna", ["kcc"], AGENT)
    _sign_in(browser, rest, "kcc", agent)
    _look_up(browser)
    assert _timeline_ids(browser) == {own}
    assert "2e contact in 7 dagen" in browser.find_element(By.ID, "repeat-banner").text
    assert _open_complaints(browser) == []
    assert "toestemming" in browser.find_element(By.ID, "complaints").text
    screenshot("kcc-without-consent")

    Select(browser.find_element(By.ID, "consent-purpose")).select_by_value(
        "integrated-contact-history"
    )
    read_out = browser.find_element(By.ID, "consent-text").text
    assert read_out.startswith("Ik geef de gemeente toestemming")
    browser.find_element(By.ID, "consent-agreed").click()
    browser.find_element(By.CSS_SELECTOR, "#consent-form button[type=submit]").click()
    _wait(browser).until(
        ready.text_to_be_present_in_element((By.ID, "consent-message"), "vastgelegd")
    )
    _wait(browser).until(lambda b: _timeline_ids(b) == {own, other, hidden, complaint["id"]})
    bases = {li.text for li in browser.find_elements(By.CSS_SELECTOR, "#timeline li")}
    assert any("Burgerzaken" in text and "grondslag: toestemming" in text for text in bases)
    assert any(f"Klacht {complaint['caseNumber']} (ontvangen)" in text for text in bases)
    [row] = _open_complaints(browser)
    assert row.startswith(f"{complaint['caseNumber']} ontvangen")
    due = date.fromisoformat(complaint["callbackDueDate"])
    assert f"{due.day} {DUTCH_MONTHS[due.month - 1]} {due.year}" in row
    screenshot("kcc-with-consent")

    topic = browser.find_element(By.ID, "topic")
    topic.send_keys("parkeervergunning")
    browser.find_element(By.CSS_SELECTOR, "#contact-form button[type=submit]").click()
    _wait(browser).until(
        ready.text_to_be_present_in_element((By.ID, "contact-message"), "vastgelegd")
    )
    banner = browser.find_element(By.ID, "repeat-banner").text
    assert banner == "4e contact in 7 dagen, 2× over parkeervergunning"
    assert len(_timeline_ids(browser)) == 5
    screenshot("kcc-repeat-banner")

    browser.find_element(By.CSS_SELECTOR, "#consents button[data-withdraw]").click()
    _wait(browser).until(
        ready.text_to_be_present_in_element((By.ID, "consent-message"), "ingetrokken")
    )
    _wait(browser).until(lambda b: len(_timeline_ids(b)) == 2)
    assert other not in _timeline_ids(browser) and hidden not in _timeline_ids(browser)
    assert complaint["id"] not in _timeline_ids(browser) and _open_complaints(browser) == []


def _verify(browser: webdriver.Chrome) -> str:
    browser.find_element(By.ID, "verify").click()
    _wait(browser).until(ready.presence_of_element_located((By.ID, "verdict")))
    return str(browser.find_element(By.ID, "verdict").text)


def _alter_a_record(data_dir: Path) -> int:
    """Change one stored record's outcome in the audit database; return its index."""
    with sqlite3.connect(data_dir / "audit.db") as connection:
        index, data = connection.execute(
            "SELECT leaf_index, leaf_data FROM processing_records "
            'WHERE instr(leaf_data, \'"outcome":"OK"\') > 0 ORDER BY leaf_index LIMIT 1'
        ).fetchone()
        altered = bytes(data).replace(b'"outcome":"OK"', b'"outcome":"NO"')
        connection.execute(
            "UPDATE processing_records SET leaf_data = ? WHERE leaf_index = ?", (altered, index)
        )
    return int(index)


def test_the_privacy_officer_sees_the_log_intact_then_broken(
    browser: webdriver.Chrome, rest: Rest, screenshot: Shot
) -> None:
    officer = rest.token("privacy-piet", ["audit", "consent"], ["privacy-officer", *AGENT])
    _sign_in(browser, rest, "privacy", officer)
    assert _verify(browser) == "✓ Het log is intact."
    integrity = browser.find_element(By.ID, "integrity").text
    assert "Aantal records" in integrity and "Merkle-root" in integrity
    field = browser.find_element(By.ID, "bsn")
    field.send_keys(BSN)
    browser.find_element(By.CSS_SELECTOR, "#citizen-form button[type=submit]").click()
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#citizen-processing table"))
    browser.find_element(By.CSS_SELECTOR, "#report-form button[type=submit]").click()
    _wait(browser).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#report table"))
    screenshot("privacy-intact")

    index = _alter_a_record(rest.stack.data_dir)
    verdict = _verify(browser)
    assert verdict.startswith("✗ Het log is GEBROKEN")
    assert f"record {index}: its content does not match its leaf hash" in verdict
    screenshot("privacy-broken")


def test_the_dashboards_show_charts(
    browser: webdriver.Chrome, rest: Rest, screenshot: Shot
) -> None:
    topics = ["afval", "paspoort", "energietoeslag", "energietoeslag", "verhuizing", "afval"]
    for number, topic in enumerate(topics):
        _contact(rest, "kcc", topic, number % 3, f"dashboard-{number}")
    analyst = rest.token("analist-ali", ["kcc", "onderzoek"], ["analyst"])
    _sign_in(browser, rest, "dashboards", analyst)
    _wait(browser).until(lambda b: len(b.find_elements(By.CSS_SELECTOR, ".chart svg")) == 5)
    rising = browser.find_element(By.CSS_SELECTOR, "#chart-rising svg")
    assert rising.get_attribute("role") == "img"
    assert "parkeervergunning" in rising.get_attribute("innerHTML")
    screenshot("dashboards")
