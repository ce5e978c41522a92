"""What `printer render` and the virtual printer put on paper for code-page text and GS k
barcodes, checked the way a person holding the slip would: columns counted, bars scanned."""

from __future__ import annotations

import subprocess
import sys

import cv2
import numpy as np
from escpos.printer import Dummy

from kiosk.devices.printer.render import BarcodeBlock, pages_from_bytes, render_png, render_text

CP437_RULE = b"\x1bt\x00" + b"\xc4" * 32 + b"\n"  # 32 x U+2500 in cp437: one full line


def test_a_32_column_cp437_rule_is_one_line_of_32_columns():
    pages = pages_from_bytes(CP437_RULE + b"\x1bt\x00\xb3 x \xb3\n")
    lines = render_text(pages, 32).splitlines()
    assert lines == ["─" * 32, "│ x │"]
    # Drawn 12 dots per character: the rule's ink spans the whole 384-dot line, not two lines.
    png = np.array(render_png(pages, 32))
    inked_rows = np.where((png < 128).any(axis=1))[0]
    rule_row = inked_rows[0]
    ink = np.where(png[rule_row - 3 : rule_row + 3].min(axis=0) < 128)[0]
    assert ink.max() - ink.min() > 370


def test_in_chinese_mode_a_multibyte_character_still_takes_two_columns():
    data = b"\x1c\x26" + "一二三四五六七八九十一二三四五六七".encode("gb18030") + b"\n"
    lines = render_text(pages_from_bytes(data), 32).splitlines()
    assert lines == ["一二三四五六七八九十一二三四五六", "七"]


def _escpos_barcodes() -> bytes:
    printer = Dummy()
    printer.barcode("4006381333931", "EAN13", height=80, width=2, pos="BELOW")
    printer.barcode("{BKIOSK-2026", "CODE128", height=60, width=2, pos="BELOW", function_type="B")
    printer.cut()
    return printer.output


def test_gs_k_barcodes_are_drawn_and_scan_back():
    pages = pages_from_bytes(_escpos_barcodes())
    assert "[EAN13 4006381333931]" in render_text(pages)
    assert "[CODE128 KIOSK-2026]" in render_text(pages)
    png = np.array(render_png(pages))
    # An independent decoder (OpenCV's) reads the EAN-13 off the paper image.
    padded = cv2.copyMakeBorder(png, 60, 60, 60, 60, cv2.BORDER_CONSTANT, value=255)
    ok, decoded, kinds, _ = cv2.barcode.BarcodeDetector().detectAndDecodeWithType(padded)
    assert ok and "4006381333931" in decoded and "EAN_13" in kinds


def test_code128_bars_start_with_start_b_and_end_with_stop():
    (page,) = pages_from_bytes(_escpos_barcodes())
    block = next(b for b in page.blocks if isinstance(b, BarcodeBlock) and b.system == "CODE128")
    png = np.array(render_png(page))
    # The CODE128 symbol is the second band of ink taller than a line of text (the first is
    # the EAN-13); scan one row through its middle.
    rows = np.where((png < 128).any(axis=1))[0]
    bands = [b for b in np.split(rows, np.where(np.diff(rows) > 1)[0] + 1) if len(b) >= 50]
    row = png[bands[1][len(bands[1]) // 2]] < 128
    ink = np.where(row)[0]
    unit = block.look.module
    modules = "".join("1" if row[x] else "0" for x in range(ink.min(), ink.max() + 1, unit))
    assert modules.startswith("11010010000")  # Start B
    assert modules.endswith("1100011101011")  # Stop
    assert (len(modules) - 13) % 11 == 0  # start + data + check, 11 modules each, then stop


def test_unknown_or_bad_barcode_is_marked_not_dropped():
    bad = b"\x1dk\x43\x05ABCDE"  # EAN13 with letters: a printer prints nothing but a gap
    pages = pages_from_bytes(bad, strict=False)
    assert "[EAN13 ABCDE]" in render_text(pages)
    png = np.array(render_png(pages))
    assert (png < 200).any()  # the note that says why no bars were printed


def test_cli_render_draws_barcodes(tmp_path):
    capture = tmp_path / "bars.bin"
    capture.write_bytes(CP437_RULE + _escpos_barcodes())
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "printer", "render", str(capture), "--text"],
        capture_output=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode("utf-8")
    assert "─" * 32 + "\n" in text and "[EAN13 4006381333931]" in text
