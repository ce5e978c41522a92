"""`kiosk camera …` as a technician runs it: snapshot, check-face, qr, status."""

from __future__ import annotations

import json

import cv2
import pytest

from kiosk.cli import main
from kiosk.devices.camera.synthetic import blank_frame, face_frame, qr_frame


@pytest.fixture(autouse=True)
def kiosk_env(tmp_path, monkeypatch):
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("KIOSK_TERMINAL__DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__MODE", "emulated")
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__EMULATED_SCENE", "face")


def image(tmp_path, name, frame):
    path = tmp_path / name
    assert cv2.imwrite(str(path), frame)
    return str(path)


def test_snapshot_writes_a_frame_from_the_configured_camera(tmp_path, capsys):
    out = tmp_path / "快照.png"
    assert main(["camera", "snapshot", str(out)]) == 0
    assert "640x480" in capsys.readouterr().out
    frame = cv2.imread(str(out))
    assert frame.shape == (480, 640, 3)
    assert main(["camera", "check-face", str(out)]) == 0  # the emulated camera shows a face


def test_check_face_prints_json_and_exit_code(tmp_path, capsys):
    assert main(["camera", "check-face", image(tmp_path, "good.png", face_frame())]) == 0
    good = json.loads(capsys.readouterr().out)
    assert good["code"] == "ok" and good["faces"] == 1 and len(good["box"]) == 4
    assert main(["camera", "check-face", image(tmp_path, "empty.png", blank_frame())]) == 1
    assert json.loads(capsys.readouterr().out)["code"] == "no_face"


def test_check_face_without_image_uses_the_camera(capsys):
    assert main(["camera", "check-face"]) == 0
    assert json.loads(capsys.readouterr().out)["code"] == "ok"


def test_qr_from_image_and_from_camera(tmp_path, monkeypatch, capsys):
    path = image(tmp_path, "code.png", qr_frame("预约号 B-0042"))
    assert main(["camera", "qr", path]) == 0
    assert json.loads(capsys.readouterr().out) == {"found": True, "text": "预约号 B-0042"}
    assert main(["camera", "qr", image(tmp_path, "none.png", blank_frame())]) == 1
    assert json.loads(capsys.readouterr().out)["found"] is False

    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__EMULATED_SCENE", "qr")
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__EMULATED_QR_TEXT", "KIOSK-QR-77")
    assert main(["camera", "qr", "--timeout", "10"]) == 0
    assert json.loads(capsys.readouterr().out)["text"] == "KIOSK-QR-77"


def test_bad_input_gets_a_clear_message(tmp_path, capsys):
    assert main(["camera", "check-face", str(tmp_path / "missing.png")]) == 2
    assert "missing.png: cannot be read" in capsys.readouterr().err
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"not an image")
    assert main(["camera", "qr", str(junk)]) == 2
    assert "not an image" in capsys.readouterr().err
    assert main(["camera", "snapshot", str(tmp_path / "out.xyz")]) == 2
    assert "unsupported image type" in capsys.readouterr().err


def test_status_reports_a_missing_camera(monkeypatch, capsys):
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__MODE", "v4l2")
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__SOURCE", "/dev/video96")
    assert main(["camera", "status"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["health"]["state"] == "noDevice"
    assert data["self_test"]["passed"] is False


def test_status_of_the_emulated_camera(capsys):
    assert main(["camera", "status"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["health"]["state"] == "online" and data["self_test"]["passed"] is True
    assert data["health"]["details"]["resolution"] == "640x480"


def test_camera_off_in_config(monkeypatch, capsys):
    monkeypatch.setenv("KIOSK_DEVICES__CAMERA__MODE", "off")
    assert main(["camera", "snapshot", "x.png"]) == 1
    assert "camera is off" in capsys.readouterr().err
