"""What a screen really draws, read from the compositor (the same strips the terminal gets):
contrast of every colour pair, the text, the choices. Shared by the per-screen checks."""

from __future__ import annotations

from typing import Any

from kiosk.contrast import Pair, drawn_pairs, failing


def strips(app: Any) -> list[Any]:
    return list(app.screen._compositor.render_strips())


def screen_text(app: Any) -> str:
    return "\n".join(strip.text for strip in strips(app))


def contrast_failures(app: Any) -> list[Pair]:
    background = app.current_theme.background or "#000000"
    from rich.color import Color

    triplet = Color.parse(background).get_truecolor()
    return failing(drawn_pairs(strips(app), (triplet.red, triplet.green, triplet.blue)))


def describe(pairs: list[Pair]) -> str:
    return "; ".join(
        f"{p.ratio:.2f}:1 (needs {p.needed:g}) #{p.fg[0]:02x}{p.fg[1]:02x}{p.fg[2]:02x} on "
        f"#{p.bg[0]:02x}{p.bg[1]:02x}{p.bg[2]:02x} row {p.row} {p.text[:20]!r}"
        for p in pairs
    )
