"""扫码: the resident shows the QR code from the platform's app; the camera reads it, the
platform vouches for the one-time token, and the resident continues identified."""

from __future__ import annotations

from pathlib import Path

import qrcode

from kiosk.devices.idcard.synthetic import DEMO_FIELDS, CardType
from kiosk.platform.embedded import EmbeddedPlatform
from kiosk.privacy import mask_id_number
from kiosk.resident.identity import QrIdentity
from kiosk.screens.guide import GuideScreen
from kiosk.screens.scan import ScanScreen
from tests.conftest import DEVICES, MakeApp, config_for, tap, wait_until

RESIDENT = DEMO_FIELDS[CardType.RESIDENT]  # synthetic


def issue_token(config) -> str:  # type: ignore[no-untyped-def]
    """What the resident's phone app would get from the platform: a one-time token."""
    server_dir = config.platform.server_data_path(config.terminal.data_path)
    with EmbeddedPlatform(server_dir) as platform:
        minted = platform.server.new_qr_token(RESIDENT["id_number"])
        assert minted is not None
        return minted["token"]


async def test_phone_qr_code_identifies_the_resident(tmp_path: Path, make_app: MakeApp) -> None:
    token = issue_token(config_for(tmp_path, on=DEVICES))
    phone = tmp_path / "phone"  # the camera sees the phone screen: a folder of frames
    phone.mkdir()
    qrcode.make(token, box_size=8).save(phone / "frame.png")
    config = config_for(tmp_path, on=("camera", "a4printer", "doccam"),
                        KIOSK_DEVICES__CAMERA__MODE="file", KIOSK_DEVICES__CAMERA__SOURCE=str(phone))  # fmt: skip
    app = make_app(config)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(
            pilot, lambda: app.services.wait_started(0) and app.services.platform is not None
        )
        await wait_until(pilot, lambda: app.services.device("camera").health().healthy)
        await pilot.click("#home-scan")
        await wait_until(pilot, lambda: isinstance(app.screen, ScanScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.query_one("#scan-continue").display, timeout=30)
        assert isinstance(app.session.identity, QrIdentity)
        shown = str(screen.query_one("#scan-who").render())
        assert mask_id_number(RESIDENT["id_number"]) in shown and RESIDENT["id_number"] not in shown
        await tap(pilot, "#scan-continue")
        await wait_until(pilot, lambda: isinstance(app.screen, GuideScreen))
