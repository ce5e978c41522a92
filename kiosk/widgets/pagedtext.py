"""Text shown a page at a time, with big 上一页 / 下一页 instead of a scrollbar: a touch screen
pages, it does not scroll, and nothing a resident needs is ever below the fold. The page
follows the widget's height, so the same guide pages differently at 120×40 and in 长辈模式."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Button, Static

from kiosk.widgets.chrome import TButton


class PagedText(Vertical):
    DEFAULT_CSS = """
    PagedText { height: 1fr; }
    PagedText .paged-body { height: 1fr; }
    PagedText .paged-pager { height: 3; align-horizontal: center; }
    PagedText .paged-pager Button { min-width: 16; height: 3; }
    PagedText .paged-page { width: 12; height: 3; content-align: center middle; }
    """

    def __init__(self, *, id: str | None = None, body_id: str | None = None) -> None:
        super().__init__(id=id)
        self._body_id = body_id
        self._text = Text()
        self.page = 0
        self.pages = 1

    def compose(self) -> ComposeResult:
        yield Static(classes="paged-body", id=self._body_id)
        with Horizontal(classes="paged-pager"):
            yield TButton("guide.prev", classes="pager paged-prev")
            yield Static(classes="paged-page")
            yield TButton("guide.next", classes="pager paged-next")

    def show(self, text: Text, page: int = 0) -> None:
        self._text, self.page = text, page
        self._render_page()

    def on_resize(self) -> None:
        self._render_page()

    def _lines(self, width: int) -> list[Text]:
        return list(self._text.wrap(self.app.console, max(width, 10)))

    def _render_page(self) -> None:
        body = self.query_one(".paged-body", Static)
        width = body.content_size.width or self.content_size.width or 60
        lines = self._lines(width)
        pager = self.query_one(".paged-pager")
        fits_whole = len(lines) <= max(self.content_size.height, 1)
        pager.display = not fits_whole
        rows = max(self.content_size.height - (0 if fits_whole else 3), 1)
        self.pages = max(1, -(-len(lines) // rows))
        self.page = min(max(self.page, 0), self.pages - 1)
        shown = lines[self.page * rows : (self.page + 1) * rows]
        body.update(Content.from_rich_text(Text("\n").join(shown)))
        self.query_one(".paged-page", Static).update(f"{self.page + 1} / {self.pages}")
        self.query_one(".paged-prev", Button).disabled = self.page == 0
        self.query_one(".paged-next", Button).disabled = self.page >= self.pages - 1

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("paged-prev") or event.button.has_class("paged-next"):
            event.stop()
            self.page += 1 if event.button.has_class("paged-next") else -1
            self._render_page()
