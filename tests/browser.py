"""A real headless Chromium for the HTML report tests, driven through chromedriver (selenium).

Uses Debian's ``chromium`` and ``chromium-driver`` (``scripts/ensure-chromium`` installs them; the
Makefile's ``test`` target runs it). Nothing is downloaded: selenium is given both binaries.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,900",
)


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise AssertionError(
        f"{' or '.join(names)} is not installed: run scripts/ensure-chromium "
        "(as root it installs chromium and chromium-driver from Debian), or `make test`"
    )


@contextmanager
def chromium(profile: Path) -> Iterator[Any]:
    """A fresh headless Chromium with browser console logging on; quit afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("chromium", "chromium-browser")
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=_binary("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


def console_errors(driver: Any) -> list[str]:
    """Console messages of level SEVERE (errors, CSP violations, uncaught exceptions)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def full_page_screenshot(driver: Any, path: Path) -> None:
    """Resize the window to the page's height and save a PNG of all of it."""
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(1280, min(max(height, 600), 16000))
    path.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(path)), f"screenshot not written to {path}"
