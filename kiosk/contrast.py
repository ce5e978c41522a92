"""WCAG 2.x contrast of what a screen really draws, from Rich segments (the compositor's
strips). Headless: it reads colours, it imports no Textual.

Text glyphs need 7:1 (WCAG AAA, the kiosk's goal in both themes); frames and fills drawn with
box-drawing or block characters are "non-text" and need 3:1 (WCAG 1.4.11), so an unselected
option's frame is visible against the screen behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rich.color import Color
from rich.segment import Segment

TEXT_RATIO = 7.0
NON_TEXT_RATIO = 3.0
RGB = tuple[int, int, int]


def luminance(rgb: RGB) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a: RGB, b: RGB) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def hex_ratio(a: str, b: str) -> float:
    return ratio(_rgb(Color.parse(a)), _rgb(Color.parse(b)))


def _rgb(color: Color | None, default: RGB = (0, 0, 0)) -> RGB:
    if color is None or color.is_default:
        return default
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def is_frame_glyph(char: str) -> bool:
    """Box drawing, block elements and the eighth blocks Textual draws borders with."""
    return "\u2500" <= char <= "\u259f" or "\U0001fb00" <= char <= "\U0001fbff"


@dataclass(frozen=True)
class Pair:
    fg: RGB
    bg: RGB
    text: str  # what was drawn in these colours (for the failure message)
    frame: bool  # drawn with frame/block glyphs, not letters
    row: int

    @property
    def ratio(self) -> float:
        return ratio(self.fg, self.bg)

    @property
    def needed(self) -> float:
        return NON_TEXT_RATIO if self.frame else TEXT_RATIO


def drawn_pairs(lines: Iterable[Iterable[Segment]], default_bg: RGB = (0, 0, 0)) -> list[Pair]:
    """Every (foreground, background) pair that draws a visible glyph, one per distinct
    pair and kind (text or frame), with the text it drew."""
    seen: dict[tuple[RGB, RGB, bool], Pair] = {}
    for row, line in enumerate(lines):
        for segment in line:
            if segment.control or not segment.text.strip():
                continue
            style = segment.style
            fg = _rgb(style.color if style else None, (255, 255, 255))
            bg = _rgb(style.bgcolor if style else None, default_bg)
            if style is not None and style.reverse:
                fg, bg = bg, fg
            for frame in (False, True):
                glyphs = "".join(
                    c for c in segment.text if not c.isspace() and is_frame_glyph(c) == frame
                )
                if not glyphs or frame and ratio(fg, bg) < 1.05:
                    continue  # a frame the colour of its fill (give or take rounding): a fill
                key = (fg, bg, frame)
                if key not in seen:
                    seen[key] = Pair(fg, bg, glyphs, frame, row)
    return list(seen.values())


def failing(pairs: Iterable[Pair]) -> list[Pair]:
    return [p for p in pairs if p.ratio < p.needed]
