"""Catalog search on the shipped catalog: Chinese, full pinyin, initials, mixes, English and
everyday words, best first; never less than the guide's search found."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.catalog import CatalogStore
from kiosk.search import CatalogSearch, normalise, synonyms

CATALOG = json.loads(
    (Path(__file__).resolve().parent.parent / "kiosk/platform/data/catalog.json").read_text(
        encoding="utf-8"
    )
)
NAMES = {s["code"]: s["name_zh"] for s in CATALOG["services"]}


@pytest.fixture(scope="module")
def index() -> CatalogSearch:
    return CatalogSearch(CATALOG["services"], CATALOG["categories"])


def first(index: CatalogSearch, query: str) -> str:
    hits = index.search(query)
    assert hits, f"nothing found for {query!r}"
    return NAMES[hits[0].code]


@pytest.mark.parametrize(
    ("query", "service"),
    [
        ("补办社保卡", "社会保障卡补换领"),  # everyday words → the catalog's
        ("社保卡丢了", "社会保障卡补换领"),
        ("sbzm", "社会保险个人参保证明打印"),  # initials
        ("shebaoka", "社会保障卡补换领"),  # full pinyin
        ("sbk", "社会保障卡补换领"),
        ("shebaozm", "社会保险个人参保证明打印"),  # a mix
        ("ＳＢＺＭ", "社会保险个人参保证明打印"),  # full-width, upper case
        ("sb zm", "社会保险个人参保证明打印"),
        ("huzhao", "普通护照签发"),
        ("我要办护照", "普通护照签发"),
        ("jiazhao", "机动车驾驶证期满换证"),
        ("驾照到期", "机动车驾驶证期满换证"),
        ("yanglao", "养老保险待遇领取资格认证"),
        ("退休认证", "养老保险待遇领取资格认证"),
        ("异地看病", "异地就医备案"),
        ("yidijiuyi", "异地就医备案"),
        ("gongjijin tiqu", "住房公积金提取（租房）"),
        ("passport", "普通护照签发"),
        ("低保", "最低生活保障申请"),
        ("个税", "个人所得税纳税记录开具"),
        ("单身证明", "婚姻登记记录证明"),
    ],
)
def test_what_a_resident_types_finds_the_service_first(
    index: CatalogSearch, query: str, service: str
) -> None:
    assert first(index, query) == service


def test_full_pinyin_ranks_what_was_spelled_in_full_first(index: CatalogSearch) -> None:
    # shebao: 社保 (she bao) in full, not 参保 by a rare reading of 参 (shen)
    top = [NAMES[h.code] for h in index.search("shebao")[:2]]
    assert set(top) == {"社会保险个人参保证明打印", "社会保障卡补换领"}
    sb = [NAMES[h.code] for h in index.search("sb")]
    assert sb.index("社会保障卡补换领") < sb.index("居民身份证换领")  # 份 read bin is rare


def test_nothing_found_is_an_empty_list_and_an_empty_query_lists_all(
    index: CatalogSearch,
) -> None:
    assert index.search("xyzxyz") == []
    assert index.search("离婚") == []  # no such service in the catalog: say so, not noise
    assert len(index.services("  ")) == len(CATALOG["services"])


def test_the_category_name_finds_its_services_after_the_named_ones(index: CatalogSearch) -> None:
    found = [NAMES[h.code] for h in index.search("社保")]
    assert found[-1] == "养老保险待遇领取资格认证"  # only its category says 社保
    assert "社会保险个人参保证明打印" in found[:3]


def old_queries() -> list[str]:
    queries = set()
    for s in CATALOG["services"]:
        queries.update(s["keywords"])
        for initials in s["pinyin_initials"]:
            queries.update(initials[:n] for n in range(1, len(initials) + 1))
        name = s["name_zh"]
        queries.update(name[i : i + n] for n in (1, 2, 3) for i in range(len(name) - n + 1))
        queries.update(w for w in s["name_en"].lower().split() if len(w) > 2)
    return sorted(queries)


def test_every_service_the_guide_found_is_still_found(tmp_path: Path, index: CatalogSearch) -> None:
    (tmp_path / "catalog.json").write_text(
        json.dumps({"etag": "x", "catalog": CATALOG}, ensure_ascii=False), encoding="utf-8"
    )
    store = CatalogStore(tmp_path)
    queries = old_queries()
    assert len(queries) > 500
    for query in queries:
        before = {s["code"] for s in store.search(query)}
        now = {s["code"] for s in index.services(query)}
        assert before <= now, (query, before - now)


def test_the_synonym_table_points_at_words_the_catalog_uses() -> None:
    text = " ".join(" ".join([s["name_zh"], *s["keywords"]]) for s in CATALOG["services"])
    for term, words in synonyms().items():
        assert any(w in text for w in words), term


def test_normalise() -> None:
    assert normalise(" ＳＢ ｚｍ ") == "sbzm"
