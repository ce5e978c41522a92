from pathlib import Path
import pytest
from kiosk.app import KioskApp
from kiosk.config import load_config
from tests.touch import Touch

async def test_smoke(tmp_path: Path, clock) -> None:
    config = load_config(environ={"KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
        "KIOSK_DEVICES__SMARTCARD__MODE": "off", "KIOSK_DEVICES__CAMERA__MODE": "off"})
    app = KioskApp(config, clock=clock)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            t = Touch(app, pilot)
            await t.ready()
            await t.open_service("social_security", "SB002")
            await t.identify()
            await t.until(lambda: t.screen_is("FormScreen"))
            app.save_screenshot("/tmp/form.svg")
            await t.tap('Button.option')
            await t.tap('#field-phone')
            await t.digits("13800001111")
            await t.until(lambda: t.screen_is("FormScreen"))
            app.save_screenshot("/tmp/form2.svg")
            await t.tap('#form-next')
            await t.until(lambda: t.screen_is("ReviewScreen"))
            app.save_screenshot("/tmp/review.svg")
            await t.tap('#review-submit')
            await t.until(lambda: t.screen_is("SubmittedScreen"))
            await t.until(lambda: "已打印" in str(app.screen.query_one("#submitted-print").render()))
            app.save_screenshot("/tmp/submitted.svg")
            print("TAPS", t.taps, t.log)
    finally:
        app.services.stop()
