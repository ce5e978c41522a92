"""Certificates as real documents: every certificate service of the demo catalog issues a
signed A4 PDF with the seal and a QR code to the public verification page, and that page,
driven in a real headless Chromium, tells a genuine file from one with a changed byte and an
unknown code."""

from __future__ import annotations

import subprocess
from pathlib import Path

import cv2
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from kiosk.platform.client import PlatformClient
from kiosk.platform.errors import PlatformNotFound, PlatformRejected
from kiosk.platform.server.certificates.content import CERTIFICATES, certificate_services
from kiosk.platform.server.demo_data import DemoData
from kiosk.platform.signing import Ed25519Signer, public_key_b64, sign_request
from kiosk.platform.testing import demo_jpeg
from tests.browser_helpers import chromium

RESIDENT = "11010119900101901X"  # 测试一, demo resident with contributions since 2015
OPTIONS = {
    "SB001": {"months": "36"}, "YB001": {"months": "12"}, "GJJ001": {"months": "6"},
    "HJ002": {"purpose": "study"}, "BDC001": {"scope": "city"},
    "SW001": {"year_from": "2024", "year_to": "2025"}, "HY003": {"purpose": "出国探亲"},
    "CRJ004": {"year_from": "2023"},
}  # fmt: skip


@pytest.fixture(scope="module")
def client(platform):
    with PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret) as c:
        # Certificates, like records, are issued only within a verification of the resident
        # at this terminal (the client remembers it for a few minutes).
        assert c.verify_identity(id_number=RESIDENT, face_jpeg=demo_jpeg())["verified"]
        yield c


@pytest.fixture(scope="module")
def issued(client, tmp_path_factory):
    """Every certificate service issued once: code -> (answer, pdf path)."""
    out = tmp_path_factory.mktemp("certificates")
    found = {}
    for service_code in CERTIFICATES:
        answer = client.issue_certificate(RESIDENT, service_code, OPTIONS[service_code])
        path = out / f"{service_code}.pdf"
        path.write_bytes(client.certificate_pdf(answer))
        found[service_code] = (answer, path)
    return found


def pdf_text(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, timeout=60
    ).stdout.decode("utf-8")


def test_every_service_that_promises_a_sealed_certificate_issues_one():
    assert set(certificate_services(DemoData().catalog)) == set(CERTIFICATES)
    assert len(CERTIFICATES) >= 8


def test_each_certificate_is_a_signed_a4_pdf_with_its_facts(issued):
    for service_code, (answer, path) in issued.items():
        text = pdf_text(path)
        compact = "".join(text.split())
        assert "".join(answer.title.split()) in compact, service_code
        assert answer.authority in compact and answer.certificate_no in compact
        assert "测*一" in text and "1101**********901X" in text  # masked, never in full
        assert "测试一" not in text and RESIDENT not in text
        assert answer.code in text and answer.verify_url in text
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
        assert "595.276 x 841.89 pts (A4)" in info.stdout, service_code
        sig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True)
        assert "ETSI.CAdES.detached" in sig.stdout and "Signature is Valid" in sig.stdout


def test_social_insurance_table_has_labelled_columns_and_the_months_asked_for(issued):
    _, path = issued["SB001"]
    text = pdf_text(path)
    for header in ("费款所属期", "参保单位", "缴费基数", "养老", "医疗", "失业", "状态"):
        assert header in text
    assert text.count("示范科技有限公司") >= 36  # 36 monthly rows, across pages
    assert text.count("费款所属期") == 2  # the table's header repeats on the second page
    assert "第2页共2页" in "".join(text.split())


def test_qr_code_on_the_page_opens_the_verification_url(issued, tmp_path):
    answer, path = issued["HJ002"]
    subprocess.run(["pdftoppm", "-r", "200", "-png", "-singlefile", str(path),
                    str(tmp_path / "page")], check=True, timeout=60)  # fmt: skip
    image = cv2.imread(str(tmp_path / "page.png"))
    # Two decoders, as a phone tries harder than one pass: either reading it is enough.
    decoded = {
        d.detectAndDecode(image)[0] for d in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco())
    }
    assert answer.verify_url in decoded


def test_the_pdf_and_new_certificates_are_only_for_the_verifying_terminal(platform, issued):
    key = Ed25519PrivateKey.generate()
    platform.server.storage.enroll("KIOSK-OTHER-0002", public_key_b64(key.public_key()))
    other = PlatformClient(platform.base_url, "KIOSK-OTHER-0002", Ed25519Signer(key))
    with other:
        with pytest.raises(PlatformNotFound):
            other.certificate_pdf(issued["SB001"][0])
        with pytest.raises(PlatformRejected, match="verification_required"):
            other.issue_certificate(RESIDENT, "SB001", {"months": "12"})


def test_bad_requests_say_why(client):
    with pytest.raises(PlatformRejected, match="years must run forward"):
        client.issue_certificate(RESIDENT, "SW001", {"year_from": "2030", "year_to": "2031"})
    with pytest.raises(PlatformRejected, match="issues no certificate"):
        client.issue_certificate(RESIDENT, "SB002", {})


def test_verification_json_genuine_changed_and_unknown(platform, issued):
    answer, path = issued["BDC001"]
    url = f"{platform.base_url}/v1/verify/{answer.code}"
    stored = httpx.get(url, timeout=10).json()
    assert stored["status"] == "genuine" and stored["signature"]["valid"]
    assert stored["certificate"]["certifies"] == answer.certifies
    assert "测*一" in stored["certificate"]["certifies"]
    held = path.read_bytes()
    assert httpx.post(url, content=held, timeout=10).json()["status"] == "genuine"
    changed = bytearray(held)
    changed[len(held) // 2] ^= 0x20
    verdict = httpx.post(url, content=bytes(changed), timeout=10).json()
    assert verdict["status"] == "tampered" and verdict["reason"] != "identical_to_issued"
    # A typed code in lower case and without dashes finds the same certificate.
    typed = answer.code.replace("-", "").lower()
    assert (
        httpx.get(f"{platform.base_url}/v1/verify/{typed}", timeout=10).json()["status"]
        == "genuine"
    )
    unknown = httpx.get(f"{platform.base_url}/v1/verify/2222-3333-4444-5555", timeout=10).json()
    assert unknown["status"] == "unknown" and unknown["certificate"] is None


@settings(max_examples=25, deadline=None)
@given(position=st.floats(0, 1, exclude_max=True), bit=st.integers(0, 7))
def test_no_single_bit_flip_passes_as_genuine(platform, issued, position, bit):
    answer, path = issued["HY003"]
    held = bytearray(path.read_bytes())
    held[int(position * len(held))] ^= 1 << bit
    response = httpx.post(f"{platform.base_url}/v1/verify/{answer.code}", content=bytes(held),
                          timeout=10)  # fmt: skip
    assert response.status_code == 200 and response.json()["status"] == "tampered"


def test_verify_endpoints_need_no_terminal_signature_but_issuing_does(platform):
    body = b'{"service_code": "SB001", "id_hash": "' + b"0" * 64 + b'"}'
    unsigned = httpx.post(f"{platform.base_url}/v1/certificates", content=body, timeout=10)
    assert unsigned.status_code == 401
    headers = sign_request(platform.terminal_secret, platform.terminal_id, "POST",
                           "/v1/certificates", body)  # fmt: skip
    signed = httpx.post(f"{platform.base_url}/v1/certificates", content=body, headers=headers)
    assert signed.status_code == 403 and signed.json()["error"] == "verification_required"


def test_verification_page_in_a_real_browser(platform, issued, tmp_path):
    answer, path = issued["SB001"]
    changed = bytearray(path.read_bytes())
    changed[len(changed) // 3] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(changed))
    with chromium(width=420, height=900) as browser:
        browser.get(answer.verify_url)  # what scanning the QR code opens
        status = browser.find_element(By.ID, "status")
        assert status.get_attribute("data-status") == "genuine"
        assert status.text == "真实有效"
        facts = browser.find_element(By.ID, "facts").text
        assert answer.title in facts and "测*一" in facts and answer.certificate_no in facts
        assert "签名检查\n通过" in facts
        browser.save_screenshot(str(tmp_path / "verify-genuine.png"))

        def check(file: Path) -> str:
            browser.find_element(By.ID, "held-file").send_keys(str(file))
            result = browser.find_element(By.ID, "file-result")
            WebDriverWait(browser, 20).until(lambda _: result.get_attribute("data-status"))
            return result.get_attribute("data-status") or ""

        assert check(path) == "genuine"
        assert "一致" in browser.find_element(By.ID, "file-result").text
        browser.refresh()
        assert check(tampered) == "tampered"
        assert "篡改" in browser.find_element(By.ID, "file-result").text

        browser.get(f"{platform.base_url}/verify/2222-3333-4444-5555")
        WebDriverWait(browser, 10).until(ec.presence_of_element_located((By.ID, "status")))
        status = browser.find_element(By.ID, "status")
        assert status.get_attribute("data-status") == "unknown" and status.text == "未找到该证明"
        assert not browser.find_elements(By.ID, "facts")
