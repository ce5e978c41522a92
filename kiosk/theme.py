"""Colour themes. 长辈模式 uses white and yellow on black (contrast 21:1 and 19.6:1, well
over the 7:1 we aim for); the normal theme keeps body text at least 7:1 too."""

from textual.theme import Theme

THEMES = (
    Theme(
        name="kiosk",
        primary="#1565C0",
        secondary="#0D47A1",
        accent="#FFB300",
        warning="#FFB300",
        error="#C62828",
        success="#2E7D32",
        foreground="#FFFFFF",
        background="#0B1F3A",
        surface="#12305A",
        panel="#0D2748",
        dark=True,
    ),
    Theme(
        name="kiosk-elder",
        primary="#FFEB3B",
        secondary="#FFFFFF",
        accent="#FFEB3B",
        warning="#FFEB3B",
        error="#FF5252",
        success="#69F0AE",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#1A1A1A",
        dark=True,
    ),
)
