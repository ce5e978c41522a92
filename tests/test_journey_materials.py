"""An application with two materials from the emulated 高拍仪, end to end by taps alone,
online and offline: the guide's 所需材料 drive what is asked, each page is taken (and one
retaken) with a preview, the application is sealed with its pages as binary, the outbox file
holds no material in clear, and online the platform stores both pages with it once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from kiosk.app import KioskApp
from tests.conftest import MakeApp, config_for
from tests.journey_helpers import begin_with_id_card

SERVICE = "MZ001"  # 最低生活保障申请: 居民身份证原件 (read), 户口簿, 家庭收入及财产情况说明


@pytest.fixture
def app(tmp_path: Path, make_app: MakeApp) -> KioskApp:
    return make_app(config_for(tmp_path, on=("idcard", "printer", "doccam")))


def outbox_file_bytes(app: KioskApp) -> bytes:
    path = app.services.outbox.path
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())


@pytest.mark.parametrize("offline", [False, True], ids=["online", "offline"])
async def test_application_with_two_pages_from_the_document_camera(app: KioskApp, offline):
    async with app.run_test(size=(120, 40)) as pilot:
        touch = await begin_with_id_card(app, pilot, SERVICE, offline=offline)
        await touch.until(lambda: touch.screen_is("FormScreen"))
        await touch.tap("#field-household_size")
        await touch.digits("3")
        await touch.until(lambda: touch.screen_is("FormScreen"))
        await touch.tap("#field-monthly_income")
        await touch.digits("2400")
        await touch.until(lambda: touch.screen_is("FormScreen"))
        await touch.tap("#field-phone")
        await touch.digits("13800001111")
        await touch.until(lambda: touch.screen_is("FormScreen"))
        await touch.tap("#form-next")

        await touch.until(lambda: touch.screen_is("MaterialsScreen"))
        screen = app.screen
        names = [str(w.render()) for w in screen.query(".material-name")]
        assert names == [
            "户口簿",
            "家庭收入及财产情况说明",
        ]  # the ID card is read, not photographed
        assert screen.query_one("#materials-next").disabled
        for index in (0, 1, 0):  # the first page is retaken (重拍)
            await touch.tap(f"#material-take-{index}")
            state = screen.query_one(f"#material-state-{index}")
            await touch.until(lambda state=state: "已拍摄" in str(state.render()), timeout_s=60)
        assert "重拍" in str(screen.query_one("#material-take-0").label)
        assert str(screen.query_one("#materials-preview").render()).count("▀") > 100  # preview
        pages = dict(app.session.materials.pages)
        assert set(pages) == set(names)
        key = app.session.transaction_key
        await touch.tap("#materials-next")

        await touch.until(lambda: touch.screen_is("ReviewScreen"))
        await touch.tap("#review-submit")
        await touch.until(lambda: touch.screen_is("SubmittedScreen"))
        await touch.until(
            lambda: "回执已打印" in touch.text("#submitted-print"), what="receipt printed"
        )
        assert app.session.materials is None or not app.session.materials.pages  # wiped

        stored = outbox_file_bytes(app)
        for page in pages.values():  # no run of either photo is in the outbox in clear
            for start in range(0, len(page.jpeg) - 64, len(page.jpeg) // 8):
                assert page.jpeg[start : start + 64] not in stored
        outbox = app.services.outbox
        if offline:
            assert outbox.pending_count() == 1  # sealed, waiting for the network
            return
        await touch.until(lambda: outbox.reference_for(key) is not None, timeout_s=30)
        arrived = app.services._embedded.server.storage.materials_of(key)
        assert [(m["name"], m["sha256"]) for m in arrived] == [
            (name, hashlib.sha256(pages[name].jpeg).hexdigest()) for name in names
        ]


async def test_one_material_from_the_phone_one_from_the_document_camera(app: KioskApp, tmp_path):
    import cv2
    import httpx

    from kiosk.devices.doccam.synthetic import desk_photo

    photo = tmp_path / "income.jpg"
    cv2.imwrite(str(photo), desk_photo(77, kind=1).frame, [cv2.IMWRITE_JPEG_QUALITY, 80])
    async with app.run_test(size=(140, 45)) as pilot:
        touch = await begin_with_id_card(app, pilot, SERVICE)
        await touch.until(lambda: touch.screen_is("FormScreen"))
        for field, value in (("household_size", "3"), ("monthly_income", "2400"),
                             ("phone", "13800001111")):  # fmt: skip
            await touch.tap(f"#field-{field}")
            await touch.digits(value)
            await touch.until(lambda: touch.screen_is("FormScreen"))
        await touch.tap("#form-next")
        await touch.until(lambda: touch.screen_is("MaterialsScreen"))
        screen = app.screen
        await touch.tap("#materials-phone")
        for _ in range(150):  # the session opens over the network, in a worker
            if screen.phone is not None and screen.phone.upload_url:
                break
            await pilot.pause(0.2)
        assert screen.phone is not None and screen.phone.upload_url
        preview = str(screen.query_one("#materials-preview").render())
        assert preview.count("▀") > 400  # the QR code the phone scans
        with httpx.Client(timeout=30) as phone:  # the resident's phone (see test_phone_upload)
            assert phone.get(screen.phone.upload_url).status_code == 200
            sent = phone.post(screen.phone.upload_url + "/files",
                              params={"material": "家庭收入及财产情况说明"},
                              content=photo.read_bytes())  # fmt: skip
            assert sent.status_code == 200
        state = screen.query_one("#material-state-1")
        for _ in range(300):  # the terminal polls the platform once a second, in a worker
            if "手机" in str(state.render()):
                break
            await pilot.pause(0.2)
        assert "手机" in str(state.render())  # arrived here
        await touch.tap("#material-take-0")
        first = screen.query_one("#material-state-0")
        await touch.until(lambda: "已拍摄" in str(first.render()), timeout_s=60)
        key = app.session.transaction_key
        await touch.tap("#materials-next")
        await touch.until(lambda: touch.screen_is("ReviewScreen"))
        await touch.tap("#review-submit")
        await touch.until(lambda: touch.screen_is("SubmittedScreen"))
        outbox = app.services.outbox
        await touch.until(lambda: outbox.reference_for(key) is not None, timeout_s=30)
        storage = app.services._embedded.server.storage
        assert [m["name"] for m in storage.materials_of(key)] == ["户口簿"]
        linked = storage.uploads_of_application(key)
        assert [u["material"] for u in linked] == ["家庭收入及财产情况说明"]
        assert linked[0]["sha256"] == sent.json()["sha256"]
