"""What the paper looks like: parsed ESC/POS operations laid out into pages (one per cut),
rendered to plain text and to a PNG at printer resolution (12x24-dot ASCII and code-page
characters, 24x24-dot CJK, native QR codes and GS k barcodes drawn as real, scannable symbols,
raster images as sent).
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.devices.printer.parser import (
    Barcode,
    BarcodeStyle,
    Cut,
    EscPosParser,
    Feed,
    Init,
    Newline,
    Op,
    Qr,
    Raster,
    Style,
    Text,
)
from kiosk.devices.printer.receipt import char_width

if TYPE_CHECKING:
    from PIL import Image as PILImage

FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
FONT_MONO_INDEX = 1  # "WenQuanYi Zen Hei Mono": half-width ASCII, like a printer's Font A
DOTS_PER_COLUMN = 12
LINE_DOTS = 30  # default line spacing (ESC 2): 1/6 inch at 180 dpi
MARGIN = 16  # blank paper either side of the printable area in the PNG
STOPPED_NOTE = "缺纸/断线 stopped here"  # marks a page the printer did not finish


@dataclass(frozen=True)
class Cell:
    """One printed character; `wide` is a 24-dot GB18030 character, else a 12-dot one
    (ASCII, or any character of a single-byte code page such as cp437's box rules)."""

    ch: str
    style: Style
    wide: bool

    @property
    def cols(self) -> int:
        if not self.ch or (self.ch < " " or unicodedata.combining(self.ch)):
            return 0
        return (2 if self.wide else 1) * self.style.scale(self.wide)[0]


@dataclass
class Row:
    runs: list[Cell] = field(default_factory=list)
    align: int = 0

    @property
    def text(self) -> str:
        return "".join(c.ch for c in self.runs)

    @property
    def cols(self) -> int:
        return sum(c.cols for c in self.runs)


@dataclass(frozen=True)
class QrBlock:
    data: bytes
    module: int
    ec: str
    align: int


@dataclass(frozen=True)
class BarcodeBlock:
    system: str
    data: bytes
    look: BarcodeStyle
    align: int

    @property
    def shown(self) -> str:
        """The human-readable digits (HRI) under the bars: the data without a CODE128 code-set
        prefix such as {B."""
        text = self.data.decode("ascii", "replace")
        if self.system == "CODE128" and text[:1] == "{" and len(text) > 1:
            text = text[2:].replace("{{", "{")
        return text


@dataclass(frozen=True)
class ImageBlock:
    width_bytes: int
    height: int
    mode: int
    data: bytes
    align: int


@dataclass(frozen=True)
class FeedBlock:
    dots: int


@dataclass(frozen=True)
class NoteBlock:
    text: str  # an emulator remark, e.g. where the paper ran out


Block = Row | QrBlock | BarcodeBlock | ImageBlock | FeedBlock | NoteBlock


@dataclass
class Page:
    """What one job put on paper, up to a cut (or up to where printing stopped)."""

    blocks: list[Block] = field(default_factory=list)
    cut: bool = False
    complete: bool = True

    @property
    def empty(self) -> bool:
        return not any(isinstance(b, (Row, QrBlock, BarcodeBlock, ImageBlock)) for b in self.blocks)

    def qr_payloads(self) -> list[bytes]:
        return [b.data for b in self.blocks if isinstance(b, QrBlock)]


class PageBuilder:
    """Feeds parsed operations onto the paper; a cut closes the page."""

    def __init__(self, width_chars: int = 32) -> None:
        self.width_chars = width_chars
        self.page = Page()
        self._row = Row()
        self._used = 0

    def add(self, op: Op) -> Page | None:
        if isinstance(op, Text):
            self._text(op.text, op.style, op.single_byte)
        elif isinstance(op, Newline):
            self._flush(force=True, style=op.style)
        elif isinstance(op, Feed):
            self._flush()
            self.page.blocks.append(FeedBlock(op.dots))
        elif isinstance(op, Qr):
            self._flush()
            self.page.blocks.append(QrBlock(op.data, op.module, op.ec, op.style.align))
        elif isinstance(op, Barcode):
            self._flush()
            self.page.blocks.append(BarcodeBlock(op.system, op.data, op.look, op.style.align))
        elif isinstance(op, Raster):
            self._flush()
            self.page.blocks.append(
                ImageBlock(op.width_bytes, op.height, op.mode, op.data, op.style.align)
            )
        elif isinstance(op, Init):
            self._row, self._used = Row(), 0  # ESC @ clears the print buffer
        elif isinstance(op, Cut):
            self._flush()
            return self.close(cut=True)
        return None

    def note(self, text: str) -> None:
        self._flush()
        self.page.blocks.append(NoteBlock(text))

    def close(self, *, cut: bool = False, complete: bool = True) -> Page | None:
        """Finish the current page; None when nothing was printed on it."""
        self._flush()
        page, self.page = self.page, Page()
        page.cut, page.complete = cut, complete
        return None if page.empty and complete else page

    @property
    def has_content(self) -> bool:
        return bool(self._row.runs) or not self.page.empty

    def _text(self, text: str, style: Style, single_byte: bool = False) -> None:
        for tab_or_ch in text:
            if tab_or_ch == "\t":  # to the next tab stop (every 8 columns), as spaces
                stop = min((self._used // 8 + 1) * 8, self.width_chars)
                self._text(" " * max(stop - self._used, 1), style)
                continue
            cell = Cell(tab_or_ch, style, not single_byte and char_width(tab_or_ch) == 2)
            if self._used + cell.cols > self.width_chars and self._row.runs:
                self._flush(force=True, style=style)  # the printer wraps a full line
            if not self._row.runs:
                self._row.align = style.align
            self._row.runs.append(cell)
            self._used += cell.cols

    def _flush(self, force: bool = False, style: Style | None = None) -> None:
        if self._row.runs or force:
            if not self._row.runs and style is not None:
                self._row.runs.append(Cell("", style, False))  # an empty line keeps its height
            self.page.blocks.append(self._row)
        self._row, self._used = Row(), 0


def pages_from_bytes(
    data: bytes, width_chars: int = 32, *, strict: bool = True, chinese_default: bool = False
) -> list[Page]:
    """Parse a captured stream into pages (EscPosError on garbage when strict)."""
    parser = EscPosParser(strict=strict, chinese_default=chinese_default)
    builder = PageBuilder(width_chars)
    pages = []
    for op in parser.feed(data) + parser.finish():
        page = builder.add(op)
        if page is not None:
            pages.append(page)
    last = builder.close()
    if last is not None:
        pages.append(last)
    return pages


# ---- text --------------------------------------------------------------------------------


def render_text(pages: Page | list[Page], width_chars: int = 32) -> str:
    pages = [pages] if isinstance(pages, Page) else pages
    out: list[str] = []
    for i, page in enumerate(pages):
        if i:
            out.append("- - - - - - - - cut - - - - - - - -")
        lines: list[str] = []
        for block in page.blocks:
            if isinstance(block, Row):
                lines.append(_aligned(block.text, block.cols, block.align, width_chars))
            elif isinstance(block, QrBlock):
                shown = block.data.decode("utf-8", "replace")
                lines.append(_aligned(f"[QR {shown}]", len(shown) + 5, block.align, width_chars))
            elif isinstance(block, BarcodeBlock):
                shown = f"[{block.system} {block.shown}]"
                lines.append(_aligned(shown, len(shown), block.align, width_chars))
            elif isinstance(block, ImageBlock):
                lines.append(f"[image {block.width_bytes * 8}x{block.height} dots]")
            elif isinstance(block, FeedBlock):
                lines.extend([""] * min(round(block.dots / LINE_DOTS), 3))
            else:
                lines.append(f"*** {block.text} ***")
        while lines and not lines[-1].strip():
            lines.pop()
        if not page.complete:
            lines.append(f"*** {STOPPED_NOTE} ***")
        out.extend(lines)
    return "\n".join(line.rstrip() for line in out) + "\n"


def _aligned(text: str, cols: int, align: int, width: int) -> str:
    pad = max(width - cols, 0)
    return " " * (pad // 2 if align == 1 else pad if align == 2 else 0) + text


# ---- PNG ---------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.truetype(FONT_PATH, size, index=FONT_MONO_INDEX)
    except OSError:  # no CJK font installed: still render, Latin only
        return ImageFont.load_default(size)


@functools.lru_cache(maxsize=4096)
def _glyph(ch: str, wide: bool, bold: bool) -> PILImage.Image:
    """A glyph as an 'L' mask, one cell wide and a line pitch tall (descenders kept)."""
    from PIL import Image, ImageDraw

    cell = Image.new("L", (24 if wide else 12, LINE_DOTS), 0)
    draw = ImageDraw.Draw(cell)
    draw.text((0, -2), ch, font=_font(22), fill=255)
    if bold:
        draw.text((1, -2), ch, font=_font(22), fill=255)
    return cell


def render_png(pages: Page | list[Page], width_chars: int = 32) -> PILImage.Image:
    """The paper as a grayscale image at printer resolution (one pixel per dot)."""
    from PIL import Image

    pages = [pages] if isinstance(pages, Page) else pages
    width = width_chars * DOTS_PER_COLUMN
    pieces: list[tuple[Image.Image, int]] = []  # (image, x within the printable area)
    for i, page in enumerate(pages):
        if i:
            pieces.append((_cut_mark(width), 0))
        for block in page.blocks:
            pieces.extend(_render_block(block, width))
        if not page.complete:
            pieces.append((_note(width, STOPPED_NOTE), 0))
    height = sum(img.height for img, _ in pieces) + 2 * MARGIN
    paper = Image.new("L", (width + 2 * MARGIN, max(height, 2 * MARGIN)), 255)
    y = MARGIN
    for img, x in pieces:
        paper.paste(img, (MARGIN + x, y))
        y += img.height
    return paper


def _x(align: int, item_width: int, width: int) -> int:
    pad = max(width - item_width, 0)
    return pad // 2 if align == 1 else pad if align == 2 else 0


def _render_block(block: Block, width: int) -> list[tuple[Any, int]]:
    from PIL import Image

    if isinstance(block, Row):
        return [(_render_row(block, width), 0)]
    if isinstance(block, FeedBlock):
        return [(Image.new("L", (width, max(block.dots, 1)), 255), 0)] if block.dots else []
    if isinstance(block, NoteBlock):
        return [(_note(width, block.text), 0)]
    if isinstance(block, QrBlock):
        img = _qr_image(block)
        if img is None:
            return [(_note(width, "QR code without valid data"), 0)]
        img = img.crop((0, 0, min(img.width, width), img.height))
        gap = Image.new("L", (width, 6), 255)
        return [(gap, 0), (img, _x(block.align, img.width, width)), (gap, 0)]
    if isinstance(block, BarcodeBlock):
        img = _barcode_image(block)
        if img is None:
            return [(_note(width, f"{block.system} barcode with invalid data"), 0)]
        img = img.crop((0, 0, min(img.width, width), img.height))
        gap = Image.new("L", (width, 6), 255)
        return [(gap, 0), (img, _x(block.align, img.width, width)), (gap, 0)]
    img = _raster_image(block)
    img = img.crop((0, 0, min(img.width, width), img.height))
    return [(img, _x(block.align, img.width, width))]


def _render_row(row: Row, width: int) -> Any:
    from PIL import Image

    height = max([c.style.scale(c.wide)[1] * 24 for c in row.runs] + [24]) + 6
    line = Image.new("L", (width, height), 255)
    x = _x(row.align, row.cols * DOTS_PER_COLUMN, width)
    for cell in row.runs:
        ch, style, wide = cell.ch, cell.style, cell.wide
        wmag, hmag = style.scale(wide)
        cw = (24 if wide else 12) * wmag
        if not cell.cols:
            continue
        mask = _glyph(ch, wide, style.bold)
        if (wmag, hmag) != (1, 1):
            mask = mask.resize((cw, LINE_DOTS * hmag))
        top = height - 6 - 24 * hmag
        if style.invert:
            line.paste(0, (x, top, x + cw, top + 24 * hmag))
            line.paste(255, (x, top), mask)
        else:
            line.paste(0, (x, top), mask)
        if style.underline:
            line.paste(0, (x, top + 24 * hmag - 1, x + cw, top + 24 * hmag + 1))
        x += cw
    return line


def _qr_image(block: QrBlock) -> Any:
    import qrcode
    from qrcode.exceptions import DataOverflowError

    if not block.data:
        return None
    ec = {
        "L": qrcode.constants.ERROR_CORRECT_L,
        "M": qrcode.constants.ERROR_CORRECT_M,
        "Q": qrcode.constants.ERROR_CORRECT_Q,
        "H": qrcode.constants.ERROR_CORRECT_H,
    }[block.ec]
    code = qrcode.QRCode(error_correction=ec, box_size=block.module, border=0)
    try:
        code.add_data(block.data)
        code.make(fit=True)
    except (DataOverflowError, ValueError):
        return None
    return code.make_image().get_image().convert("L")


# python-barcode's name for each GS k symbology it can draw (UPC-E and CODE93 it cannot).
_BARCODE_CLASSES = {
    "UPC-A": "upca", "EAN13": "ean13", "EAN8": "ean8", "CODE39": "code39", "ITF": "itf",
    "CODABAR": "codabar", "CODE128": "code128",
}  # fmt: skip


def _barcode_modules(block: BarcodeBlock) -> str | None:
    """The symbol as a string of modules ('1' bar, '0' space), or None if it cannot be drawn."""
    import barcode
    from barcode.errors import BarcodeError

    name = _BARCODE_CLASSES.get(block.system)
    if name is None:
        return None
    cls = barcode.get_barcode_class(name)
    data = block.shown
    try:
        if name == "code39":
            symbol = cls(data, add_checksum=False)  # the printer adds no check character
        elif name in ("itf", "codabar"):
            symbol = cls(data, narrow=1, wide=3)
        else:
            symbol = cls(data)
        return "".join(symbol.build())
    except (BarcodeError, ValueError, KeyError, IndexError):
        return None


def _barcode_image(block: BarcodeBlock) -> Any:
    """Bars `look.module` dots per module and `look.height` dots tall, the HRI digits above
    and/or below as GS H asks; None for a symbology or data the printer would not print."""
    from PIL import Image, ImageDraw

    modules = _barcode_modules(block)
    if modules is None:
        return None
    unit = block.look.module
    bars = Image.new("L", (len(modules) * unit, block.look.height), 255)
    draw = ImageDraw.Draw(bars)
    for i, m in enumerate(modules):
        if m == "1":
            draw.rectangle((i * unit, 0, (i + 1) * unit - 1, block.look.height - 1), fill=0)
    hri = block.look.hri
    text_h = LINE_DOTS if hri else 0
    img = Image.new("L", (bars.width, bars.height + text_h * (2 if hri == 3 else 1)), 255)
    img.paste(bars, (0, text_h if hri in (1, 3) else 0))
    label = _hri_label(block.shown)
    label_x = (img.width - label.width) // 2
    if hri in (1, 3):
        img.paste(label, (label_x, 0))
    if hri in (2, 3):
        img.paste(label, (label_x, img.height - text_h))
    return img


def _hri_label(text: str) -> Any:
    from PIL import Image

    label = Image.new("L", (max(len(text), 1) * DOTS_PER_COLUMN, LINE_DOTS), 255)
    for i, ch in enumerate(text):
        label.paste(0, (i * DOTS_PER_COLUMN, 0), _glyph(ch, False, False))
    return label


def _raster_image(block: ImageBlock) -> Any:
    from PIL import Image

    size = (block.width_bytes * 8, block.height)
    if not size[0] or not size[1]:
        return Image.new("L", (1, 1), 255)
    # ESC/POS: bit 1 = black dot; PIL mode "1": bit 1 = white.
    img = Image.frombytes("1", size, bytes(b ^ 0xFF for b in block.data)).convert("L")
    if block.mode & 1:
        img = img.resize((img.width * 2, img.height))
    if block.mode & 2:
        img = img.resize((img.width, img.height * 2))
    return img


def _note(width: int, text: str) -> Any:
    from PIL import Image, ImageDraw

    img = Image.new("L", (width, 40), 255)
    draw = ImageDraw.Draw(img)
    for x in range(0, width, 12):
        draw.line((x, 4, x + 6, 4), fill=0, width=2)
    draw.text((2, 10), text, font=_font(20), fill=96)
    return img


def _cut_mark(width: int) -> Any:
    from PIL import Image, ImageDraw

    img = Image.new("L", (width, 24), 255)
    draw = ImageDraw.Draw(img)
    for x in range(-MARGIN, width, 10):
        draw.line((x, 12, x + 5, 12), fill=128)
    return img
