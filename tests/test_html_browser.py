"""The HTML report in a real headless Chromium: no console errors, working filters, no script
injection, and a screenshot to look at (bench/out/html-report.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from browser import chromium, console_errors, full_page_screenshot

from refreshguard import scan
from refreshguard.reporters.html import render

FIXTURE = Path(__file__).parent / "fixtures" / "html"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "cases"
BENCH_OUT = Path(__file__).resolve().parents[1] / "bench" / "out"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_LABEL = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with chromium(tmp_path_factory.mktemp("chromium-profile")) as driver:
        yield driver


def _open(driver: Any, html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")
    driver.get(path.as_uri())
    driver.get_log("browser")  # drop anything logged before this page


def _visible_cards(driver: Any) -> list[tuple[str, str]]:
    return [
        (c.get_attribute("data-outcome"), c.get_attribute("data-kind"))
        for c in driver.find_elements("css selector", "#cards .card")
        if c.is_displayed()
    ]


def _alert_text(driver: Any) -> str | None:
    from selenium.common.exceptions import NoAlertPresentException

    try:
        return str(driver.switch_to.alert.text)
    except NoAlertPresentException:
        return None


def test_renders_without_console_errors_and_screenshot(browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(render(scan([FIXTURE])), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title == "refreshguard report: 6 apps"
    assert console_errors(browser) == []
    # The script ran (CSP hash accepted): it marks the page and shows the filters.
    assert browser.execute_script("return document.documentElement.classList.contains('js')") is True
    assert browser.find_element("id", "filters").is_displayed()
    shot = tmp_path / "html-report.png"
    full_page_screenshot(browser, shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000
    BENCH_OUT.mkdir(parents=True, exist_ok=True)
    (BENCH_OUT / "html-report.png").write_bytes(shot.read_bytes())
    print(f"\nHTML report screenshot: {shot} (copy: {BENCH_OUT / 'html-report.png'})")


def test_corpus_report_renders_without_console_errors(browser: Any, tmp_path: Path) -> None:
    _open(browser, render(scan([CORPUS])), tmp_path / "corpus.html")
    browser.refresh()
    assert console_errors(browser) == []
    assert len(_visible_cards(browser)) == 48
    full_page_screenshot(browser, tmp_path / "corpus.png")
    BENCH_OUT.mkdir(parents=True, exist_ok=True)
    (BENCH_OUT / "html-report-corpus.png").write_bytes((tmp_path / "corpus.png").read_bytes())


def test_filters_hide_and_show_cards(browser: Any, tmp_path: Path) -> None:
    _open(browser, render(scan([FIXTURE])), tmp_path / "filters.html")
    browser.set_window_size(1280, 900)
    everything = [
        ("fail", "connected-app"),
        ("fail", "connected-app"),
        ("fail", "external-client-app"),
        ("not-available", "external-client-app"),
        ("pass", "connected-app"),
        ("not-applicable", "connected-app"),
    ]
    assert _visible_cards(browser) == everything
    shown = browser.find_element("id", "shown-count")
    assert shown.text == "6"

    def click(filter_id: str) -> None:
        label = browser.find_element("css selector", f"label:has(#{filter_id})")
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", label)
        label.click()

    click("f-outcome-fail")
    assert _visible_cards(browser) == everything[3:]
    assert shown.text == "3"
    click("f-kind-external-client-app")
    assert _visible_cards(browser) == [("pass", "connected-app"), ("not-applicable", "connected-app")]
    click("f-outcome-pass")
    click("f-outcome-not-applicable")
    assert _visible_cards(browser) == []
    assert shown.text == "0"
    assert browser.find_element("id", "none-shown").is_displayed()
    for filter_id in (
        "f-outcome-fail",
        "f-kind-external-client-app",
        "f-outcome-pass",
        "f-outcome-not-applicable",
    ):
        click(filter_id)
    assert _visible_cards(browser) == everything
    assert not browser.find_element("id", "none-shown").is_displayed()

    search = browser.find_element("id", "f-name")
    search.send_keys("field")
    assert _visible_cards(browser) == [("fail", "external-client-app")]
    assert console_errors(browser) == []


def test_hostile_names_render_as_text(browser: Any, tmp_path: Path) -> None:
    _open(browser, render(scan([FIXTURE])), tmp_path / "hostile.html")
    assert _alert_text(browser) is None
    names = [e.text for e in browser.find_elements("css selector", ".app-name")]
    assert HOSTILE_NAME in names
    labels = [e.text for e in browser.find_elements("css selector", ".app-label")]
    assert HOSTILE_LABEL in labels
    assert browser.execute_script("return document.images.length") == 0
    assert browser.execute_script("return document.scripts.length") == 1
    assert browser.execute_script("return document.querySelectorAll('[onerror], [onload]').length") == 0
    assert console_errors(browser) == []


def test_csp_blocks_injected_markup_even_if_escaping_failed(browser: Any, tmp_path: Path) -> None:
    # Simulate an escaping bug: raw markup spliced into the page after rendering.
    injected = (
        "<script>window.__pwned = 'script';</script>"
        "<img src=x onerror=\"window.__pwned = 'img'\">"
        "<svg onload=\"window.__pwned = 'svg'\"></svg>"
    )
    html = render(scan([FIXTURE])).replace("</main>", injected + "</main>")
    _open(browser, html, tmp_path / "injected.html")
    browser.refresh()
    assert _alert_text(browser) is None
    assert browser.execute_script("return window.__pwned === undefined") is True
    errors = console_errors(browser)
    assert errors, "the browser should report the blocked inline script"
    assert all("Content Security Policy" in e for e in errors), errors
    # Our own script still ran.
    assert browser.find_element("id", "filters").is_displayed()
