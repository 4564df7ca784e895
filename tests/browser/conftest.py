"""Headless Chromium (Debian's ``chromium`` and ``chromium-driver``) driven by Selenium.

No browser is downloaded: the system Chromium and chromedriver are used. Where they are
missing (a user's machine without them) the browser tests are skipped with a notice; in CI
(``CI`` set, where ``.ci/run`` installs them) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver

from tests.e2e.gateway.support import Rest, running_rest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,2400",
    "--lang=nl-NL",
)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """A headless Chromium session."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail("CI needs /usr/bin/chromium and /usr/bin/chromedriver (.ci/run)")
        pytest.skip("NOTICE: browser tests skipped: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    service = webdriver.ChromeService(executable_path=str(CHROMEDRIVER))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rest]:
    """The stack and its gateway for the browser tests."""
    with running_rest(tmp_path_factory.mktemp("screens") / "var") as running:
        yield running


@pytest.fixture
def screenshot(browser: webdriver.Chrome) -> Iterator[object]:
    """Save a full-window screenshot as ``test-artifacts/<name>.png``."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
        browser.save_screenshot(str(path))
        return path

    yield save
