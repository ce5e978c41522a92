"""The service catalog as the terminal keeps it: refreshed from the platform by ETag, cached
on disk for offline days, searchable by name, keyword or pinyin initials (sbzm → 社保证明)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from kiosk.resident.service import Category, Service

log = logging.getLogger(__name__)
# The catalog shipped with the terminal: the fallback on a first start with no network.
SHIPPED = Path(__file__).parent / "platform" / "data" / "catalog.json"


class CatalogStore:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "catalog.json"
        self._lock = threading.Lock()
        self._catalog: dict[str, Any] | None = None
        self._etag: str | None = None
        self.fresh = False  # True once the platform confirmed this copy in this run
        self._typed: list[Service] = []
        self._typed_for = 0
        self._load_cache()

    def _load_cache(self) -> None:
        try:
            cached = json.loads(self.path.read_text(encoding="utf-8"))
            self._catalog, self._etag = cached["catalog"], cached.get("etag")
        except FileNotFoundError:
            self._load_shipped()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("catalog cache unreadable, ignoring it", extra={"error": str(exc)})
            self._load_shipped()

    def _load_shipped(self) -> None:
        try:
            self._catalog = json.loads(SHIPPED.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.error("shipped catalog unreadable", extra={"error": str(exc)})

    def refresh(self, client: Any) -> bool:
        """Ask the platform for a newer catalog (blocking; call from a worker).

        Returns True when the catalog changed, False when the platform said "not modified";
        raises when the platform cannot be reached (the cached copy stays)."""
        catalog, etag = client.catalog(self._etag)
        with self._lock:
            if catalog is not None:
                self._catalog, self._etag = catalog, etag
                tmp = self.path.with_suffix(".tmp")
                self.path.parent.mkdir(parents=True, exist_ok=True)
                tmp.write_text(
                    json.dumps({"etag": etag, "catalog": catalog}, ensure_ascii=False),
                    encoding="utf-8",
                )
                os.replace(tmp, self.path)
            self.fresh = True
        return catalog is not None

    @property
    def catalog(self) -> dict[str, Any]:
        return self._catalog or {}

    @property
    def categories(self) -> list[Category]:
        return [Category.from_json(c) for c in self.catalog.get("categories", [])]

    def all_services(self) -> list[Service]:
        with self._lock:
            version = id(self._catalog)
            if self._typed_for != version:  # parse once per catalog, not per tap
                self._typed = [Service.from_json(s) for s in self.services]
                self._typed_for = version
            return list(self._typed)

    def service(self, code: str) -> Service | None:
        return next((s for s in self.all_services() if s.code == code), None)

    def find(self, query: str) -> list[Service]:
        """Services for a resident's search words (all of them for an empty query): Chinese,
        full pinyin, initials, everyday words (kiosk.search), best first."""
        if not query.strip():
            return self.all_services()
        from kiosk.search import CatalogSearch

        index = CatalogSearch(self.services, self.catalog.get("categories", []))
        codes = [s.get("code") for s in index.services(query)]
        by_code = {s.code: s for s in self.all_services()}
        return [by_code[c] for c in codes if c in by_code]

    @property
    def services(self) -> list[dict[str, Any]]:
        return list((self._catalog or {}).get("services", []))

    def get(self, code: str) -> dict[str, Any] | None:
        return next((s for s in self.services if s.get("code") == code), None)

    def search(self, query: str) -> list[dict[str, Any]]:
        """Services matching a query: Chinese or English name, keyword, or pinyin initials."""
        q = query.strip().lower()
        if not q:
            return self.services
        hits = []
        for service in self.services:
            names = [service.get("name_zh", ""), service.get("name_en", "").lower()]
            names += service.get("keywords", [])
            initials = service.get("pinyin_initials", [])
            if any(q in n for n in names) or any(i.startswith(q) or q in i for i in initials):
                hits.append(service)
        return hits
