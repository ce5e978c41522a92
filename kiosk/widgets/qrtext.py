"""A QR code drawn in text cells (two modules per cell with '▀'), black on white with its
quiet zone, big enough for a phone to scan off the kiosk's screen."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text


def qr_text(data: str) -> Text:
    import qrcode

    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()  # True = dark module, border included
    if len(matrix) % 2:
        matrix.append([False] * len(matrix[0]))
    text = Text()
    for y in range(0, len(matrix), 2):
        for top, bottom in zip(matrix[y], matrix[y + 1], strict=True):
            fg = "black" if top else "white"
            bg = "black" if bottom else "white"
            text.append("▀", Style(color=fg, bgcolor=bg))
        if y + 2 < len(matrix):
            text.append("\n")
    return text
