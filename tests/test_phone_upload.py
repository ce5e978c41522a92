"""Materials from the resident's phone: the terminal opens a one-time upload session, a real
headless Chromium (the phone) opens the QR code's page and uploads a photo, the terminal sees
it arrive, and the application that carries it links it at the platform exactly once."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import cv2
import httpx
import pytest
from selenium.webdriver.common.by import By

from kiosk.devices.doccam.synthetic import desk_photo
from kiosk.phone_materials import PhoneMaterials
from kiosk.platform.client import PlatformClient
from kiosk.platform.testing import make_item
from tests.browser_helpers import chromium, screenshot, wait_for

SERVICE = "HJ004"  # 出生登记: 父母居民身份证, 出生医学证明, 户口簿, 结婚证


@pytest.fixture
def client(platform):
    with PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret) as c:
        yield c


@pytest.fixture(scope="module")
def photo(tmp_path_factory) -> Path:
    """A phone photo of a document (JPEG, a few hundred KB)."""
    path = tmp_path_factory.mktemp("phone") / "birth-certificate.jpg"
    cv2.imwrite(str(path), desk_photo(31, kind=2).frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return path


def catalog_materials(platform) -> list[str]:
    return list(platform.server.demo.services[SERVICE]["guide"]["materials"])


def test_phone_upload_arrives_at_the_terminal_and_with_the_application_once(
    platform, client, photo, tmp_path
):
    materials = catalog_materials(platform)
    phone = PhoneMaterials(client, SERVICE, materials)
    url = phone.open()
    assert url.startswith(platform.base_url + "/m/")
    assert phone.poll() == []
    with chromium(width=412, height=915) as browser:  # a phone-sized window
        browser.get(url)
        cards = browser.find_elements(By.CSS_SELECTOR, "section[data-material]")
        assert [c.get_attribute("data-material") for c in cards] == materials
        index = materials.index("出生医学证明")
        browser.find_element(By.ID, f"file-{index}").send_keys(str(photo))
        state = browser.find_element(By.ID, f"state-{index}")
        wait_for(browser, lambda: state.get_attribute("data-uploaded"), "the upload to finish")
        assert "已上传" in state.text
        screenshot(browser, "phone-upload.png", tmp_path)
    arrived = []
    deadline = time.monotonic() + 10
    while not arrived:  # the terminal polls, as its screen does
        assert time.monotonic() < deadline, "the photo never reached the terminal"
        arrived = phone.poll()
    (material,) = arrived
    sent = photo.read_bytes()
    assert material.material == "出生医学证明" and material.content_type == "image/jpeg"
    assert material.data == sent and material.sha256 == hashlib.sha256(sent).hexdigest()
    assert phone.missing() == [m for m in materials if m != "出生医学证明"]
    assert phone.poll() == []  # downloaded once

    # The application carries the reference, sealed; sent twice (a retry), linked once.
    payload = {"id_number": "11010119900101901X", "phone_uploads": phone.references()}
    item = make_item(platform.public_key_path, payload=payload,
                     display={"service_code": SERVICE, "masked_name": "测*一"})  # fmt: skip
    first = client.submit_batch([item])
    again = client.submit_batch([item])
    assert first[0]["status"] == "accepted" and again[0]["status"] == "duplicate"
    linked = platform.server.storage.uploads_of_application(item["key"])
    assert [(u["material"], u["sha256"]) for u in linked] == [("出生医学证明", material.sha256)]


def test_the_qr_code_is_for_one_phone_and_checks_what_it_is_sent(platform, client, photo):
    phone = PhoneMaterials(client, SERVICE, catalog_materials(platform))
    url = phone.open()
    with chromium(width=412, height=915) as first, chromium(width=412, height=915) as second:
        first.get(url)
        assert first.find_elements(By.CSS_SELECTOR, "section[data-material]")
        second.get(url)  # someone else scans the same code
        assert "另一部手机" in second.find_element(By.ID, "refused").text
        # A file that is not a photo or PDF is refused with words the resident understands.
        text_file = photo.with_suffix(".txt")
        text_file.write_text("not a photo")
        first.find_element(By.ID, "file-0").send_keys(str(text_file))
        state = first.find_element(By.ID, "state-0")
        wait_for(first, lambda: "bad" in (state.get_attribute("class") or ""), "the refusal")
        assert "JPG" in state.text
    assert phone.poll() == []  # nothing half-stored
    # Without the first phone's cookie nothing is accepted; too big is refused before storing.
    cookie_less = httpx.post(url + "/files?material=户口簿", content=b"\xff\xd8\xff" + b"0" * 10)
    assert cookie_less.status_code == 403
    other = PhoneMaterials(client, SERVICE, catalog_materials(platform))
    with httpx.Client(timeout=30) as browser_like:
        assert browser_like.get(other.open()).status_code == 200  # this phone now owns it
        big = b"\xff\xd8\xff" + bytes(5 * 1024 * 1024)
        reply = browser_like.post(other.upload_url + "/files?material=户口簿", content=big)
        assert reply.status_code == 413 and "文件太大" in reply.json()["reason"]
        ok = browser_like.post(
            other.upload_url + "/files?material=户口簿", content=photo.read_bytes()
        )
        assert ok.status_code == 200
    assert [m.material for m in other.poll()] == ["户口簿"]


def test_an_unknown_or_expired_code_says_so(platform, client):
    reply = httpx.get(platform.base_url + "/m/not-a-token", timeout=10)
    assert reply.status_code == 410 and "二维码无效" in reply.text
    phone = PhoneMaterials(client, SERVICE, catalog_materials(platform))
    url = phone.open()
    storage = platform.server.storage
    storage._exec("UPDATE upload_sessions SET expires_at = ? WHERE id = ?",
                  (time.time() - 1, phone.session_id))  # fmt: skip
    reply = httpx.get(url, timeout=10)
    assert reply.status_code == 410 and "已过期" in reply.text


def test_uploads_are_only_for_the_terminal_that_opened_the_session(platform, client):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kiosk.platform.errors import PlatformNotFound
    from kiosk.platform.signing import Ed25519Signer, public_key_b64

    phone = PhoneMaterials(client, SERVICE, catalog_materials(platform))
    phone.open()
    key = Ed25519PrivateKey.generate()
    platform.server.storage.enroll("KIOSK-OTHER-0003", public_key_b64(key.public_key()))
    other = PlatformClient(platform.base_url, "KIOSK-OTHER-0003", Ed25519Signer(key))
    with other, pytest.raises(PlatformNotFound):
        other.upload_session_status(phone.session_id)
