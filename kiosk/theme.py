"""Colour themes, chosen for contrast: every text / background pair a screen draws is at
least 7:1 (WCAG AAA) and every frame at least 3:1 against what is behind it, in both themes,
focused or not (tests/test_contrast.py measures what is really drawn).

Normal: white on deep navy; filled buttons are dark blue with white text and a light frame,
or bright (green, amber, salmon) with black text. 长辈模式: white and yellow on black (21:1 and
19.6:1); buttons are black with a white frame, or yellow with black text.

Variables for app.tcss: $frame (button and input frames), $on-primary (text on a primary
button), $muted (placeholders and disabled labels, still 7:1).
"""

from textual.theme import Theme

THEMES = (
    Theme(
        name="kiosk",
        primary="#0D47A1",  # white text 8.6:1
        secondary="#0A3578",
        accent="#FFB300",  # black text 11.7:1
        warning="#FFB300",
        error="#FF8A80",  # as text on navy 7.2:1; black text on it 9.1:1
        success="#69F0AE",  # as text on the top bar 10.5:1; black text on it 14:1
        foreground="#FFFFFF",
        background="#0B1F3A",
        surface="#12305A",  # white text 13.2:1
        panel="#0D2748",
        dark=True,
        variables={
            "frame": "#90CAF9",  # 9.4:1 on the background, 4.9:1 on primary
            "primary-frame": "#90CAF9",  # a dark blue button is framed (1.9:1 fill only)
            "on-primary": "#FFFFFF",
            "muted": "#CFD8DC",
            "button-foreground": "#FFFFFF",
            "button-color-foreground": "#000000",
            "footer-background": "#0D2748",
        },
    ),
    Theme(
        name="kiosk-elder",
        primary="#FFEB3B",  # black text 19.6:1
        secondary="#FFFFFF",
        accent="#FFEB3B",
        warning="#FFEB3B",
        error="#FF8A80",
        success="#69F0AE",
        foreground="#FFFFFF",
        background="#000000",
        surface="#000000",
        panel="#1A1A1A",
        dark=True,
        variables={
            "frame": "#FFFFFF",
            "primary-frame": "#FFEB3B",  # a yellow button needs no frame on black
            "on-primary": "#000000",
            "muted": "#BDBDBD",  # 10.9:1 on black
            "button-foreground": "#FFFFFF",
            "button-color-foreground": "#000000",
            "footer-background": "#1A1A1A",
        },
    ),
)

# The stylesheet is parsed before the kiosk's theme is applied: the variables it uses need a
# value under any theme (App.get_theme_variable_defaults).
VARIABLE_DEFAULTS: dict[str, str] = dict(THEMES[0].variables)
