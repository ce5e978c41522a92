"""Journey step: find a service by category or by pinyin initials (sbzm → 社保证明)."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, ListItem, ListView, Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TButton, TLabel

log = logging.getLogger(__name__)
PAGE_SIZE = 8


class CatalogLoaded(Message):
    def __init__(self, online: bool, changed: bool) -> None:
        super().__init__()
        self.online, self.changed = online, changed


def service_name(service: dict, language: str) -> str:
    return service.get("name_en" if language == "en" else "name_zh") or service.get("name_zh", "")


class GuideScreen(KioskScreen):
    IDLE_FACTOR = 2.0  # reading a list takes time

    def compose_body(self) -> ComposeResult:
        yield TLabel("guide.title", classes="title")
        yield Input(id="guide-search", placeholder="")
        # Built in compose from the cached catalog: one layout pass, no flash of empty lists.
        yield Horizontal(*self._category_buttons(), id="guide-categories")
        yield TLabel("guide.offline", id="guide-offline", classes="message")
        yield TLabel("guide.empty", id="guide-empty", classes="hint")
        self._shown, self._page = self.store.services, 0
        yield ListView(*self._service_items(self._shown[:PAGE_SIZE]), id="guide-list")
        with Horizontal(id="guide-pager"):
            yield TButton("guide.prev", id="guide-prev", classes="pager")
            yield Static(id="guide-page")
            yield TButton("guide.next", id="guide-next", classes="pager")

    def on_mount(self) -> None:
        self.query_one("#guide-offline").display = False
        self.query_one("#guide-empty").display = False
        self.query_one("#guide-search", Input).placeholder = self.app.t("guide.search")  # type: ignore[attr-defined]
        self._show_page_controls()
        self._refresh_catalog()

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.services.catalog  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalog")
    def _refresh_catalog(self) -> None:
        client = self.app.services.platform  # type: ignore[attr-defined]
        if client is None:
            self.post_message(CatalogLoaded(online=False, changed=False))
            return
        try:
            changed = self.store.refresh(client)
        except Exception as exc:  # network down or garbage: keep the cached copy
            log.warning("catalog refresh failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            self.post_message(CatalogLoaded(online=False, changed=False))
            return
        self.post_message(CatalogLoaded(online=True, changed=changed))

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        self.query_one("#guide-offline").display = not message.online
        if message.changed:  # rebuilding ~40 list items costs a visible moment: only on change
            self.show_categories()
            self.show_services()

    def retranslate(self) -> None:
        self.query_one("#guide-search", Input).placeholder = self.app.t("guide.search")  # type: ignore[attr-defined]
        self.show_categories()
        self.show_services(self._shown, self._page)

    def _category_buttons(self) -> list[Button]:
        english = self.app.language == "en"  # type: ignore[attr-defined]
        categories = (self.store._catalog or {}).get("categories", [])
        return [
            Button(c["name_en" if english else "name_zh"], name=c["code"], classes="category")
            for c in categories
        ]

    def _service_items(self, services: list[dict]) -> list[ListItem]:
        language = self.app.language  # type: ignore[attr-defined]
        return [ListItem(Static(service_name(s, language)), name=s["code"]) for s in services]

    def show_categories(self) -> None:
        bar = self.query_one("#guide-categories", Horizontal)
        bar.remove_children()
        bar.mount_all(self._category_buttons())

    def show_services(self, services: list[dict] | None = None, page: int = 0) -> None:
        """Show one page of services: touch screens page with big buttons, they do not scroll."""
        if services is None:
            services = self.store.search(self.query_one("#guide-search", Input).value)
        pages = max(1, -(-len(services) // PAGE_SIZE))
        self._shown, self._page = services, min(max(page, 0), pages - 1)
        page = self._page
        view = self.query_one("#guide-list", ListView)
        view.clear()
        view.extend(self._service_items(services[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]))
        self._show_page_controls()

    def _show_page_controls(self) -> None:
        pages = max(1, -(-len(self._shown) // PAGE_SIZE))
        self.query_one("#guide-empty").display = not self._shown
        self.query_one("#guide-page", Static).update(f"{self._page + 1} / {pages}")
        self.query_one("#guide-prev").disabled = self._page == 0
        self.query_one("#guide-next").disabled = self._page >= pages - 1

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_services()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("guide-prev", "guide-next"):
            event.stop()
            step = 1 if event.button.id == "guide-next" else -1
            self.show_services(self._shown, self._page + step)
        elif event.button.has_class("category"):
            event.stop()
            code = event.button.name
            self.show_services([s for s in self.store.services if s.get("category") == code])

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        from kiosk.screens.service_guide import ServiceGuideScreen

        service = self.store.get(event.item.name or "")
        if service is not None:
            self.app.push_screen(ServiceGuideScreen(service))
