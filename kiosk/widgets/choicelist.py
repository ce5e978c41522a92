"""Large option buttons for a select field (补换原因, 领取方式, 打印期间 …): one tap chooses.

    ChoiceList([Choice("lost", {"zh-Hans": "遗失", "en": "lost"}), …], value=None)
    ChoiceList.from_options(field["options"])   # catalog options: value, label_zh, label_en,
                                                # optional label_zh_hant
    on_choice_list_changed(self, m: ChoiceList.Changed)   m.value, m.label (in the language shown)
    choice_list.value   (None until chosen)

Up to four options a row (two in 长辈模式); the chosen one is filled (-chosen) and marked ✓,
so it does not rely on colour alone. Labels follow the resident's language.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button

from kiosk.i18n import DEFAULT_LANGUAGE
from kiosk.widgets.checkmessage import in_script, language_of
from kiosk.widgets.chrome import Translatable


@dataclass(frozen=True)
class Choice:
    value: str
    labels: Mapping[str, str]  # language → label; 简体 is the fallback

    def label(self, language: str) -> str:
        """In `language`; a missing 繁體 label is made from the 简体 one, any other from 简体."""
        own = self.labels.get(language)
        if own:
            return own
        return in_script(self.labels.get(DEFAULT_LANGUAGE) or self.value, language)


class ChoiceList(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    ChoiceList { width: 1fr; height: auto; }
    ChoiceList .choice-grid { height: auto; grid-gutter: 1 2; grid-rows: 3; }
    ChoiceList .choice-grid Button { width: 1fr; height: 3; min-width: 10; }
    App.-elder ChoiceList .choice-grid { grid-rows: 5; }
    App.-elder ChoiceList .choice-grid Button { height: 5; }
    """
    COLUMNS, ELDER_COLUMNS = 4, 2

    class Changed(Message):
        def __init__(self, choice_list: ChoiceList, value: str, label: str) -> None:
            super().__init__()
            self.choice_list, self.value, self.label = choice_list, value, label

        @property
        def control(self) -> ChoiceList:
            return self.choice_list

    def __init__(
        self,
        choices: Sequence[Choice],
        value: str | None = None,
        *,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.choices = list(choices)
        self.value = value if any(c.value == value for c in self.choices) else None

    @classmethod
    def from_options(
        cls,
        options: Sequence[Mapping[str, str]],
        value: str | None = None,
        *,
        id: str | None = None,
    ) -> ChoiceList:
        """From a catalog form field's options."""
        choices = [
            Choice(
                o["value"],
                {
                    "zh-Hans": o.get("label_zh", ""),
                    "en": o.get("label_en", ""),
                    "zh-Hant": o.get("label_zh_hant", ""),
                },
            )  # fmt: skip
            for o in options
        ]
        return cls(choices, value, id=id)

    def compose(self) -> ComposeResult:
        with Grid(classes="choice-grid"):
            for index, choice in enumerate(self.choices):
                yield Button(
                    choice.value, id=f"choice-{index}", classes="choice", name=choice.value
                )

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False
        self.retranslate()

    def retranslate(self) -> None:
        """Labels in the resident's language; columns for 长辈模式 (both switch at any time)."""
        columns = self.ELDER_COLUMNS if self.app.has_class("-elder") else self.COLUMNS
        grid = self.query_one(".choice-grid", Grid)
        grid.styles.grid_size_columns = min(columns, max(1, len(self.choices)))
        language = language_of(self)
        for button, choice in zip(self.query(".choice").results(Button), self.choices, strict=True):
            chosen = choice.value == self.value
            button.label = ("✓ " if chosen else "") + choice.label(language)
            button.set_class(chosen, "-chosen")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if not event.button.has_class("choice"):
            return
        event.stop()
        self.value = event.button.name
        self.retranslate()
        choice = next(c for c in self.choices if c.value == self.value)
        self.post_message(self.Changed(self, choice.value, choice.label(language_of(self))))
