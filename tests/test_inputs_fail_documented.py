"""Inputs from outside fail only the documented way: the config (URLs, paths), the platform
client (deep JSON, Retry-After), the card readers (SFI, deep TLV, PDOL) and the fuzz command
that keeps it so (CI runs it small; the README command runs it at full size)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from kiosk.config import ConfigError, KioskConfig
from kiosk.devices.base import DeviceError
from kiosk.devices.smartcard import apdu, cards
from kiosk.devices.smartcard.emv import read_bank_card
from kiosk.platform.client import PlatformClient, parse_retry_after
from kiosk.platform.errors import PlatformBadResponse, PlatformUnavailable

ROOT = Path(__file__).resolve().parents[1]


def _kiosk(*args: str, **kw) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True,
                          text=True, timeout=600, env=env, **kw)  # fmt: skip


@pytest.mark.parametrize("url", [
    "http://localhost:x@127.0.0.2:18080",  # looked like loopback, went to 127.0.0.2 in clear
    "https://user:pw@zwfw.example.gov.cn", "http://127.0.0.2:18080", "https://zwfw.example:0x50",
    "https://zw fw.example", "https://zwfw.example/?a=1", "https://-bad-.example", "https://",
])  # fmt: skip
def test_platform_urls_are_parsed_and_odd_ones_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="platform.url"):
        KioskConfig.model_validate({"platform": {"mode": "remote", "url": url}})


def test_good_platform_urls_still_pass() -> None:
    for url in ("https://zwfw.example.gov.cn/api", "https://10.1.2.3:8443", "http://[::1]:8700"):
        assert KioskConfig.model_validate({"platform": {"url": url}}).platform.url == url


def test_a_path_with_an_unknown_user_is_a_config_error_at_load(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[terminal]\ndata_dir = "~nosuchuser/x"\n')
    done = _kiosk("--config", str(config), "outbox", "status")
    assert done.returncode == 2, done.stderr
    assert "terminal.data_dir" in done.stderr and "nosuchuser" in done.stderr
    assert "Traceback" not in done.stderr


def test_retry_after_never_overflows() -> None:
    assert parse_retry_after("1e400") == 86400.0  # was inf, then OverflowError downstream
    assert parse_retry_after("nan") is None
    assert parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT") == 86400.0
    assert parse_retry_after("Mon, 01 Jan 0001 00:00:00 GMT") == 0.0
    assert parse_retry_after("Mon, 01 Jan 99999 00:00:00 GMT") is None


class _Deep(BaseHTTPRequestHandler):
    """A misbehaving platform on loopback: every reply is JSON nested 100,000 deep."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        status = 500 if "tickets" in self.path else 200
        body = b"[" * 100_000 + b"]" * 100_000
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_deeply_nested_platform_replies_are_platform_errors() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Deep)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        with PlatformClient(url, "KIOSK-T-1", "x", timeout=10) as client:
            with pytest.raises(PlatformBadResponse):
                client.heartbeat("1.0")
            with pytest.raises(PlatformUnavailable):  # a 500 whose body is the trap
                client.issue_ticket("SB001")
    finally:
        server.shutdown()
        server.server_close()


def _card_with(answer_select_pse: bytes):  # type: ignore[no-untyped-def]
    """The emulated bank card, except that SELECT PSE gets `answer_select_pse`."""
    app = cards.BankCardApp()

    def transmit(command: bytes) -> bytes:
        if command.startswith(apdu.select_by_name(cards.PSE_NAME)[:5]) and b"1PAY" in command:
            return answer_select_pse
        return app.process(command)

    return transmit


def test_emv_reader_refuses_sfi_ff_deep_tlv_and_a_greedy_pdol() -> None:
    sfi_ff = apdu.tlv(0x6F, apdu.tlv(0xA5, apdu.tlv(0x88, b"\xff"))) + b"\x90\x00"
    with pytest.raises(DeviceError, match="SFI 255"):
        read_bank_card(_card_with(sfi_ff))
    deep = b"\x5a\x01\x00"
    for _ in range(1000):  # well-formed BER-TLV, 1,000 templates deep
        deep = apdu.tlv(0x70, deep)
    with pytest.raises((DeviceError, apdu.TlvError), match="nested deeper"):
        read_bank_card(_card_with(apdu.tlv(0x6F, deep) + b"\x90\x00"))
    # A PDOL of 40 entries that each ask for 16 MB: the reader gave it 1.45 GB.
    greedy = apdu.tlv(0x6F, apdu.tlv(0xA5, apdu.tlv(0x9F38, b"\x9f\x66\x83\xff\xff\xff" * 40)))
    tracemalloc.start()
    try:
        with pytest.raises(DeviceError, match="PDOL"):
            read_bank_card(_card_with_fci(greedy + b"\x90\x00"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000


def _card_with_fci(fci: bytes):  # type: ignore[no-untyped-def]
    """The emulated bank card, except that SELECT of the payment application gets `fci`."""
    app = cards.BankCardApp(pse=False, ppse=False)

    def transmit(command: bytes) -> bytes:
        if command[1] == 0xA4 and bytes.fromhex("A000000333") in command:
            return fci
        return app.process(command)

    return transmit


def test_fuzz_command_small_run_finds_no_crash() -> None:
    """CI's size; the README's full-size command runs 100,000 inputs per target."""
    started = time.monotonic()
    done = _kiosk("fuzz", "--inputs", "150", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert {r["target"] for r in results} >= {"url", "config", "retry-after", "client", "tlv",
                                              "emv", "ssc", "server", "jpeg", "gm"}  # fmt: skip
    assert all(r["inputs"] == 150 and r["crashes"] == 0 for r in results), results
    assert time.monotonic() - started < 600


def test_fuzz_command_reports_a_crash() -> None:
    """The harness can fail: a target whose code raises something undocumented is counted."""
    from kiosk.fuzz.runner import Target, run

    class Boom:
        def __enter__(self):  # type: ignore[no-untyped-def]
            return lambda rng: [][rng.randrange(3)]  # IndexError: not a documented error

        def __exit__(self, *exc: object) -> None:
            pass

    result = run(Target("boom", "always crashes", Boom), 5, seed=1)
    assert (result.inputs, result.crashes) == (5, 5) and "IndexError" in result.examples[0]
