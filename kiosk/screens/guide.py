"""Choosing a service: by category, or by search (Chinese, full pinyin, initials such as
sbzm → 社保证明, common synonyms), one page at a time with big 上一页 / 下一页. The page size
follows the screen, so no service is hidden below the fold.

The app keeps this screen and shows it again (REUSABLE): building its buttons is what costs
(issue 7). It starts over (all services, first page, no search words) when the resident
goes, so the next one finds it ready; a tap rebuilds only a list that changes."""

from __future__ import annotations

import asyncio
import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Static

from kiosk.resident.service import Category, Language, Service
from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

log = logging.getLogger(__name__)
ROW_HEIGHT = 3  # a service button: one line of text with a border, a fingertip high
ELDER_ROW_HEIGHT = 3  # 长辈模式 cells are large: three rows are a big target


class CatalogLoaded(Message):
    def __init__(self, online: bool, changed: bool) -> None:
        super().__init__()
        self.online, self.changed = online, changed


class GuideScreen(KioskScreen):
    IDLE_FACTOR = 2.0  # reading a list takes time
    REUSABLE = True  # nothing personal on it; the search words go with the session

    def __init__(self) -> None:
        super().__init__()
        # Rebuilding a button list awaits its removal; two at once (the catalog arriving
        # while the language changes) would mount the same ids twice.
        self._rebuild = asyncio.Lock()
        self.query_text = ""
        self.category: str | None = None
        self.page = 0
        self.page_size = 6
        self.category_page = 0  # 长辈模式: categories four at a time, before the services
        self._showing = asyncio.Lock()

    @property
    def language(self) -> Language:
        return self.kiosk.language

    def compose_body(self) -> ComposeResult:
        yield TLabel("guide.title", classes="title")
        with Horizontal(id="guide-tools"):
            yield TButton("guide.search", id="guide-search", classes="tool")
            yield Static(id="guide-query")
        yield Horizontal(*self._category_buttons(), id="guide-categories")
        yield TLabel("guide.offline", id="guide-offline", classes="message")
        yield TLabel("guide.empty", id="guide-empty", classes="hint")
        # The first page is built here, not after mounting: it is in the first frame.
        first = self.matching()[: self.page_size] if not self.choosing_category() else []
        yield Vertical(*self._service_buttons(first), id="guide-list")
        with Horizontal(id="guide-pager"):
            yield TButton("guide.all_categories", id="guide-categories-back", classes="pager")
            yield TButton("guide.prev", id="guide-prev", classes="pager")
            yield Static(id="guide-page")
            yield TButton("guide.next", id="guide-next", classes="pager")

    async def on_mount(self) -> None:
        self.query_one("#guide-offline").display = False
        self.query_one("#guide-empty").display = False
        await self.show_services()  # the list is built already: the pager and the rest
        self._refresh_catalog()

    def reuse(self) -> None:
        super().reuse()
        self.query_one("#guide-offline").display = False
        self._start_over()
        self.call_after_refresh(self._refresh_catalog)  # the list first, then ask the platform

    def forget_resident(self) -> None:
        self._start_over()

    def _start_over(self) -> None:
        """All services, first page, no search words: as the next resident finds it."""
        if (self.query_text, self.category, self.page, self.category_page) == ("", None, 0, 0):
            return
        self.query_text, self.category, self.page, self.category_page = "", None, 0, 0
        if self.is_mounted:  # else on_mount shows it so
            self.run_worker(self._show_all(), group="guide-start-over")

    async def _show_all(self) -> None:
        await self.show_categories()
        await self.show_services()

    async def on_resize(self) -> None:
        await self._fit_page()

    async def _fit_page(self) -> None:
        box = self.query_one("#guide-list")
        row = ELDER_ROW_HEIGHT if self.kiosk.elder else ROW_HEIGHT
        size = max(1, box.size.height // row) if box.size.height else self.page_size
        if self.kiosk.elder:
            size = min(size, self.ELDER_PAGE)
        if size != self.page_size:
            self.page_size = size
            await self.show_services(self.page)

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalog")
    def _refresh_catalog(self) -> None:
        client = self.services.platform
        if client is None:
            self.post_message(CatalogLoaded(online=False, changed=False))
            return
        try:
            changed = self.services.catalog.refresh(client)
        except Exception as exc:  # network down or garbage: keep the cached copy
            log.warning("catalog refresh failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            self.post_message(CatalogLoaded(online=False, changed=False))
            return
        self.post_message(CatalogLoaded(online=True, changed=changed))

    async def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        self.query_one("#guide-offline").display = not message.online
        if message.changed:  # rebuilding the buttons costs a visible moment: only on change
            await self.show_categories()
            await self.show_services(self.page)

    def retranslate(self) -> None:
        # The same buttons in the new language; 长辈模式 (on or off) pages them differently.
        language = self.language
        names = {f"cat-{c.code}": c.name(language) for c in self.categories()}
        names.update(
            (f"svc-{s.code}", s.name(language)) for s in self.services.catalog.all_services()
        )
        for button in self.query(".category, .service").results(Button):
            button.label = names.get(button.id or "", button.label)
        self.run_worker(self._refit(), group="guide-retranslate", exclusive=True)

    async def _refit(self) -> None:
        await self.show_categories()
        await self.show_services(self.page)

    ELDER_PAGE = 4  # 长辈模式: at most four choices on a screen

    def choosing_category(self) -> bool:
        """长辈模式 shows categories first (four a page), then one category's services."""
        return self.kiosk.elder and self.category is None and not self.query_text

    def _category_buttons(self) -> list[Button]:
        categories = self.services.catalog.categories
        if self.kiosk.elder:
            at = self.category_page * self.ELDER_PAGE
            categories = categories[at : at + self.ELDER_PAGE] if self.choosing_category() else []
        return [
            Button(c.name(self.language), name=c.code, id=f"cat-{c.code}", classes="category")
            for c in categories
        ]

    async def show_categories(self) -> None:
        async with self._rebuild:
            bar = self.query_one("#guide-categories", Horizontal)
            buttons = self._category_buttons()
            if [b.id for b in bar.query_children(Button)] != [b.id for b in buttons]:
                await bar.remove_children()
                await bar.mount_all(buttons)
        for button in bar.query(Button):
            button.set_class(button.name == self.category, "-chosen")

    def matching(self) -> list[Service]:
        found = self.services.catalog.find(self.query_text)
        if self.category:
            found = [s for s in found if s.category == self.category]
        return found

    async def show_services(self, page: int = 0) -> None:
        """One page of services: touch screens page with big buttons, they do not scroll."""
        async with self._showing:  # one rebuild at a time (taps, resizes and refits overlap)
            await self._show_services(page)

    async def _show_services(self, page: int) -> None:
        if self.choosing_category():
            await self._show_category_page()
            return
        services = self.matching()
        if self.kiosk.elder:
            self.page_size = min(self.page_size, self.ELDER_PAGE)
        pages = max(1, -(-len(services) // self.page_size))
        self.page = min(max(page, 0), pages - 1)
        shown = services[self.page * self.page_size : (self.page + 1) * self.page_size]
        box = self.query_one("#guide-list", Vertical)
        async with self._rebuild:  # a new list only when it changes (a tap, a resize)
            if [b.name for b in box.query_children(Button)] != [s.code for s in shown]:
                await box.remove_children()
                await box.mount_all(self._service_buttons(shown))
        self.query_one("#guide-empty").display = not services
        self.query_one("#guide-page", Static).update(f"{self.page + 1} / {pages}")
        self.query_one("#guide-prev").disabled = self.page == 0
        self.query_one("#guide-next").disabled = self.page >= pages - 1
        query = self.query_one("#guide-query", Static)
        query.update(f"🔍 {self.query_text}" if self.query_text else "")
        self.query_one("#guide-categories-back").display = self.kiosk.elder
        if self.kiosk.elder:
            # The list's height changes when the categories above it come or go: fit the
            # page to it again once laid out (it settles: the size only follows the height).
            self.call_after_refresh(
                lambda: self.run_worker(self._fit_page(), group="guide-fit", exclusive=True)
            )

    def _service_buttons(self, shown: list[Service]) -> list[Button]:
        return [
            Button(s.name(self.language), name=s.code, id=f"svc-{s.code}", classes="service")
            for s in shown
        ]

    async def _show_category_page(self) -> None:
        count = len(self.services.catalog.categories)
        pages = max(1, -(-count // self.ELDER_PAGE))
        self.category_page = min(max(self.category_page, 0), pages - 1)
        await self.query_one("#guide-list", Vertical).remove_children()
        self.query_one("#guide-empty").display = False
        self.query_one("#guide-page", Static).update(f"{self.category_page + 1} / {pages}")
        self.query_one("#guide-prev").disabled = self.category_page == 0
        self.query_one("#guide-next").disabled = self.category_page >= pages - 1
        self.query_one("#guide-categories-back").display = False

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        button = event.button
        if button.id in ("guide-prev", "guide-next"):
            event.stop()
            step = 1 if button.id == "guide-next" else -1
            if self.choosing_category():
                self.category_page += step
                await self.show_categories()
                await self.show_services()
            else:
                await self.show_services(self.page + step)
            return
        elif button.id == "guide-categories-back":
            event.stop()
            self.category, self.query_text = None, ""
            await self.show_categories()
            await self.show_services()
            return
        elif button.id == "guide-search":
            self.kiosk.ask_search(self.query_text, self._searched)
        elif button.has_class("category"):
            self.category = None if self.category == button.name else button.name
            for other in self.query(".category"):
                other.set_class(other.name == self.category, "-chosen")
            event.stop()
            if self.kiosk.elder:  # the category's services take the categories' place
                await self.show_categories()
            await self.show_services()
            return
        elif button.has_class("service"):
            service = self.services.catalog.service(button.name or "")
            if service is not None:
                self.kiosk.show_service_guide(service)
        else:
            return
        event.stop()

    async def _searched(self, text: str | None) -> None:
        if text is None:
            return
        self.query_text, self.category = text.strip(), None
        for other in self.query(".category"):
            other.set_class(False, "-chosen")
        await self.show_services()

    def categories(self) -> list[Category]:
        return self.services.catalog.categories
