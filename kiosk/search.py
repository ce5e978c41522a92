"""Catalog search as residents type it (headless): Chinese text, full pinyin, initials, a mix,
English, and everyday words for what the catalog names formally.

    index = CatalogSearch(services, categories)     # the catalog's lists of dicts
    index.search("补办社保卡") -> [Hit(code="SB002", score=…, why="synonym"), …]  best first
    index.services("sbzm")     -> the service dicts, best first (a drop-in for
                                  CatalogStore.search: every service it finds is found here)

What matches (the best way a service matches decides its place; ties keep catalog order):
- the Chinese name, then keywords, then the category name, as text (社保证明, 养老认证);
- pinyin spelling consecutive syllables of those, each syllable by a prefix of one of its
  readings: full pinyin (shebao, yanglao), initials (sbzm, ylrz) or a mix (shebaozm);
  heteronyms are all tried (银行 yinhang, 重庆 chongqing);
- the catalog's own pinyin_initials (as CatalogStore.search did);
- English names by word (renewal, passport);
- everyday words (kiosk/search_synonyms.toml: 补办 → 补换/补领/换领, 社保卡 → 社会保障卡):
  a query is cut into such words and the rest, and a service matches when every part is
  found, as itself or as one of its catalog words (补办社保卡 → 社会保障卡补换领).
Full-width letters and blanks are normalised (ｓｂｚｍ, "sb zm").
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from kiosk import pinyin

_SYNONYMS = Path(__file__).with_name("search_synonyms.toml")
# Words that say nothing about which service: dropped from a query cut into parts.
_FILLER = (
    "我要",
    "我想",
    "想要",
    "怎么",
    "如何",
    "办理",
    "在哪",
    "哪里",
    "请问",
    "一下",
    "可以",
    "的",
    "了",
    "吗",
    "去",
    "办",
    "要",
)


@cache
def synonyms() -> dict[str, tuple[str, ...]]:
    with open(_SYNONYMS, "rb") as f:
        table: dict[str, list[str]] = tomllib.load(f)
    return {term: tuple(words) for term, words in table.items()}


@dataclass(frozen=True)
class Hit:
    code: str
    score: int
    why: str  # name / keyword / category / pinyin / initials / english / synonym


@dataclass(frozen=True)
class _Entry:
    code: str
    order: int
    name: str
    keywords: tuple[str, ...]
    category: str
    english: str
    initials: tuple[str, ...]
    spelled: tuple[tuple[tuple[str, ...], ...], ...]  # name, keywords…, category

    @property
    def text(self) -> str:
        return " ".join((self.name, *self.keywords, self.category))


def normalise(query: str) -> str:
    """NFKC (full-width letters and digits to ASCII), lower case, no blanks."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", query)).lower()


def _fold(text: str) -> str:
    """Catalog text as queries are compared with it: NFKC (（ → (), lower case."""
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=4096)  # an index is built per search; the catalog's texts repeat
def _spelled(text: str) -> tuple[tuple[str, ...], ...]:
    return tuple(pinyin.spell(text))


def _has_hanzi(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


class CatalogSearch:
    def __init__(
        self,
        services: Sequence[Mapping[str, Any]],
        categories: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        names = {str(c.get("code")): str(c.get("name_zh", "")) for c in categories}
        self._services = list(services)
        self._entries = []
        for order, s in enumerate(self._services):
            keywords = tuple(_fold(str(k)) for k in s.get("keywords", []))
            category = _fold(names.get(str(s.get("category")), ""))
            texts = (_fold(str(s.get("name_zh", ""))), *keywords, category)
            self._entries.append(
                _Entry(
                    code=str(s.get("code")),
                    order=order,
                    name=texts[0],
                    keywords=keywords,
                    category=category,
                    english=str(s.get("name_en", "")).lower(),
                    initials=tuple(str(i).lower() for i in s.get("pinyin_initials", [])),
                    spelled=tuple(_spelled(t) for t in texts if t),
                )
            )

    def services(self, query: str) -> list[dict[str, Any]]:
        by_code = {str(s.get("code")): s for s in self._services}
        if not normalise(query):
            return [dict(s) for s in self._services]
        return [dict(by_code[hit.code]) for hit in self.search(query)]

    def search(self, query: str) -> list[Hit]:
        q = normalise(query)
        if not q:
            return []
        hits = [h for e in self._entries if (h := self._score(e, q)) is not None]
        if not hits and _has_hanzi(q):  # nothing has every part: the most parts, if any
            hits = [h for e in self._entries if (h := self._partly(e, q)) is not None]
        order = {e.code: e.order for e in self._entries}
        return sorted(hits, key=lambda h: (-h.score, order[h.code]))

    # --- one service -------------------------------------------------------------------------
    def _score(self, e: _Entry, q: str) -> Hit | None:
        best: Hit | None = None

        def offer(score: int, why: str) -> None:
            nonlocal best
            if best is None or score > best.score:
                best = Hit(e.code, score, why)

        if e.name == q:
            offer(1000, "name")
        elif q in e.name:
            offer(900 - e.name.index(q), "name")
        for keyword in e.keywords:
            if keyword == q:
                offer(850, "keyword")
            elif q in keyword:
                offer(800 - keyword.index(q), "keyword")
        if q and q == e.category.lower():
            offer(400, "category")
        elif q in e.category:
            offer(300, "category")
        if q.isascii():
            self._ascii(e, q, offer)
        elif _has_hanzi(q) and best is None and self._all_parts(e, q):
            offer(600, "synonym")
        return best

    def _ascii(self, e: _Entry, q: str, offer: Any) -> None:
        for initials in e.initials:  # the catalog's own: what CatalogStore.search matched
            if initials == q:
                offer(820, "initials")
            elif initials.startswith(q) or q in initials:
                offer(560, "initials")
        if q.isalpha():
            last = len(e.spelled) - 1
            for rank, spelled in enumerate(e.spelled):
                match = pinyin.matches(q, list(spelled))
                if match is None:
                    continue
                # the name before keywords before the category; then how surely it was
                # meant: typed in full by usual readings, at the start, no rare reading
                base = 700 if rank == 0 else (350 if rank == last and e.category else 690)
                sure = 60 if match.exact else 30 * match.full // match.length - 40 * match.rare
                why = "pinyin" if match.full == match.length else "initials"
                offer(base + sure - 2 * match.start, why)
        words = re.split(r"[^a-z0-9]+", e.english)
        if any(w.startswith(q) for w in words if w):
            offer(520, "english")
        elif q in e.english:  # inside a word: weak, but the guide always found it so
            offer(450 if len(q) >= 3 else 200, "english")

    def _parts(self, q: str) -> list[tuple[str, ...]]:
        """The query cut into everyday words (with their catalog words) and the rest,
        longest words first; filler dropped."""
        table, parts, rest = synonyms(), [], q
        for filler in _FILLER:
            if filler != rest:
                rest = rest.replace(filler, " ")
        for term in sorted(table, key=len, reverse=True):
            if term in rest:
                parts.append((term, *table[term]))
                rest = rest.replace(term, " ")
        parts += [(piece,) for piece in rest.split() if piece]
        return parts

    def _all_parts(self, e: _Entry, q: str) -> bool:
        parts = self._parts(q)
        return bool(parts) and all(any(w in e.text for w in forms) for forms in parts)

    def _partly(self, e: _Entry, q: str) -> Hit | None:
        parts = [p for p in self._parts(q) if len(p[0]) >= 2]
        found = sum(any(w in e.text for w in forms) for forms in parts)
        return Hit(e.code, 100 * found // len(parts), "part") if found else None
