"""On-screen region picker: province → city → county by taps (GB/T 2260, kiosk/regions.py).

    RegionPicker(value="", level="county")     # value: a GB/T 2260 code to start from
    RegionPicker(level="city")                 # 就医地（省市）: stop at the prefecture

    on_region_picker_changed(self, m: RegionPicker.Changed)  m.code, m.path, m.checked
    on_region_picker_done(self, m: RegionPicker.Done)        m.code, m.name ("广东省广州市天河区")
    picker.value (code) / picker.checked

The line on top says where the resident is (广东省 › 广州市 › 请选择区县); below, the
divisions of that level as big buttons, as many per page as the space holds (pages, never
a scroll); 上一级 goes back one level. A division with nothing below it (东莞市, 香港) or at
the requested level completes the choice: Done is posted and the choice stays highlighted,
so the resident can still change it.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Static

from kiosk import regions
from kiosk.i18n import t
from kiosk.regions import Level, Region
from kiosk.validation import Checked, check_region
from kiosk.widgets.checkmessage import fill_keys, in_script, language_of
from kiosk.widgets.chrome import TButton, Translatable


def _label(region: Region, language: str, short: bool = False) -> str:
    """A division as the resident reads it: 天河区 / 天河區 / Tianhe District; `short` for a
    province on a button (广西 for 广西壮族自治区), so that more fit a row."""
    if language == "en":
        return regions.short_name(region.code, "en") if short else regions.english_name(region.code)
    return in_script(regions.short_name(region.code) if short else region.name, language)


class RegionPicker(Widget, Translatable):
    SCOPED_CSS = False
    DEFAULT_CSS = """
    RegionPicker { width: 1fr; height: 1fr; min-height: 12; }
    RegionPicker .region-path { width: 1fr; height: 1; text-style: bold; padding: 0 1; }
    RegionPicker .region-options { height: 1fr; grid-rows: 2; grid-gutter: 1 1; margin: 1 0 0 0; }
    RegionPicker .region-options Button { width: 1fr; height: 2; min-width: 6; }
    RegionPicker .region-nav { height: 3; }
    RegionPicker .region-nav Button { min-width: 12; height: 3; margin: 0 1 0 0; }
    RegionPicker .region-page { width: 10; height: 3; content-align: center middle; }
    App.-elder RegionPicker .region-path { height: 2; }
    App.-elder RegionPicker .region-options { grid-rows: 3; grid-gutter: 1 2; }
    App.-elder RegionPicker .region-options Button { height: 3; text-style: bold; }
    App.-elder RegionPicker .region-nav { height: 4; }
    App.-elder RegionPicker .region-nav Button { height: 4; min-width: 14; }
    """
    # Buttons are filled blocks (no frame: kiosk/widgets/checkmessage.py fill_keys) 2 rows
    # high (3 in 长辈模式) with a 1-row gutter; as wide as the longest name of the level plus
    # padding, at most 6 a row, names over 12 hanzi cut.
    ROWS, ELDER_ROWS, PAD, ELDER_PAD, WIDEST = 2, 3, 4, 6, 24

    class Changed(Message):
        def __init__(self, picker: RegionPicker, code: str, checked: Checked) -> None:
            super().__init__()
            self.picker, self.code, self.checked = picker, code, checked
            self.path: list[Region] = regions.path(code) if code else []

        @property
        def control(self) -> RegionPicker:
            return self.picker

    class Done(Message):
        def __init__(self, picker: RegionPicker, code: str) -> None:
            super().__init__()
            self.picker, self.code, self.name = picker, code, regions.full_name(code)

        @property
        def control(self) -> RegionPicker:
            return self.picker

    def __init__(
        self,
        value: str = "",
        *,
        level: Level = "county",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.level = level
        self._open: list[Region] = []  # the divisions opened so far, province first
        self._chosen: Region | None = None  # the final choice, when made
        self._page, self._per_page, self._columns = 0, 0, 1  # set by _show from the space
        chain = regions.path(value) if value else []
        if chain and check_region(value, level=level).ok:
            self._open, self._chosen = chain[:-1], chain[-1]
        else:
            self._open = chain

    # --- state ---------------------------------------------------------------------------
    @property
    def value(self) -> str:
        if self._chosen is not None:
            return self._chosen.code
        return self._open[-1].code if self._open else ""

    @property
    def checked(self) -> Checked:
        return check_region(self.value, level=self.level)

    def _options(self) -> list[Region]:
        return regions.children(self._open[-1].code) if self._open else regions.provinces()

    def _complete(self, region: Region) -> bool:
        return regions.chosen_down_to(region.code, self.level)

    # --- view ------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static(classes="region-path")
        yield Grid(classes="region-options")
        with Horizontal(classes="region-nav"):
            yield TButton("region.up", id="region-up", classes="region-nav-key")
            yield TButton("pick.prev", id="region-prev", classes="region-nav-key")
            yield Static(classes="region-page")
            yield TButton("pick.next", id="region-next", classes="region-nav-key")

    def on_mount(self) -> None:
        for button in self.query(Button):
            button.can_focus = False

    def on_resize(self) -> None:
        self.call_after_refresh(self._fit)

    async def _fit(self) -> None:
        """As many buttons per page as the space holds: page size follows the screen."""
        await self._show()

    def _layout(self, labels: list[str]) -> tuple[int, int]:
        """(columns, rows) of buttons for these names in the space the grid has now."""
        grid = self.query_one(".region-options", Grid)
        if not grid.size.area:
            return (0, 0)
        elder = self.app.has_class("-elder")
        widest = min(self.WIDEST, max((cell_len(label) for label in labels), default=4))
        gutter = 2 if elder else 1
        cell_w = widest + (self.ELDER_PAD if elder else self.PAD) + gutter
        columns = max(2, min(6, (grid.size.width + gutter) // cell_w))
        rows = max(1, (grid.size.height + 1) // ((self.ELDER_ROWS if elder else self.ROWS) + 1))
        return (columns, rows)

    def retranslate(self) -> None:
        self.call_later(self._show)

    async def _show(self) -> None:
        options, language = self._options(), language_of(self)
        short = not self._open  # the provinces by their short names
        labels = [_label(r, language, short) for r in options]
        columns, rows = self._layout(labels)
        if not columns:  # not laid out yet: on_resize comes back
            return
        self._per_page, self._columns = columns * rows, columns
        pages = max(1, -(-len(options) // self._per_page))
        self._page = min(self._page, pages - 1)
        start = self._page * self._per_page
        grid = self.query_one(".region-options", Grid)
        grid.styles.grid_size_columns = columns
        # when a level needs fewer rows than fit (广州市's 11 districts on a large screen),
        # taller buttons: bigger targets for the same taps
        base = self.ELDER_ROWS if self.app.has_class("-elder") else self.ROWS
        needed = -(-min(len(options), self._per_page) // columns)
        height = max(base, min(base + 2, (grid.size.height + 1) // max(1, needed) - 1))
        grid.styles.grid_rows = str(height)
        await grid.remove_children()  # before mounting: the same ids may come back
        buttons = []
        for region, label in list(zip(options, labels, strict=True))[
            start : start + self._per_page
        ]:
            chosen = region == self._chosen
            button = Button(
                ("✓ " if chosen else "") + label, id=f"region-{region.code}",
                classes="region-option",
            )  # fmt: skip
            button.can_focus = False
            button.styles.height = height
            button.set_class(chosen, "-chosen")
            buttons.append(button)
        await grid.mount_all(buttons)
        chosen_id = f"region-{self._chosen.code}" if self._chosen else ""
        fill_keys(buttons, primary=chosen_id)
        self.query_one(".region-page", Static).update(f"{self._page + 1} / {pages}")
        self.query_one("#region-prev").disabled = self._page == 0
        self.query_one("#region-next").disabled = self._page >= pages - 1
        self.query_one("#region-up").disabled = not (self._open or self._chosen)
        self._show_path()

    def _show_path(self) -> None:
        language = language_of(self)
        names = [_label(r, language) for r in self._open]
        if self._chosen is not None:
            names.append(_label(self._chosen, language) + " ✓")
        else:
            options = self._options()  # a municipality's are districts at once
            level = options[0].level if options else "county"
            names.append(t(f"region.pick.{level}", language))
        self.query_one(".region-path", Static).update(" › ".join(names))

    # --- taps ------------------------------------------------------------------------------
    async def on_button_pressed(self, event: Button.Pressed) -> None:
        name = event.button.id or ""
        if not name.startswith("region-"):
            return
        event.stop()
        action = name.removeprefix("region-")
        if action in ("prev", "next"):
            self._page += 1 if action == "next" else -1
        elif action == "up":
            if self._chosen is not None:
                self._chosen = None
            elif self._open:
                self._open.pop()
                self._page = 0
            self._changed()
        else:
            region = regions.get(action)
            if region is None:
                return
            if self._complete(region):
                self._chosen = region
                self._changed()
                self.post_message(self.Done(self, region.code))
            else:
                self._open.append(region)
                self._chosen, self._page = None, 0
                self._changed()
        await self._show()

    def _changed(self) -> None:
        self.post_message(self.Changed(self, self.value, self.checked))
