"""Journey step: find a service by category or by pinyin initials (sbzm → 社保证明)."""

from __future__ import annotations

import logging

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, ListItem, ListView, Static

from kiosk.screens.base import KioskScreen
from kiosk.widgets.chrome import TLabel

log = logging.getLogger(__name__)


class CatalogLoaded(Message):
    def __init__(self, online: bool) -> None:
        super().__init__()
        self.online = online


def service_name(service: dict, language: str) -> str:
    return service.get("name_en" if language == "en" else "name_zh") or service.get("name_zh", "")


class GuideScreen(KioskScreen):
    IDLE_FACTOR = 2.0  # reading a list takes time

    def compose_body(self) -> ComposeResult:
        yield TLabel("guide.title", classes="title")
        yield Input(id="guide-search", placeholder="")
        yield Horizontal(id="guide-categories")
        yield TLabel("guide.offline", id="guide-offline", classes="message")
        yield TLabel("guide.empty", id="guide-empty", classes="hint")
        yield ListView(id="guide-list")

    def on_mount(self) -> None:
        self.query_one("#guide-offline").display = False
        self.query_one("#guide-empty").display = False
        self.retranslate()
        self.show_services()
        self._refresh_catalog()

    @property
    def store(self):  # type: ignore[no-untyped-def]
        return self.app.services.catalog  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, exit_on_error=False, group="catalog")
    def _refresh_catalog(self) -> None:
        client = self.app.services.platform  # type: ignore[attr-defined]
        try:
            online = client is not None and self.store.refresh(client)
        except Exception as exc:  # network down or garbage: keep the cached copy
            log.warning("catalog refresh failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            online = False
        self.post_message(CatalogLoaded(online))

    def on_catalog_loaded(self, message: CatalogLoaded) -> None:
        self.query_one("#guide-offline").display = not message.online
        self.show_categories()
        self.show_services()

    def retranslate(self) -> None:
        self.query_one("#guide-search", Input).placeholder = self.app.t("guide.search")  # type: ignore[attr-defined]
        self.show_categories()
        self.show_services()

    def show_categories(self) -> None:
        bar = self.query_one("#guide-categories", Horizontal)
        bar.remove_children()
        english = self.app.language == "en"  # type: ignore[attr-defined]
        catalog = self.store._catalog or {}
        bar.mount_all(
            Button(c["name_en" if english else "name_zh"], name=c["code"], classes="category")
            for c in catalog.get("categories", [])
        )

    def show_services(self, services: list[dict] | None = None) -> None:
        if services is None:
            services = self.store.search(self.query_one("#guide-search", Input).value)
        view = self.query_one("#guide-list", ListView)
        view.clear()
        language = self.app.language  # type: ignore[attr-defined]
        view.extend(ListItem(Static(service_name(s, language)), name=s["code"]) for s in services)
        self.query_one("#guide-empty").display = not services

    def on_input_changed(self, event: Input.Changed) -> None:
        self.show_services()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("category"):
            event.stop()
            code = event.button.name
            self.show_services([s for s in self.store.services if s.get("category") == code])

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        from kiosk.screens.service_guide import ServiceGuideScreen

        service = self.store.get(event.item.name or "")
        if service is not None:
            self.app.push_screen(ServiceGuideScreen(service))
