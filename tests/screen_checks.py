"""What a screen really draws, read from the compositor (the same strips the terminal gets):
contrast of every colour pair, the text, the choices. Shared by the per-screen checks."""

from __future__ import annotations

from typing import Any

from kiosk.contrast import Pair, drawn_pairs, failing
from kiosk.hant import Variant


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


def _shown(widget: Any) -> bool:
    node = widget
    while node is not None and hasattr(node, "display"):
        if not node.display or not node.visible:
            return False
        node = node.parent
    return True


def choices(app: Any, within: str = "#body") -> list[Any]:
    """The things a resident can tap in one part of the screen: enabled buttons and list
    items that are shown (pager buttons are navigation, counted apart by the caller)."""
    from textual.widgets import Button, ListItem

    roots = app.screen.query(within)
    if not roots:
        return [] if within != "#body" else choices(app, "*")  # a modal: its whole screen
    root = roots.first() if within != "*" else app.screen
    found = [w for w in root.query("*") if isinstance(w, Button | ListItem)]
    return [w for w in found if _shown(w) and not w.disabled]


# The kiosk's panel: 1920×1080, whatever grid the terminal lays on it (64×20 large cells in
# 长辈模式, so a cell is 30×54 px there).
PANEL_PX = (1920, 1080)


def small_targets(app: Any, minimum_px: float) -> list[str]:
    """Every shown, enabled button or list item on the screen (the bars included) narrower or
    lower than `minimum_px` on the panel, with its size in px."""
    columns, rows = app.size
    cell_w, cell_h = PANEL_PX[0] / columns, PANEL_PX[1] / rows
    small = []
    for widget in choices(app, "*"):
        width, height = widget.region.width * cell_w, widget.region.height * cell_h
        if widget.region.area and min(width, height) < minimum_px:
            small.append(f"{widget.id or widget!r} {width:.0f}×{height:.0f} px")
    return small


def hidden_below_the_fold(app: Any) -> list[str]:
    """Widgets a resident would have to scroll to (or that the screen cuts off): anything
    scrollable with content beyond its viewport, and any shown leaf widget not fully inside
    what the compositor draws."""
    from textual.widgets import Button, Input, ListItem, Static

    problems = []
    visible = app.screen._compositor.visible_widgets
    width, height = app.size
    for widget in app.screen.query("*"):
        if not _shown(widget):
            continue
        if widget.is_scrollable and (widget.max_scroll_y > 0 or widget.max_scroll_x > 0):
            problems.append(f"{widget!r} scrolls ({widget.max_scroll_x}, {widget.max_scroll_y})")
        if not isinstance(widget, Button | Input | ListItem | Static):
            continue
        if widget.size.area == 0:
            continue  # an empty line holds nothing
        if widget not in visible:
            problems.append(f"{widget!r} not drawn")
            continue
        region, clip = visible[widget]
        inside = region.intersection(clip)
        if inside != region or region.right > width or region.bottom > height:
            problems.append(f"{widget!r} cut: {region} shown {inside}")
    return problems


HAN = "[\u3400-\u9fff\uf900-\ufaff]"


def han_characters(text: str, allowed: tuple[str, ...] = ()) -> set[str]:
    """Han characters in `text` outside the `allowed` strings (names from card or platform)."""
    import re

    for name in allowed:
        text = text.replace(name, "")
    return set(re.findall(HAN, text))


def unconverted(text: str, variant: Variant, allowed: tuple[str, ...] = ()) -> list[str]:
    """Characters OpenCC would still turn into 繁體 (outside `allowed` names)."""
    from kiosk.hant import needs_conversion

    for name in allowed:
        text = text.replace(name, "")
    found: set[str] = set()
    for line in text.splitlines():
        found.update(needs_conversion(line, variant))
    return sorted(found)
