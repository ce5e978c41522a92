"""What each certificate service certifies, built from the demo data.

Every service whose guide promises a certificate printed on the spot with the electronic
seal (本机当场打印，加盖电子印章) is in CERTIFICATES; a test holds the catalog to that. The
holder's name and ID number are masked on the document as on every paper the terminal prints.
All people and facts are invented (see data/residents.json).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiosk.platform.server.demo_data import RECORD_TITLES, DemoData, Resident
from kiosk.privacy import mask_id_number, mask_name

CITY = "示例市"
PROMISE = "加盖电子印章"  # the guide's words for "a certificate with the seal, on the spot"


class CertificateRequestError(ValueError):
    """The options do not make a certificate (e.g. a year range backwards); says which."""


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()  # columns right-aligned (amounts)


@dataclass(frozen=True)
class CertificateContent:
    service_code: str
    title: str
    title_en: str
    authority: str  # issuing authority, as signed under the seal
    seal_label: str  # the words across the seal's lower half, e.g. 证明专用章
    holder: tuple[tuple[str, str], ...]  # masked identity lines
    statement: str  # the sentence that certifies
    table: Table | None = None
    summary: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)

    def certifies(self) -> str:
        """For whom, masked, as the verification page shows it beside the title."""
        holder = dict(self.holder)
        return f"{holder.get('姓名', '')}，公民身份号码 {holder.get('公民身份号码', '')}"


@dataclass(frozen=True)
class Facts:
    """What a certificate says of one resident (the rest is in CERTIFICATES)."""

    statement: str  # the sentence that certifies
    table: Table | None = None
    summary: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()
    options: Mapping[str, str] = field(default_factory=dict)


FactsOf = Callable[[Resident, Mapping[str, str], datetime], Facts]


@dataclass(frozen=True)
class Certificate:
    """What is the same on every copy of a certificate, and how its facts are found."""

    title: str
    title_en: str
    authority: str
    seal_label: str
    facts: FactsOf


def _holder(resident: Resident) -> tuple[tuple[str, str], ...]:
    return (
        ("姓名", mask_name(resident.name)),
        ("性别", resident.gender),
        ("公民身份号码", mask_id_number(resident.id_number)),
    )


def _seed(resident: Resident, what: str) -> int:
    digest = hashlib.sha256(f"{resident.id_number}|{what}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _cn_date(moment: datetime) -> str:
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _months(options: Mapping[str, str]) -> int:
    raw = options.get("months", "12")
    if not raw.isdigit() or not 1 <= int(raw) <= 60:
        raise CertificateRequestError("months must be an integer from 1 to 60")
    return int(raw)


def _record_facts(record_type: str) -> FactsOf:
    demo = DemoData()

    def build(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
        months = _months(options)
        record = demo.record(resident, record_type, months, now)
        keys = [c["key"] for c in record["columns"]]
        labels = tuple(c["label_zh"] for c in record["columns"])
        rows = tuple(tuple(str(row.get(k, "")) for k in keys) for row in record["rows"])
        numeric = frozenset(i for i, k in enumerate(keys) if k not in ("period", "unit", "status"))
        period = f"{rows[-1][0]} 至 {rows[0][0]}，共{len(rows)}个月" if rows else f"近{months}个月"
        statement = (
            f"兹证明下列人员在{CITY}的{record['title_zh'].removesuffix('证明').removesuffix('凭证')}"
            f"情况如下表所列。查询期间：{period}。"
        )
        return Facts(
            statement=statement,
            table=Table(labels, rows, numeric) if rows else None,
            summary=tuple(record["summary"].items()),
            notes=("本证明所列缴费记录以打印时业务系统记载为准。",),
            options={"months": str(months)},
        )

    return build


_PURPOSES = {"study": "入学", "work": "就业", "other": "其他"}


def _household(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
    purpose = _PURPOSES.get(options.get("purpose", "other"))
    if purpose is None:
        raise CertificateRequestError("purpose must be study, work or other")
    n = _seed(resident, "address")
    address = f"{CITY}示范区{['幸福', '和平', '建设', '人民'][n % 4]}路{n % 200 + 1}号"
    birth = datetime.strptime(resident.birth_date, "%Y-%m-%d")
    moved_in = max(birth.year, 1990) + n % 10
    return Facts(
        statement="兹证明下列人员为本所辖区常住户口，户籍登记信息如下。",
        table=Table(
            ("登记项目", "登记内容"),
            (
                ("姓名", mask_name(resident.name)),
                ("性别", resident.gender),
                ("出生日期", _cn_date(birth)),
                ("户籍地址", address),
                ("户别", "家庭户"),
                ("与户主关系", "户主"),
                ("何时迁来本址", f"{moved_in}年"),
            ),
        ),
        summary=(("证明用途", purpose),),
        notes=("本证明仅证明开具时的户籍登记事项，自开具之日起三个月内有效。",),
        options={"purpose": options.get("purpose", "other")},
    )


def _no_property(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
    scope = {"city": f"{CITY}全市", "district": f"{CITY}示范区"}.get(options.get("scope", "city"))
    if scope is None:
        raise CertificateRequestError("scope must be city or district")
    return Facts(
        statement=(
            f"经查询{scope}不动产登记簿，截至{_cn_date(now)}，"
            "未查询到下列人员名下登记的住房不动产权利信息。"
        ),
        table=Table(
            ("查询项目", "查询结果"),
            (
                ("查询范围", scope),
                ("房屋所有权（住宅）", "无登记记录"),
                ("在办转移登记", "无"),
                ("查封、抵押登记", "无"),
            ),
        ),
        notes=(
            "本结果仅反映查询时点登记簿记载的信息，不含未办理登记的房屋。",
            "自开具之日起三十日内有效。",
        ),
        options={"scope": options.get("scope", "city")},
    )


def _year_range(options: Mapping[str, str], now: datetime, *, span: int) -> tuple[int, int]:
    raw_from = options.get("year_from", str(now.year - 1))
    raw_to = options.get("year_to", raw_from if span == 1 else str(now.year - 1))
    if not (raw_from.isdigit() and raw_to.isdigit()):
        raise CertificateRequestError("year_from and year_to must be years, e.g. 2024")
    first, last = int(raw_from), int(raw_to)
    if not 2000 <= first <= last <= now.year:
        raise CertificateRequestError(f"years must run forward from 2000 to {now.year}")
    if last - first >= 5:
        raise CertificateRequestError("at most 5 years on one certificate")
    return first, last


def _tax(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
    first, last = _year_range(options, now, span=5)
    base = float(resident.data.get("si_base", 0) or resident.data.get("pension_monthly", 0))
    employer = str(resident.data.get("employer") or "—")
    rows = []
    total = 0.0
    for year in range(first, last + 1):
        for quarter in range(4, 0, -1):
            if year == now.year and quarter > (now.month - 1) // 3:
                continue
            income = base * 3 * (1 + (year - 2020) * 0.03)
            taxable = max(income - 15000 - income * 0.105, 0)
            tax = round(taxable * 0.03, 2)
            total += tax
            rows.append(
                (
                    f"{year}年第{quarter}季度",
                    "工资薪金所得",
                    employer,
                    f"{income:.2f}",
                    f"{tax:.2f}",
                )
            )
    return Facts(
        statement=f"兹证明下列纳税人{first}年至{last}年在本局申报缴纳个人所得税情况如下。",
        table=Table(
            ("所属期间", "所得项目", "扣缴义务人", "收入额", "实缴税额"),
            tuple(rows),
            frozenset({3, 4}),
        )
        if rows
        else None,
        summary=(("实缴税额合计", f"{total:.2f} 元"),),
        notes=("本记录为纳税人申报缴纳的税款信息，不作为完税凭证。",),
        options={"year_from": str(first), "year_to": str(last)},
    )


def _marriage(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
    purpose = options.get("purpose", "").strip()
    if not purpose or len(purpose) > 40:
        raise CertificateRequestError("purpose must be 1 to 40 characters")
    married = _seed(resident, "marriage") % 2 == 0 and resident.birth_date < "2000"
    rows: tuple[tuple[str, ...], ...]
    if married:
        rows = (("结婚登记", f"{CITY}民政局婚姻登记处", f"{int(resident.birth_date[:4]) + 27}年"),)
        status = "已婚（有结婚登记记录）"
    else:
        rows = ()
        status = "未查询到婚姻登记记录"
    return Facts(
        statement=f"经查询全国婚姻登记信息系统，截至{_cn_date(now)}，下列人员的婚姻登记记录如下。",
        table=Table(("登记类别", "登记机关", "登记年份"), rows) if rows else None,
        summary=(("查询结果", status), ("证明用途", purpose)),
        notes=("本证明仅反映婚姻登记信息系统中的记录。",),
        options={"purpose": purpose},
    )


def _exit_entry(resident: Resident, options: Mapping[str, str], now: datetime) -> Facts:
    first, _ = _year_range(options, now, span=1)
    first = min(first, now.year)
    n = _seed(resident, "trips")
    ports = ("上海浦东机场", "深圳罗湖口岸", "北京首都机场", "珠海拱北口岸")
    places = ("日本", "中国香港", "泰国", "中国澳门")
    rows = []
    for trip in range(n % 3 + 1):
        year = first + (n >> (trip * 3)) % max(now.year - first + 1, 1)
        month = 1 + (n >> (trip * 5)) % 12
        day = 1 + (n >> (trip * 7)) % 26
        port, place = ports[(n >> trip) % 4], places[(n >> (trip + 2)) % 4]
        rows.append((f"{year}-{month:02d}-{day:02d}", "出境", port, place))
        rows.append((f"{year}-{month:02d}-{day + 2:02d}", "入境", port, place))
    rows.sort()
    return Facts(
        statement=f"经查询，下列人员自{first}年1月1日至{_cn_date(now)}的出入境记录如下。",
        table=Table(("日期", "出入境", "口岸", "前往/来自"), tuple(rows)),
        notes=("本记录以出入境边防检查机关登记为准。",),
        options={"year_from": str(first)},
    )


def _record(record_type: str, authority: str) -> Certificate:
    title, title_en = RECORD_TITLES[record_type]
    return Certificate(title, title_en, authority, "证明专用章", _record_facts(record_type))


# By service code: title, English title, issuing authority (signed under the seal), the
# words across the seal's lower half, and the resident's facts.
CERTIFICATES: dict[str, Certificate] = {
    "SB001": _record("social_insurance", f"{CITY}社会保险事业管理中心"),
    "YB001": _record("medical_insurance", f"{CITY}医疗保障局"),
    "GJJ001": _record("housing_fund", f"{CITY}住房公积金管理中心"),
    "HJ002": Certificate("户籍证明", "Household registration certificate",
                         f"{CITY}公安局示范派出所", "户口专用章", _household),
    "BDC001": Certificate("不动产登记信息查询结果证明（无房证明）",
                          "Real estate registration search result (no property held)",
                          f"{CITY}不动产登记中心", "查询专用章", _no_property),
    "SW001": Certificate("个人所得税纳税记录", "Individual income tax payment record",
                         f"国家税务总局{CITY}税务局", "纳税记录专用章", _tax),
    "HY003": Certificate("婚姻登记记录证明", "Marriage registration record certificate",
                         f"{CITY}民政局", "婚姻登记专用章", _marriage),
    "CRJ004": Certificate("出入境记录查询结果", "Exit and entry record",
                          f"{CITY}公安局出入境管理支队", "出入境记录查询专用章", _exit_entry),
}  # fmt: skip


def certificate_services(catalog: Mapping[str, object]) -> list[str]:
    """Codes of the catalog services that promise a sealed certificate on the spot."""
    services = catalog.get("services")
    out = []
    for service in services if isinstance(services, list) else []:
        guide = service.get("guide", {}) if isinstance(service, dict) else {}
        if PROMISE in str(guide.get("collection", "")):
            out.append(str(service["code"]))
    return out


def build_content(
    service_code: str,
    resident: Resident,
    options: Mapping[str, str],
    now: datetime | None = None,
) -> CertificateContent:
    certificate = CERTIFICATES.get(service_code)
    if certificate is None:
        raise CertificateRequestError(f"service {service_code!r} issues no certificate")
    facts = certificate.facts(resident, options, now or datetime.now(UTC))
    return CertificateContent(
        service_code=service_code,
        title=certificate.title,
        title_en=certificate.title_en,
        authority=certificate.authority,
        seal_label=certificate.seal_label,
        holder=_holder(resident),
        statement=facts.statement,
        table=facts.table,
        summary=facts.summary,
        notes=facts.notes,
        options=facts.options,
    )
