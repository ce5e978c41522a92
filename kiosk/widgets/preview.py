"""A camera frame drawn in half-block cells (two pixels per cell, true colour), for the
technician's diagnostics screen."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text


def frame_to_text(image: Any, columns: int, rows: int) -> Text:
    """Downscale a BGR frame to columns x (2*rows) pixels and draw it with '▀'."""
    import cv2  # loaded already by the camera adapter; not on the startup path

    small = cv2.resize(image, (columns, rows * 2), interpolation=cv2.INTER_AREA)
    text = Text()
    for y in range(rows):
        top, bottom = small[2 * y], small[2 * y + 1]
        for x in range(columns):
            b1, g1, r1 = (int(v) for v in top[x])
            b2, g2, r2 = (int(v) for v in bottom[x])
            text.append("▀", Style(color=f"rgb({r1},{g1},{b1})", bgcolor=f"rgb({r2},{g2},{b2})"))
        if y < rows - 1:
            text.append("\n")
    return text
