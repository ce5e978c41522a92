"""Large CJK text drawn with half-block characters, for 长辈模式 headings.

A terminal cannot change its font size per widget, so the heading is rasterised with Pillow
from a CJK font and drawn as "▀▄█" cells (two square pixels per cell). When no CJK font is
installed or the text does not fit the width, it falls back to ordinary bold text.
"""

from __future__ import annotations

from functools import lru_cache
from math import ceil, floor
from pathlib import Path

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
_CELLS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def font_path() -> Path | None:
    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return Path(candidate)
    return None


SUPERSAMPLE = 4  # draw 4x larger, then average down: strokes stay whole at 14-20 px
THRESHOLD = 96  # of 255 after averaging; lower than half keeps thin strokes visible


@lru_cache(maxsize=128)
def rasterise(text: str, pixel_height: int) -> tuple[str, ...]:
    """Lines of half-block characters showing `text` about `pixel_height` pixels tall."""
    from PIL import Image, ImageDraw, ImageFont  # only needed in 长辈模式

    path = font_path()
    if path is None:
        return ()
    font = ImageFont.truetype(str(path), pixel_height * SUPERSAMPLE)
    box = font.getbbox(text)
    left, top, right, bottom = floor(box[0]), floor(box[1]), ceil(box[2]), ceil(box[3])
    big = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(big).text((-left, -top), text, font=font, fill=255)
    width = max(1, round(big.width / SUPERSAMPLE))
    height = max(2, round(big.height / SUPERSAMPLE))
    height += height % 2
    pixels = big.resize((width, height), Image.Resampling.BOX).tobytes()  # one byte a pixel
    lines = []
    for y in range(0, height, 2):
        upper, lower = y * width, (y + 1) * width
        cells = (
            _CELLS[pixels[upper + x] > THRESHOLD, pixels[lower + x] > THRESHOLD]
            for x in range(width)
        )
        lines.append("".join(cells).rstrip())
    return tuple(lines)


class BigText(Widget):
    """A heading that grows to fill its width, down to MIN_PIXELS, else plain text."""

    DEFAULT_CSS = "BigText { height: auto; width: 1fr; }"
    MAX_PIXELS = 18
    MIN_PIXELS = 10

    def __init__(
        self, text: str = "", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text

    @property
    def text(self) -> str:
        return self._text

    def update(self, text: str) -> None:
        self._text = text
        self.refresh(layout=True)

    def _lines(self, width: int) -> tuple[str, ...]:
        for pixels in range(self.MAX_PIXELS, self.MIN_PIXELS - 1, -2):
            lines = rasterise(self._text, pixels)
            if lines and max(len(line) for line in lines) <= width:
                return lines
        return ()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width)) or 1

    def render(self) -> Text:
        lines = self._lines(self.size.width)
        if not lines:  # too narrow for half-blocks (e.g. 长辈模式's large cells): plain, centred
            return Text(self._text, style="bold", justify="center")
        return Text("\n".join(lines), justify="center")
