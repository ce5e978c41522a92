"""The ESC/POS parser and renderer: captured python-escpos output, garbage, chunking."""

from __future__ import annotations

import contextlib
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.printer.parser import EscPosError, EscPosParser, Op, StatusQuery, Text, parse
from kiosk.devices.printer.receipt import encode_receipt
from kiosk.devices.printer.render import pages_from_bytes, render_text
from tests.printer_helpers import chinese_receipt

RECEIPT_BYTES = encode_receipt(chinese_receipt(), 32)


def test_python_escpos_captures_from_the_reference():
    # Byte strings documented in reference/devices.md section 2.
    qr = bytes.fromhex(
        "1D286B0400314132001D286B03003143041D286B03003145301D286B06003150304142431D286B0300315130"
    )
    ops = parse(qr)
    assert [getattr(o, "data", None) for o in ops if type(o).__name__ == "Qr"] == [b"ABC"]
    text = render_text(
        pages_from_bytes(
            b"\x1c\x26" + bytes.fromhex("CAD5BEDD204E6F2E310A") + bytes.fromhex("1B64061D5600")
        )
    )
    assert text.strip() == "收据 No.1"
    assert len(pages_from_bytes(b"x\n\x1d\x56\x42\x00y\n\x1b\x64\x06\x1d\x56\x01")) == 2


def test_without_fs_ampersand_chinese_is_not_chinese():
    # Why the adapter sends FS &: a printer not in Chinese mode prints GB18030 as code page text.
    raw = "收据\n".encode("gb18030")
    assert "收据" not in render_text(pages_from_bytes(raw))
    assert "收据" in render_text(pages_from_bytes(b"\x1c\x26" + raw))


def test_status_queries_between_text_are_skipped_not_printed():
    ops = parse(b"\x1c\x26" + "甲".encode("gb18030") + b"\x10\x04\x01" + "乙\n".encode("gb18030"))
    assert [o.n for o in ops if isinstance(o, StatusQuery)] == [1]
    assert "".join(o.text for o in ops if isinstance(o, Text)) == "甲乙"


def _summary(ops: list[Op]) -> tuple[str, list[str]]:
    text = "".join(o.text for o in ops if isinstance(o, Text))
    return text, [type(o).__name__ for o in ops if not isinstance(o, Text)]


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_chunked_feed_equals_one_shot(data):
    cuts = sorted(data.draw(st.lists(st.integers(0, len(RECEIPT_BYTES)), max_size=12)))
    parser = EscPosParser(strict=True)
    ops: list[Op] = []
    last = 0
    for cut in [*cuts, len(RECEIPT_BYTES)]:
        ops += parser.feed(RECEIPT_BYTES[last:cut])
        last = cut
    ops += parser.finish()
    assert _summary(ops) == _summary(parse(RECEIPT_BYTES))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_strict_only_typed_errors(data):
    try:
        pages_from_bytes(data, 32, strict=True, chinese_default=True)
    except EscPosError as exc:
        assert 0 <= exc.offset <= len(data)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_lenient_never_raise(data):
    pages = pages_from_bytes(data, 32, strict=False)
    render_text(pages)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(RECEIPT_BYTES) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    )
)
def test_mutated_receipt_only_typed_errors(mutations):
    data = bytearray(RECEIPT_BYTES)
    for pos, value in mutations:
        data[pos] = value
    with contextlib.suppress(EscPosError):
        pages_from_bytes(bytes(data), 32, strict=True)
    pages_from_bytes(bytes(data), 32, strict=False)  # the emulator's way: never raises


def _cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "printer", *args],
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_cli_render_text_and_png(tmp_path):
    import cv2

    capture = tmp_path / "capture.bin"
    capture.write_bytes(RECEIPT_BYTES)
    out = _cli("render", str(capture), "--png", str(tmp_path / "r.png"), "--text")
    assert out.returncode == 0, out.stderr
    assert "王*明" in out.stdout.decode("utf-8")
    text, _, _ = cv2.QRCodeDetector().detectAndDecode(cv2.imread(str(tmp_path / "r.png")))
    assert text == chinese_receipt().qr
    piped = _cli("render", "-", stdin=RECEIPT_BYTES)
    assert piped.returncode == 0 and "社会保险参保证明" in piped.stdout.decode("utf-8")


def test_cli_render_garbage_is_a_clear_error(tmp_path):
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    out = _cli("render", str(garbage))
    assert out.returncode != 0
    err = out.stderr.decode("utf-8")
    assert "not an ESC/POS stream" in err and "byte " in err and "Traceback" not in err
    missing = _cli("render", str(tmp_path / "nope.bin"))
    assert missing.returncode != 0 and "Traceback" not in missing.stderr.decode()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_render_png_lenient(data):
    from kiosk.devices.printer.render import render_png

    render_png(pages_from_bytes(b"\x1c\x26" + data, 32, strict=False), 32)


def test_cli_test_page_on_embedded_defaults(tmp_path):
    import os

    env = {**os.environ, "KIOSK_TERMINAL__DATA_DIR": str(tmp_path)}
    env.pop("KIOSK_CONFIG", None)
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "printer", "test-page"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    pngs = list((tmp_path / "printer-emulator").glob("*.png"))
    assert len(pngs) == 1 and str(pngs[0]) in out.stdout.decode()
    status = subprocess.run(
        [sys.executable, "-m", "kiosk", "printer", "status", "--json"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert status.returncode == 0 and '"state": "online"' in status.stdout.decode()
