"""取号 and 进度查询 by taps: a printed ticket with a short number online and on a first start
with no network (the shipped catalog serves); progress by the number keyed on the on-screen
keyboard or by the receipt's QR code held up to the camera, dates as people write them."""

from __future__ import annotations

import re
from pathlib import Path

import qrcode

from tests.conftest import MakeApp, config_for
from tests.touch import Touch

ON = ("idcard", "printer")


async def take_ticket(touch: Touch) -> str:
    app = touch.app
    await touch.tap("#home-ticket")
    await touch.tap("#ticket-social_security")
    await touch.until(lambda: app.screen.query_one("#ticket-number").display)
    await touch.until(lambda: "已打印" in touch.text("TicketScreen #ticket-detail"))
    return str(app.screen.query_one("#ticket-number").render()).strip()


async def test_ticket_online_and_on_a_first_start_without_network(
    tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(config_for(tmp_path, on=ON))
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        number = await take_ticket(touch)
        assert re.fullmatch(r"A\d{3}", number), number  # short, as the hall calls it
        detail = str(app.screen.query_one("#ticket-detail").render())
        assert "社保" in detail and "窗口" in detail and "前面还有" in detail
        printed = app.services.device("printer").emulator.jobs[-1].text
        assert "排队凭条" in printed and number in printed and "取号时间" in printed
        assert not app.screen.query_one("#ticket-offline").display
        await touch.tap("#ticket-done")
        await touch.until(lambda: touch.screen_is("HomeScreen") and app.session is None)

        app.services._embedded.stop()  # the network goes away
        number = await take_ticket(touch)
        assert number == "A901"  # the terminal's own band, never a hall number
        assert app.screen.query_one("#ticket-offline").display
        assert "A901" in app.services.device("printer").emulator.jobs[-1].text
        rows = app.services.outbox._conn.execute(
            "SELECT display FROM outbox WHERE kind = 'ticket'").fetchall()  # fmt: skip
        assert len(rows) == 1 and "A901" in rows[0][0]  # the hall learns of it later


async def test_first_start_offline_guide_uses_the_shipped_catalog(
    tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(config_for(tmp_path, on=ON))
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        app.services._embedded.stop()  # never reached: no catalog was ever cached
        assert not (tmp_path / "data" / "catalog.json").exists()
        await touch.tap("#home-guide")
        await touch.until(lambda: app.screen.query_one("#guide-offline").display)
        await touch.tap("#cat-social_security")
        names = [str(b.label) for b in app.screen.query("#guide-list Button.service")]
        assert "社会保障卡补换领" in names
        assert not app.screen.query_one("#guide-empty").display


async def test_progress_by_the_number_keyed_on_the_screen(
    tmp_path: Path, make_app: MakeApp
) -> None:
    app = make_app(config_for(tmp_path, on=ON))
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        outbox = app.services.outbox  # an application submitted here earlier
        key = outbox.new_transaction_key()
        outbox.enqueue(key, "application", "s1", {"service_code": "SB002",
                       "service_name": "社会保障卡补换领"}, {"phone": "13800001111"})  # fmt: skip
        reference = app.services.sync.wait_delivered(key, 20)
        assert reference
        await touch.tap("#home-progress")
        await touch.tap("#progress-type")
        await touch.until(lambda: touch.screen_is("FieldInputScreen"))
        # a receipt number: the keyboard starts on capitals and digits
        for ch in reference:
            await touch.tap("#kb-dash" if ch == "-" else f"#kb-{ch.lower()}")
        await touch.tap("#kb-done")
        await touch.until(lambda: touch.screen_is("ProgressScreen"))
        result = app.screen.query_one("#progress-result")
        await touch.until(lambda: reference in str(result.render()))
        shown = str(result.render())
        assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", shown) and "T" not in shown.split(
            reference)[1]  # fmt: skip


async def test_progress_by_the_receipt_qr_code(tmp_path: Path, make_app: MakeApp) -> None:
    camera = tmp_path / "receipt"  # the camera sees the receipt held up: a folder of frames
    camera.mkdir()
    qrcode.make("zw 2026 0000 0000", box_size=8).save(camera / "frame.png")  # no such number
    app = make_app(config_for(tmp_path, on=(*ON, "camera"), KIOSK_DEVICES__CAMERA__MODE="file",
                              KIOSK_DEVICES__CAMERA__SOURCE=str(camera)))  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        touch = Touch(app, pilot)
        await touch.services_up()
        await touch.tap("#home-progress")
        await touch.tap("#progress-scan")
        await touch.until(lambda: "没有找到" in touch.text("#progress-status"), 40)
