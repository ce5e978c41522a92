"""A real headless browser for the console tests: Debian's chromium and chromium-driver
through selenium (no driver download: the path is given, Selenium Manager stays offline)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver


@contextmanager
def chromium(width: int = 1400, height: int = 900) -> Iterator[WebDriver]:
    binary = shutil.which("chromium")
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail(
            "chromium and chromium-driver are needed (apt-get install chromium chromium-driver)"
        )
    os.environ["SE_OFFLINE"] = "true"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                f"--window-size={width},{height}", "--lang=zh-CN", "--disable-extensions"):  # fmt: skip
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(driver_path))
    try:
        yield driver
    finally:
        driver.quit()


def log_in(driver: WebDriver, base_url: str, who: tuple[str, str]) -> None:
    driver.get(base_url + "/console/")
    assert driver.find_elements(By.ID, "password"), "the console did not ask for a login"
    assert "data-terminal" not in driver.page_source
    driver.find_element(By.ID, "username").send_keys(who[0])
    driver.find_element(By.ID, "password").send_keys(who[1])
    driver.find_element(By.ID, "login").click()
    wait_for(driver, lambda: "终端一览" in driver.title, "the terminal list after login")


def wait_for(driver: WebDriver, check: Callable[[], bool], what: str, timeout: float = 20.0,
             reload: bool = False) -> float:  # fmt: skip
    """Poll (reloading the page if asked) until `check` holds; returns the seconds it took."""
    start = time.monotonic()
    while not _holds(check):
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)
        if reload:
            driver.refresh()
    return time.monotonic() - start


def _holds(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except (StaleElementReferenceException, NoSuchElementException):
        return False  # the page is being replaced: look again


def screenshot(driver: WebDriver, name: str, fallback: Path) -> Path:
    """Saved under $KIOSK_SCREENSHOTS (for the README) or the test's tmp dir."""
    folder = Path(os.environ.get("KIOSK_SCREENSHOTS") or fallback)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    driver.save_screenshot(str(path))
    return path
