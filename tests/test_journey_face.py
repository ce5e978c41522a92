"""Face check in the journey, on the emulated camera: live records are verified by the
platform at once; applications carry the face sealed in the outbox item (works offline)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from kiosk.offline.crypto import Sealed, load_private_key, open_sealed
from kiosk.screens.form import FormScreen
from tests.conftest import FACE, MakeApp, config_for, wait_until
from tests.journey_helpers import begin_with_id_card


@pytest.fixture
def app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    return make_app(
        config_for(tmp_path, on=("idcard", "printer", "camera", "a4printer", "doccam"), **FACE)
    )


async def test_record_is_printed_after_the_platform_verified_the_face(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB001")
        await touch.until(lambda: isinstance(app.screen, FormScreen), timeout_s=40)
        assert app.session.verification_id
        assert app.session.face_jpeg is None  # sent and dropped
        await touch.tap("Button.option")
        await touch.tap("#form-next")
        await touch.until(lambda: "证明已打印" in touch.text("RecordScreen #record-status"), 40)


async def test_application_offline_carries_the_face_sealed(app: KioskApp) -> None:
    async with app.run_test(size=(160, 45)) as pilot:
        touch = await begin_with_id_card(app, pilot, "SB002", offline=True)
        await touch.until(lambda: isinstance(app.screen, FormScreen), timeout_s=40)
        await touch.tap("Button.option")
        await touch.tap("#field-phone")
        await touch.digits("13800001111")
        await touch.until(lambda: isinstance(app.screen, FormScreen))
        await touch.tap("#form-next")
        await touch.until(lambda: type(app.screen).__name__ == "ReviewScreen")
        await touch.tap("#review-submit")
        await touch.until(lambda: "回执已打印" in touch.text("SubmittedScreen #submitted-print"))
        submission = app.screen.submission
        assert app.session.face_jpeg is None  # queued sealed: the terminal drops it

        # Only the platform's private key opens it; the face is inside, next to the ID number.
        row = app.services.outbox._conn.execute(
            "SELECT kid, sealed FROM outbox WHERE key = ?", (submission.key,)
        ).fetchone()
        key_file = app.services._embedded.public_key_path.with_suffix(".key")
        private = load_private_key(key_file)
        opened = json.loads(open_sealed({row[0]: private}, Sealed(row[0], row[1]), submission.key))
        assert base64.b64decode(opened["face_jpeg_b64"])[:3] == b"\xff\xd8\xff"  # a JPEG
        assert opened["id_number"] and opened["phone"] == "13800001111"


async def test_record_offline_says_the_face_cannot_be_checked(app: KioskApp) -> None:
    from kiosk.screens.face import FaceScreen

    async with app.run_test(size=(160, 45)) as pilot:
        await begin_with_id_card(app, pilot, "SB001", offline=True)
        await wait_until(pilot, lambda: isinstance(app.screen, FaceScreen))
        status = app.screen.query_one("#face-status")
        await wait_until(pilot, lambda: "无法核验身份" in str(status.render()), timeout=40)
        assert app.screen.query_one("#face-retry").display
        assert app.session.face_jpeg is None and app.session.verification_id is None
