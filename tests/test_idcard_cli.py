"""`kiosk idcard decode` and `kiosk idcard read` as a technician runs them."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.devices.idcard.synthetic import DEMO_FIELDS

DATA = Path(__file__).parent / "data" / "idcard"


def decode(capsys, *args: str, stdin: str | None = None, monkeypatch=None) -> tuple[int, dict, str]:
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["idcard", "decode", *args])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else {}), err


@pytest.mark.parametrize(
    ("capture", "card_type", "valid"),
    [
        ("read_resident.hex", "resident", True),
        ("read_hk_mo_tw_permit.hex", "hk_mo_tw_permit", True),
        ("read_foreign_2017.hex", "foreign_2017", None),
        ("read_foreign_2023.hex", "foreign_2023", True),
    ],
)
def test_decodes_each_card_type_masked(capsys, monkeypatch, capture, card_type, valid) -> None:
    code, out, err = decode(capsys, stdin=(DATA / capture).read_text(), monkeypatch=monkeypatch)
    assert code == 0, err
    command, reply = out["frames"]
    assert command["command"] == "read" and command["direction"] == "host_to_sam"
    assert reply["status"]["sw3"] == "90" and reply["status"]["meaning"] == "OK"
    assert reply["reply_to"] == "read" and reply["card_type"] == card_type
    assert reply["id_number_valid"] is valid
    assert reply["photo_len"] == 1024 and reply["fingerprint_count"] == 0
    assert reply["masked"] is True
    clear = DEMO_FIELDS[card_type]
    text = json.dumps(out, ensure_ascii=False)
    for key in ("name", "id_number", "birth_date"):
        assert clear[key] not in text, key
    assert "*" in reply["fields"]["id_number"]


def test_reveal_shows_fields_in_clear(capsys, monkeypatch) -> None:
    text = (DATA / "read_resident.hex").read_text()
    code, out, _ = decode(capsys, "--reveal", stdin=text, monkeypatch=monkeypatch)
    assert code == 0
    fields = out["frames"][1]["fields"]
    assert (
        fields["name"] == "测试一" and fields["id_number"] == DEMO_FIELDS["resident"]["id_number"]
    )
    assert out["frames"][1]["masked"] is False


def test_fingerprints_and_bad_check_digit(capsys, monkeypatch) -> None:
    code, out, _ = decode(
        capsys, stdin=(DATA / "read_fingerprints_resident.hex").read_text(), monkeypatch=monkeypatch
    )
    assert code == 0 and out["frames"][1]["fingerprint_count"] == 2
    assert out["frames"][1]["reply_to"] == "read_with_fingerprints"
    code, out, _ = decode(
        capsys, stdin=(DATA / "read_bad_check_digit.hex").read_text(), monkeypatch=monkeypatch
    )
    assert code == 0 and out["frames"][0]["id_number_valid"] is False


def test_short_replies_from_an_argument_with_colons(capsys) -> None:
    code, out, _ = decode(capsys, "AA:AA:AA:96:69:00:08:00:00:9F:00:00:00:00:97")
    assert code == 0
    (reply,) = out["frames"]
    assert reply["reply_to"] == "find" and reply["status"]["meaning_zh"] == "寻找证/卡成功"


@pytest.mark.parametrize(
    ("capture", "reply_to", "extra"),
    [
        ("sam_id.hex", "sam_id", ("sam_id", "05.01-20240101-000012345-001234567")),
        ("find_no_card.hex", "find", ("status", None)),
        ("select_ok.hex", "select", ("card_serial", "0000000000000000")),
        ("sam_status_ok.hex", "sam_status", ("data_len", 0)),
    ],
)
def test_short_captures(capsys, monkeypatch, capture, reply_to, extra) -> None:
    code, out, _ = decode(capsys, stdin=(DATA / capture).read_text(), monkeypatch=monkeypatch)
    assert code == 0
    reply = out["frames"][-1]
    assert reply["reply_to"] == reply_to
    if extra[1] is not None:
        assert reply[extra[0]] == extra[1]


def test_no_card_status_is_named(capsys, monkeypatch) -> None:
    _, out, _ = decode(
        capsys, stdin=(DATA / "find_no_card.hex").read_text(), monkeypatch=monkeypatch
    )
    assert out["frames"][1]["status"]["meaning"] == "find card failed (no card)"


def test_unknown_status_byte(capsys, monkeypatch) -> None:
    code, out, _ = decode(
        capsys, stdin=(DATA / "sw3_unknown.hex").read_text(), monkeypatch=monkeypatch
    )
    assert code == 0 and out["frames"][0]["status"]["meaning"] == "unknown status 0x77"


def test_noise_around_frames_is_a_warning(capsys, monkeypatch) -> None:
    code, out, err = decode(
        capsys, stdin=(DATA / "noisy_session.hex").read_text(), monkeypatch=monkeypatch
    )
    assert code == 0 and len(out["frames"]) == 4
    assert "3 bytes before frame 1 skipped" in err and "2 trailing bytes ignored" in err


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        ("bad_checksum.hex", "error: checksum: bad checksum"),
        ("short_frame.hex", "error: short_frame: frame cut short: 500 of 1295 bytes"),
        ("garbage.hex", "error: no_frame: no frame in 48 bytes"),
    ],
)
def test_bad_captures_fail_clearly(capsys, monkeypatch, capture, message) -> None:
    code, _, err = decode(capsys, stdin=(DATA / capture).read_text(), monkeypatch=monkeypatch)
    assert code == 1
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [("AA AA AZ", "not hex: 'Z'"), ("AAA", "odd number of hex digits"), ("", "no hex digits")],
)
def test_bad_hex_is_a_usage_error(capsys, text, message) -> None:
    code, _, err = decode(capsys, text)
    assert code == 2 and message in err


def test_decode_runs_as_a_real_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "idcard", "decode"],
        input=(DATA / "read_foreign_2023.hex").read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["frames"][1]["card_type"] == "foreign_2023"
    done = subprocess.run(
        [sys.executable, "-m", "kiosk", "idcard", "decode", "AA AA AA 96 69 00 04 00 00 90 95"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1 and "bad checksum" in done.stderr


def test_read_with_a_demo_card_prints_masked_json(capsys) -> None:
    code = main(["idcard", "read", "--demo-card", "hk_mo_tw_permit", "--timeout", "3"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["card_type"] == "hk_mo_tw_permit" and data["masked"] is True
    assert data["name"] == "测*二" and data["pass_number"] != "H90000001"
    assert data["reader"]["mode"] == "emulated"


def test_read_with_no_card_fails_clearly(capsys) -> None:
    code = main(["idcard", "read", "--timeout", "1"])
    _, err = capsys.readouterr()
    assert code == 1 and "no_card" in err


def test_read_from_a_missing_port_fails_clearly(capsys, tmp_path) -> None:
    code = main(["idcard", "read", "--port", str(tmp_path / "ttyUSB7"), "--timeout", "0.5"])
    _, err = capsys.readouterr()
    assert code == 1 and "reader not ready" in err and "ttyUSB7" in err
