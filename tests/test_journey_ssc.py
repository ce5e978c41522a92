"""The social security card identifies a resident as well as the ID card does, on the real
PC/SC stack (pyscard -> pcscd -> vpcd -> the virtual card)."""

from __future__ import annotations

import gc
from pathlib import Path

from kiosk.devices.smartcard.cards import demo_card, sample_ssc_holder
from kiosk.devices.smartcard.ssc import SocialSecurityCard
from kiosk.privacy import mask_id_number
from kiosk.resident.identity import SocialSecurityIdentity
from kiosk.screens.form import FormScreen
from kiosk.screens.home import HomeScreen
from kiosk.screens.idcard import IdCardScreen
from tests.conftest import FakeClock, MakeApp, config_for, tap, wait_until
from tests.touch import Touch


async def test_social_security_card_identifies_and_is_dropped_at_timeout(
    tmp_path: Path, clock: FakeClock, make_app: MakeApp
) -> None:
    holder = sample_ssc_holder()  # synthetic
    app = make_app(config_for(tmp_path, on=("idcard", "smartcard")))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(
            pilot, lambda: app.services.wait_started(0) and app.services.outbox is not None
        )
        ssc = app.services.device("smartcard")
        await wait_until(pilot, lambda: ssc.health().healthy)
        await pilot.click("#lang-zh-Hans")
        touch = Touch(app, pilot)
        await touch.open_service("SB002")
        await wait_until(pilot, lambda: isinstance(app.screen, IdCardScreen))
        assert "社保卡" in str(app.screen.query_one("#idcard-status").render())

        earlier = {id(o) for o in gc.get_objects() if isinstance(o, SocialSecurityCard)}
        ssc.emulator.insert(demo_card("social_security"))
        await wait_until(pilot, lambda: app.screen.query_one("#idcard-continue").display)
        assert isinstance(app.session.identity, SocialSecurityIdentity)
        shown = str(app.screen.query_one("#idcard-who").render())
        assert mask_id_number(holder.id_number) in shown and holder.id_number not in shown
        assert app.screen.query_one("#idcard-take").display  # still in the slot

        await tap(pilot, "#idcard-continue")
        await wait_until(pilot, lambda: isinstance(app.screen, FormScreen))
        fields = " ".join(str(w.render()) for w in app.screen.query(".form-card-field"))
        assert "林*梅" in fields  # taken from the card, masked, never typed

        clock.advance(app.idle.timeout + app.idle.countdown + 1)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen) and app.session is None
        gc.collect()
        held = [o for o in gc.get_objects() if isinstance(o, SocialSecurityCard)]
        assert not [o for o in held if id(o) not in earlier]
        message = app.screen.query_one("#home-message")
        assert message.display and "社保卡还在" in str(message.render())
        ssc.emulator.remove()
        await wait_until(pilot, lambda: not message.display)
