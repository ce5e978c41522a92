"""`kiosk platform ...` commands, the server run as its own process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import httpx

from kiosk.cli import main
from kiosk.platform.openapi import build_document


def test_serve_in_a_subprocess_with_a_fault_at_start(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "platform", "serve", "--port", "0",
         "--data-dir", str(tmp_path), "--fault", "5xx:n=1,status=502"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        port, deadline, seen = None, time.monotonic() + 30, []
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(r"Uvicorn running on http://127\.0\.0\.1:(\d+)", line)
            port = int(match.group(1)) if match else None
        assert port, "server did not start:\n" + "".join(seen)
        url = f"http://127.0.0.1:{port}/v1/health"
        assert httpx.get(url, timeout=5).status_code == 502
        assert httpx.get(url, timeout=5).json()["status"] == "ok"
        assert (tmp_path / "platform_x25519.pub").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_openapi_prints_the_document(capsys):
    assert main(["platform", "openapi"]) == 0
    assert json.loads(capsys.readouterr().out) == build_document()


def test_keygen_refuses_to_overwrite(tmp_path, capsys):
    assert main(["platform", "keygen", "--data-dir", str(tmp_path)]) == 0
    key = (tmp_path / "platform_x25519.key").read_bytes()
    assert (tmp_path / "platform_x25519.key").stat().st_mode & 0o777 == 0o600
    assert main(["platform", "keygen", "--data-dir", str(tmp_path)]) == 1
    assert (tmp_path / "platform_x25519.key").read_bytes() == key
    assert "exists" in capsys.readouterr().err


def test_command_for_unknown_terminal_is_refused(tmp_path, capsys):
    assert main(["platform", "command", "KIOSK-NOBODY", "lock", "--data-dir", str(tmp_path)]) == 1
    assert "unknown terminal" in capsys.readouterr().err


def test_terminal_enrollment_and_qr_token(tmp_path, capsys):
    key = tmp_path / "hall-0002.key"
    assert main(["platform", "enroll", "KIOSK-HALL-0002", "--key-out", str(key),
                 "--data-dir", str(tmp_path)]) == 0  # fmt: skip
    assert "enrolled" in capsys.readouterr().out and key.stat().st_mode & 0o777 == 0o600
    assert (
        main(["platform", "command", "KIOSK-HALL-0002", "unlock", "--data-dir", str(tmp_path)]) == 0
    )
    capsys.readouterr()
    assert main(["platform", "qr-token", "11010119900101901X", "--data-dir", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["token"].startswith("KQR1-")
    assert main(["platform", "qr-token", "110101198001010010", "--data-dir", str(tmp_path)]) == 1
