"""`kiosk diag` as a technician runs it over SSH: JSON, all devices, exit code tells."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def kiosk(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return subprocess.run(
        [sys.executable, "-m", "kiosk", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **env},
        stdin=subprocess.DEVNULL,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def paper_out_printer(tmp_path: Path) -> Iterator[int]:
    """A standalone virtual printer, out of paper, as a technician would start one."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "printer",
            "emulate",
            "--port",
            str(port),
            "--state",
            "paper_out",
            "--out",
            str(tmp_path / "printed"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"printer emulator did not start: {proc.stdout.read()}"
                    ) from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_diag_on_embedded_defaults_lists_every_device_healthy(tmp_path: Path) -> None:
    proc = kiosk("diag", "--json", env={"KIOSK_TERMINAL__DATA_DIR": str(tmp_path)})
    report = json.loads(proc.stdout)
    devices = {d["device"]: d for d in report["devices"]}
    assert set(devices) == {"idcard", "smartcard", "printer", "camera", "a4printer", "doccam"}, (
        proc.stderr
    )
    for name, device in devices.items():
        assert device["state"] == "online", (name, device)
        assert device["self_test"]["passed"], (name, device["self_test"])
    assert devices["idcard"]["details"]["baudrate"] == 115200
    assert devices["printer"]["details"]["paper"] == "full"
    assert devices["a4printer"]["details"]["paper"] == "full"  # a private cupsd + cups-pdf
    assert devices["camera"]["details"]["resolution"] == "640x480"
    assert report["platform"]["reachable"] is True
    assert report["outbox"]["available"] and report["outbox"]["can_enqueue"]
    assert report["outbox"]["dead_letters"] == 0
    assert report["healthy"] is True and proc.returncode == 0


def test_diag_reports_paper_out_and_fails(tmp_path: Path, paper_out_printer: int) -> None:
    env = {
        "KIOSK_TERMINAL__DATA_DIR": str(tmp_path),
        "KIOSK_DEVICES__PRINTER__MODE": "network",
        "KIOSK_DEVICES__PRINTER__PORT": str(paper_out_printer),
        **{
            f"KIOSK_DEVICES__{k}__MODE": "off"
            for k in ("IDCARD", "SMARTCARD", "CAMERA", "A4PRINTER", "DOCCAM")
        },
    }
    proc = kiosk("diag", "--json", env=env)
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    (printer,) = report["devices"]
    assert printer["device"] == "printer" and not printer["healthy"]
    assert printer["details"]["paper"] == "out"
    assert "paper" in printer["message"].lower()

    human = kiosk("diag", env=env)
    assert human.returncode == 1 and "NOT HEALTHY" in human.stdout and "printer" in human.stdout
