"""The API document is true to the code, and the demo catalog and residents are usable."""

from __future__ import annotations

import json
import re

import httpx
from pypinyin import Style, lazy_pinyin

from kiosk.platform import schemas
from kiosk.platform.openapi import DOCUMENT_PATH, build_document, load_document
from kiosk.platform.server.demo_data import DemoData, gb11643_valid

IDCARD_FIELDS = {"name", "gender", "ethnicity", "birth_date", "id_number", "address"}
CATEGORIES = {"social_security", "medical_insurance", "housing_fund", "household", "real_estate",
              "tax", "marriage_birth", "exit_entry", "traffic", "civil_affairs"}  # fmt: skip


def test_stored_document_is_what_the_code_builds():
    assert load_document() == build_document(), "run `kiosk platform openapi --write`"
    assert DOCUMENT_PATH.read_text(encoding="utf-8").startswith("{")


def test_every_route_is_documented_and_every_documented_path_is_served(platform):
    routes = {}
    for route in platform.server.app.app.routes:  # FaultMiddleware -> Starlette
        if route.path.startswith("/v1/"):
            routes[route.path] = {m.lower() for m in route.methods} - {"head"}
    documented = {path: set(ops) for path, ops in load_document()["paths"].items()}
    assert routes == documented


def test_served_document_equals_the_file(platform):
    served = httpx.get(platform.base_url + "/v1/openapi.json", timeout=5)
    assert served.status_code == 200 and served.json() == load_document()


def test_catalog_has_real_services_in_every_category():
    catalog = schemas.Catalog.model_validate(DemoData().catalog)
    assert len(catalog.services) >= 30
    assert {c.code for c in catalog.categories} == CATEGORIES
    by_category = {c: [s for s in catalog.services if s.category == c] for c in CATEGORIES}
    assert all(len(services) >= 3 for services in by_category.values())
    assert len({s.code for s in catalog.services}) == len(catalog.services)
    for service in catalog.services:
        guide = service.guide
        assert guide.conditions and guide.materials, service.code
        assert guide.time_limit and guide.fee and guide.collection, service.code
        assert re.search(r"[A-Za-z]", service.name_en) and re.search(
            r"[\u4e00-\u9fff]", service.name_zh
        )


def test_id_card_fields_are_never_typed():
    for service in DemoData().catalog["services"]:
        names = [f["name"] for f in service["form"]]
        assert len(names) == len(set(names)), service["code"]
        for field in service["form"]:
            if field["name"] in IDCARD_FIELDS:
                assert field["source"] == "idcard", (service["code"], field["name"])
        if service["kiosk_action"] != "guide_only":
            assert "id_number" in names, service["code"]


def test_pinyin_initials_match_pypinyin_and_find_services():
    services = DemoData().catalog["services"]
    for service in services:
        name = re.sub(r"[（(].*?[)）]", "", service["name_zh"])
        expected = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore"))
        assert service["pinyin_initials"][0] == expected, service["code"]

    def search(query: str) -> list[str]:
        return [
            s["code"] for s in services if any(k.startswith(query) for k in s["pinyin_initials"])
        ]

    assert search("sbzm") == ["SB001"]  # 社保证明
    assert "GJJ001" in search("gjjzm")  # 公积金证明
    assert "YB002" in search("ydjy")  # 异地就医


def test_demo_residents_match_the_synthetic_id_cards():
    from kiosk.devices.idcard.synthetic import DEMO_FIELDS

    residents = DemoData().residents
    for fields in DEMO_FIELDS.values():
        assert fields["id_number"] in residents
        assert residents[fields["id_number"]].name == fields["name"]
    for number in residents:
        assert gb11643_valid(number) or re.fullmatch(r"[A-Z]{3}\d{12}", number)


def test_record_rows_follow_the_resident_data():
    demo = DemoData()
    retiree = next(r for r in demo.residents.values() if r.data.get("pension_monthly"))
    record = demo.record(retiree, "social_insurance", 12)
    assert record["rows"] == [] and "退休" in record["summary"]["参保状态"]
    worker = demo.residents["11010119900101901X"]
    fund = demo.record(worker, "housing_fund", 24)
    assert len(fund["rows"]) == 24 and fund["rows"][0]["period"] > fund["rows"][-1]["period"]
    assert json.dumps(fund).count("11010119900101901X") == 0
