"""Staff sign in with their card on the smart-card reader (real PC/SC stack: pyscard ->
pcscd -> vpcd -> the virtual card), as well as with the PIN; a resident's card does not."""

from __future__ import annotations

from pathlib import Path

from kiosk.devices.smartcard.cards import BankAccount, BankCardApp, demo_card
from kiosk.screens.home import HomeScreen
from kiosk.screens.staff import StaffScreen
from tests.conftest import MakeApp, config_for, wait_until

STAFF_PAN = "6217009900001238"  # synthetic, passes Luhn


async def test_a_staff_card_opens_the_staff_screen_and_a_residents_card_does_not(
    tmp_path: Path, make_app: MakeApp
) -> None:
    config = config_for(tmp_path, on=("smartcard", "a4printer", "doccam"),
                        KIOSK_STAFF__CARD_NUMBERS=f"['{STAFF_PAN}']")  # fmt: skip
    app = make_app(config)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: app.services.wait_started(0))
        reader = app.services.device("smartcard")
        await wait_until(pilot, lambda: reader.health().healthy)

        reader.emulator.insert(demo_card("social_security"))  # a resident's card
        await wait_until(pilot, lambda: reader.card_present)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, StaffScreen)
        reader.emulator.remove()
        await wait_until(pilot, lambda: not reader.card_present)
        app.end_session("test")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))

        reader.emulator.insert(BankCardApp(BankAccount(pan=STAFF_PAN)))
        await wait_until(pilot, lambda: isinstance(app.screen, StaffScreen), timeout=30)
        assert app.session is None  # staff mode carries no resident's session
