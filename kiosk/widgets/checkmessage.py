"""What the on-screen inputs share: the live check line under an input, the language of the
app they are in (the kiosk app, or a bare host in tests), 简体 data shown in 繁體, and keys
drawn as filled blocks."""

from __future__ import annotations

from collections.abc import Iterable

from textual.dom import DOMNode
from textual.widgets import Button, Static

from kiosk.i18n import DEFAULT_LANGUAGE, t
from kiosk.validation import Checked, Problem
from kiosk.widgets.chrome import Translatable


def in_script(text: str, language: str) -> str:
    """Data kept in 简体 (place names, a catalog label without its 繁體) as a resident reading
    繁體 expects it, through OpenCC in the terminal's variant; unchanged otherwise."""
    if language != "zh-Hant" or not text:
        return text
    from kiosk.hant import to_hant
    from kiosk.i18n import variant

    return to_hant(text, variant())


def fill_keys(keys: Iterable[Button], primary: str = "") -> None:
    """Keys as filled blocks in the theme's frame colour (the `primary` one in the primary
    colour, a disabled one as the stylesheet draws it: a muted label, no block), set on the
    keys themselves so the app stylesheet's frames do not apply: a framed key needs three
    rows, more than a small or 长辈模式 screen has for a pad or a keyboard (the frame would
    hide the label), and a fill as bright as a frame marks the target as clearly (>= 3:1).
    Call again after the theme changes (retranslate) or a key is enabled or disabled."""
    colours: dict[str, str] = {}
    for key in keys:
        colours = colours or key.app.get_css_variables()  # the theme now, not a cached one
        fill = colours.get("frame", "#FFFFFF")
        key.styles.border = ("none", fill)
        if key.disabled:
            key.styles.background = colours.get("background", "#000000")
            key.styles.color = colours.get("muted", "#AAAAAA")
        elif key.id and key.id == primary:
            key.styles.background = colours.get("primary", "#0D47A1")
            key.styles.color = colours.get("on-primary", "#FFFFFF")
        else:
            key.styles.background, key.styles.color = fill, "#000000"


def language_of(node: DOMNode) -> str:
    language = getattr(node.app, "language", DEFAULT_LANGUAGE)
    return language if isinstance(language, str) else DEFAULT_LANGUAGE


class CheckMessage(Static, Translatable):
    """One line saying what to fix: a hint (-hint) while something is only missing, an error
    (-error) when it is wrong or when the resident tried to go on, nothing once it is right.
    Re-rendered in the new language when the resident switches."""

    DEFAULT_CSS = """
    CheckMessage { width: 1fr; height: auto; min-height: 1; padding: 0 1; }
    CheckMessage.-hint { color: $foreground; }
    CheckMessage.-error { background: $error; color: #FFFFFF; text-style: bold; }
    CheckMessage.-ok { color: $success; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        self.i18n_key, self.i18n_values = "", {}
        self.problem: Problem | None = None
        self.ok_key = ""
        super().__init__("", id=id, classes=classes)

    def show(self, checked: Checked | None, *, insist: bool = False, ok_key: str = "") -> None:
        """Show the check of the value; `insist` turns a hint into an error (the resident
        tapped 确定 with something still missing). `ok_key` is said once the value is right."""
        self.problem = None if checked is None else checked.problem
        self.ok_key = ok_key if checked is not None and checked.ok else ""
        wrong = self.problem is not None and (insist or not self.problem.incomplete)
        self.set_class(wrong, "-error")
        self.set_class(self.problem is not None and not wrong, "-hint")
        self.set_class(bool(self.ok_key), "-ok")
        self.retranslate()

    def text_for(self, language: str) -> str:
        if self.problem is not None:
            return self.problem.text(language)
        if self.ok_key:
            return t(self.ok_key, language)
        return ""

    def retranslate(self) -> None:
        self.update(self.text_for(language_of(self)))
