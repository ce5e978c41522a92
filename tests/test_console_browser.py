"""The operators' console in a real headless chromium: log in, watch a terminal go offline,
see a paper-out alert from the printer emulator, lock and unlock a running kiosk, and close
a 差评 work order that a resident's rating at the kiosk opened."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from kiosk.platform.heartbeat import HeartbeatWorker
from kiosk.resident.rating import Satisfaction
from kiosk.screens.home import HomeScreen
from kiosk.screens.out_of_service import OutOfServiceScreen
from kiosk.screens.rating import RatingScreen
from tests.browser_helpers import chromium, log_in, screenshot, wait_for
from tests.conftest import MakeApp, config_for, tap, wait_until
from tests.console_helpers import OPERATOR, start_platform, terminal

OFFLINE_AFTER_S = 3.0


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


def state_of(driver, terminal_id: str) -> str:
    rows = driver.find_elements(By.CSS_SELECTOR, f'tr[data-terminal="{terminal_id}"] [data-state]')
    return rows[0].get_attribute("data-state") if rows else ""


def test_log_in_and_a_silent_terminal_shows_offline_within_its_threshold(browser, tmp_path):
    platform = start_platform(tmp_path / "platform", offline_after_s=OFFLINE_AFTER_S)
    try:
        with (
            terminal(platform, "KIOSK-GZ-0001") as beating,
            terminal(platform, "KIOSK-GZ-0002") as busy,
            terminal(platform, "KIOSK-GZ-0003") as empty,
        ):
            empty.heartbeat("0.1.0", extra={"paper": "out", "location": "乳源县 农商行网点",
                                            "sent_at": "2026-01-01T00:00:00Z"})  # fmt: skip
            busy.heartbeat("0.1.0", outbox_depth=120, dead_letters=1,
                           extra={"paper": "low", "location": "韶关市浈江区政务服务中心"})  # fmt: skip
            beating.heartbeat("0.1.0", extra={"paper": "full", "location": "韶关市武江区 建行网点"})
            last_beat = time.monotonic()
            log_in(browser, platform.base_url, OPERATOR)
            assert state_of(browser, "KIOSK-GZ-0001") == "online"
            wait_for(browser, lambda: state_of(browser, "KIOSK-GZ-0001") == "offline",
                     "the silent terminal to show offline", timeout=OFFLINE_AFTER_S + 15, reload=True)  # fmt: skip
            silent_for = time.monotonic() - last_beat
        # Offline is the rule's threshold plus at most a page reload, not minutes later.
        assert OFFLINE_AFTER_S <= silent_for < OFFLINE_AFTER_S + 3
        row = browser.find_element(By.CSS_SELECTOR, 'tr[data-terminal="KIOSK-GZ-0001"]')
        assert row.find_elements(By.CSS_SELECTOR, '[data-alert="offline"]')
        browser.get(platform.base_url + "/console/terminals/KIOSK-GZ-0001")
        assert "在线 → 离线" in browser.find_element(By.ID, "history").text
        browser.get(platform.base_url + "/console/")
        screenshot(browser, "console-fleet.png", tmp_path)

        # Signed out (no cookie), every console page asks for a login and shows nothing.
        browser.delete_all_cookies()
        for path in ("/console/", "/console/terminals/KIOSK-GZ-0001", "/console/ratings",
                     "/console/workorders", "/console/workorders/1", "/console/audit",
                     "/console/terminals/KIOSK-GZ-0001/bundles/1", "/_admin/faults"):  # fmt: skip
            browser.get(platform.base_url + path)
            assert "KIOSK-GZ-0002" not in browser.page_source, path
            assert (
                browser.find_elements(By.ID, "password") or "unauthorized" in browser.page_source
            ), path
    finally:
        platform.stop()


async def test_a_running_kiosk_through_the_console(browser, tmp_path: Path, make_app: MakeApp):
    app = make_app(config_for(tmp_path, on=("printer",),
                              KIOSK_TERMINAL__LOCATION="韶关市浈江区政务服务中心 1 号机"))  # fmt: skip
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.heartbeat is not None)
        await wait_until(pilot, lambda: app.services.heartbeat.last_ok_at is not None)
        embedded = app.services._embedded
        embedded.server.console.accounts.add(*OPERATOR, "operator")
        tid = app.config.terminal.id
        heartbeat = HeartbeatWorker(app.services, app.services.platform, 3600)  # beats on demand
        base = embedded.base_url

        # The printer emulator runs out of paper: the next heartbeat raises the alert.
        printer = app.services.device("printer")
        printer.emulator.set_state("paper_out")
        await wait_until(pilot, lambda: printer.health().details.get("paper") == "out")
        heartbeat.beat()
        log_in(browser, base, OPERATOR)
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-terminal="{tid}"]')
        assert row.find_elements(By.CSS_SELECTOR, '[data-alert="paper_out"]')
        screenshot(browser, "console-terminals.png", tmp_path)

        # Lock from the console: the kiosk shows its out-of-service screen with the words.
        browser.get(f"{base}/console/terminals/{tid}")
        browser.find_element(By.ID, "lock-message").send_keys("更换打印纸，请稍候")
        browser.find_element(By.ID, "cmd-lock").click()
        wait_for(
            browser,
            lambda: "待执行" in browser.find_element(By.ID, "commands").text,
            "the queued lock",
        )
        assert heartbeat.beat() == ["lock"]
        await wait_until(pilot, lambda: isinstance(app.screen, OutOfServiceScreen))
        await pilot.pause()
        assert "更换打印纸" in str(app.screen.query_one("#oos-message").render())
        heartbeat.beat()  # carries the result back
        browser.refresh()
        commands = browser.find_element(By.ID, "commands").text
        assert "锁定" in commands and "完成" in commands and "已锁定：更换打印纸" in commands
        assert state_of_page(browser) == "locked"
        screenshot(browser, "console-terminal.png", tmp_path)

        browser.find_element(By.ID, "cmd-unlock").click()
        wait_for(
            browser,
            lambda: "待执行" in browser.find_element(By.ID, "commands").text,
            "the queued unlock",
        )
        assert heartbeat.beat() == ["unlock"]
        app.refresh_status()
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))

        # A resident rates 非常不满意 at the kiosk; it syncs and opens a work order.
        outbox = app.services.outbox
        key = outbox.new_transaction_key()
        receipt = outbox.enqueue(key, "application", "session-x",
                                 {"service_code": "SB002", "service_name": "社保证明"},
                                 {"name": "测试一", "phone": "13800000901"})  # fmt: skip
        assert app.services.sync.wait_delivered(key, 20)
        session = app.start_session()  # the rating step follows the application just made
        session.last_service_code = "SB002"
        session.last_reference = app.services.sync.wait_delivered(key, 1) or receipt.local_ref
        await app.push_screen(RatingScreen())
        await tap(pilot, f"#level-{int(Satisfaction.VERY_DISSATISFIED)}")  # GB/T 39046: 5
        await tap(pilot, "#rating-indicators > Button")
        await tap(pilot, "#rating-send")
        server = embedded.server
        await wait_until(pilot, lambda: server.console.followup.orders("", 0)[1] == 1, timeout=30)

        browser.get(f"{base}/console/workorders")
        browser.find_element(By.CSS_SELECTOR, "tr[data-order] a").click()
        assert "待回访" in browser.find_element(By.ID, "wo-state-now").text
        assert "13800000901" in browser.page_source  # the operator may call the resident back
        for action, state in (("contacted", "整改中"), ("resolve", "已办结")):
            browser.find_element(By.ID, f"wo-{action}").click()
            wait_for(
                browser,
                lambda s=state: browser.find_element(By.ID, "wo-state-now").text == s,
                state,
            )
        browser.get(f"{base}/console/ratings")
        assert "社保" in browser.page_source or "SB002" in browser.page_source
        screenshot(browser, "console-ratings.png", tmp_path)


def state_of_page(driver) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, "main [data-state]")
    return found[0].get_attribute("data-state") if found else ""
