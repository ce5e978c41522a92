"""Demo catalog, residents and their records (all residents invented; see data/residents.json).

Records are computed from a few numbers per resident (employer, contribution base, since
when) up to last month, so a printed certificate always looks current.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.idnumber import is_valid
from kiosk.platform.signing import resident_id_hash
from kiosk.privacy import mask_id_number, mask_name

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


gb11643_valid = is_valid  # kept under this name for the demo data's readers

# The records' titles (中文, English); the certificates printed from them bear the same.
RECORD_TITLES = {
    "social_insurance": (
        "社会保险个人参保证明",
        "Personal social insurance contribution certificate",
    ),
    "medical_insurance": ("医疗保险参保缴费凭证", "Medical insurance payment certificate"),
    "housing_fund": ("住房公积金缴存证明", "Housing provident fund deposit certificate"),
}


def id_number_acceptable(number: str) -> bool:
    """GB 11643 numbers need a valid check digit; 2017 foreign cards (3 letters + 12) pass."""
    if len(number) == 15 and number[:3].isalpha() and number[3:].isdigit():
        return True
    return gb11643_valid(number)


@dataclass(frozen=True)
class Resident:
    id_number: str
    name: str
    gender: str
    birth_date: str
    data: dict[str, Any]

    @property
    def id_hash(self) -> str:
        return resident_id_hash(self.id_number)

    def info(self) -> dict[str, str]:
        return {
            "id_hash": self.id_hash, "id_number": self.id_number, "name": self.name,
            "gender": self.gender, "birth_date": self.birth_date,
            "masked_name": mask_name(self.name), "masked_id_number": mask_id_number(self.id_number),
        }  # fmt: skip


class DemoData:
    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        raw = (data_dir / "catalog.json").read_bytes()
        self.catalog: dict[str, Any] = json.loads(raw)
        # Canonical bytes: the ETag is a hash of exactly what is served.
        self.catalog_bytes = json.dumps(
            self.catalog, ensure_ascii=False, separators=(",", ":")
        ).encode()
        self.catalog_etag = '"' + hashlib.sha256(self.catalog_bytes).hexdigest()[:32] + '"'
        self.services = {svc["code"]: svc for svc in self.catalog["services"]}
        people = json.loads((data_dir / "residents.json").read_text(encoding="utf-8"))["residents"]
        self.residents: dict[str, Resident] = {}
        for p in people:
            extra = {
                k: v for k, v in p.items() if k not in ("id_number", "name", "gender", "birth_date")
            }
            self.residents[p["id_number"]] = Resident(
                p["id_number"], p["name"], p["gender"], p["birth_date"], extra
            )
        self.by_hash = {r.id_hash: r for r in self.residents.values()}

    def record(
        self, resident: Resident, record_type: str, months: int, now: datetime | None = None
    ) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        d = resident.data
        periods = _last_months(now, months, d.get("since") or None)
        if record_type == "housing_fund":
            monthly = round(d.get("hf_base", 0) * d.get("hf_rate", 0), 2)
            periods = periods if monthly else []
            columns = [("period", "缴存年月", "Month"), ("unit", "缴存单位", "Employer"),
                       ("base", "缴存基数", "Base"), ("personal", "个人缴存", "Employee part"),
                       ("employer", "单位缴存", "Employer part"), ("status", "状态", "Status")]  # fmt: skip
            rows = [{"period": p, "unit": d["employer"], "base": _yuan(d["hf_base"]),
                     "personal": _yuan(monthly), "employer": _yuan(monthly), "status": "已缴存"}
                    for p in periods]  # fmt: skip
            summary = {"账户状态": "正常缴存" if monthly else "未缴存",
                       "期间缴存合计": _yuan(2 * monthly * len(periods))}  # fmt: skip
            summary_en = {"Account": "Paying in" if monthly else "Not paying in",
                          "Total for the period": _yuan(2 * monthly * len(periods))}  # fmt: skip
            titles = RECORD_TITLES["housing_fund"]
        else:
            base = d.get("si_base", 0)
            periods = periods if base else []
            if record_type == "social_insurance":
                parts = [("pension", "养老", "Pension", 0.08), ("medical", "医疗", "Medical", 0.02),
                         ("unemployment", "失业", "Unemployment", 0.005)]  # fmt: skip
                titles = RECORD_TITLES["social_insurance"]
            else:
                parts = [("medical", "医疗个人", "Medical (employee)", 0.02),
                         ("medical_employer", "医疗单位", "Medical (employer)", 0.08)]  # fmt: skip
                titles = RECORD_TITLES["medical_insurance"]
            columns = [("period", "费款所属期", "Month"), ("unit", "参保单位", "Employer"),
                       ("base", "缴费基数", "Base")] + [(k, z, e) for k, z, e, _ in parts]  # fmt: skip
            columns.append(("status", "状态", "Status"))
            rows = []
            for p in periods:
                row = {"period": p, "unit": d["employer"], "base": _yuan(base), "status": "已缴"}
                row.update({k: _yuan(base * rate) for k, _, _, rate in parts})
                rows.append(row)
            if d.get("pension_monthly"):
                summary = {
                    "参保状态": "退休，按月领取养老金",
                    "月养老金": _yuan(d["pension_monthly"]),
                }
                summary_en = {
                    "Status": "Retired, paid a monthly pension",
                    "Monthly pension": _yuan(d["pension_monthly"]),
                }
            else:
                summary = {"参保状态": "正常参保" if base else "无参保缴费记录",
                           "缴费月数": str(len(rows))}  # fmt: skip
                summary_en = {"Status": "Insured" if base else "No contributions on record",
                              "Months paid": str(len(rows))}  # fmt: skip
        digest = hashlib.sha256(
            f"{resident.id_number}|{record_type}|{now:%Y%m%d}".encode()
        ).hexdigest()
        return {
            "record_type": record_type, "title_zh": titles[0], "title_en": titles[1],
            "certificate_no": f"{now:%Y%m%d}{int(digest[:10], 16) % 10**10:010d}",
            "issued_at": now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "masked_name": mask_name(resident.name),
            "masked_id_number": mask_id_number(resident.id_number),
            "summary": summary,
            "summary_en": summary_en,
            "columns": [{"key": k, "label_zh": z, "label_en": e} for k, z, e in columns],
            "rows": rows,
        }  # fmt: skip


def _yuan(value: float) -> str:
    return f"{value:.2f}"


def _last_months(now: datetime, months: int, since: str | None) -> list[str]:
    """Month labels, newest first, ending last month, not before `since` (YYYY-MM)."""
    year, month = now.year, now.month
    out = []
    for _ in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        label = f"{year:04d}-{month:02d}"
        if since and label < since:
            break
        out.append(label)
    return out
