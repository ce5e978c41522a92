"""What the paper looks like: parsed ESC/POS operations laid out into pages (one per cut),
rendered to plain text and to a PNG at printer resolution (12x24-dot ASCII, 24x24-dot CJK,
native QR codes drawn as real, scannable QR images, raster images as sent).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kiosk.devices.printer.parser import (
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


@dataclass
class Row:
    runs: list[tuple[str, Style]] = field(default_factory=list)
    align: int = 0


@dataclass(frozen=True)
class QrBlock:
    data: bytes
    module: int
    ec: str
    align: int


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


Block = Row | QrBlock | ImageBlock | FeedBlock | NoteBlock


@dataclass
class Page:
    """What one job put on paper, up to a cut (or up to where printing stopped)."""

    blocks: list[Block] = field(default_factory=list)
    cut: bool = False
    complete: bool = True

    @property
    def empty(self) -> bool:
        return not any(isinstance(b, (Row, QrBlock, ImageBlock)) for b in self.blocks)

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
            self._text(op.text, op.style)
        elif isinstance(op, Newline):
            self._flush(force=True, style=op.style)
        elif isinstance(op, Feed):
            self._flush()
            self.page.blocks.append(FeedBlock(op.dots))
        elif isinstance(op, Qr):
            self._flush()
            self.page.blocks.append(QrBlock(op.data, op.module, op.ec, op.style.align))
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

    def _text(self, text: str, style: Style) -> None:
        for tab_or_ch in text:
            if tab_or_ch == "\t":  # to the next tab stop (every 8 columns), as spaces
                stop = min((self._used // 8 + 1) * 8, self.width_chars)
                self._text(" " * max(stop - self._used, 1), style)
                continue
            ch = tab_or_ch
            cols = char_width(ch) * style.scale(char_width(ch) == 2)[0]
            if self._used + cols > self.width_chars and self._row.runs:
                self._flush(force=True, style=style)  # the printer wraps a full line
            if not self._row.runs:
                self._row.align = style.align
            self._row.runs.append((ch, style))
            self._used += cols

    def _flush(self, force: bool = False, style: Style | None = None) -> None:
        if self._row.runs or force:
            if not self._row.runs and style is not None:
                self._row.runs.append(("", style))  # an empty line still takes its height
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
                text = "".join(ch for ch, _ in block.runs)
                cols = sum(char_width(ch) * s.scale(char_width(ch) == 2)[0] for ch, s in block.runs)
                lines.append(_aligned(text, cols, block.align, width_chars))
            elif isinstance(block, QrBlock):
                shown = block.data.decode("utf-8", "replace")
                lines.append(_aligned(f"[QR {shown}]", len(shown) + 5, block.align, width_chars))
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
    img = _raster_image(block)
    img = img.crop((0, 0, min(img.width, width), img.height))
    return [(img, _x(block.align, img.width, width))]


def _render_row(row: Row, width: int) -> Any:
    from PIL import Image

    height = max([s.scale(char_width(c) == 2)[1] * 24 for c, s in row.runs] + [24]) + 6
    line = Image.new("L", (width, height), 255)
    cols = sum(char_width(c) * s.scale(char_width(c) == 2)[0] for c, s in row.runs)
    x = _x(row.align, cols * DOTS_PER_COLUMN, width)
    for ch, style in row.runs:
        wide = char_width(ch) == 2
        wmag, hmag = style.scale(wide)
        cw = (24 if wide else 12) * wmag
        if not ch or char_width(ch) == 0:
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
