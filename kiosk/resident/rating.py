"""好差评 as GB/T 39046-2020 defines it (表 A.8), and the one tested table that maps it to a
province's interface where the province numbers the other way."""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum


class Satisfaction(IntEnum):
    """满意度代码, GB/T 39046-2020 表 A.8: 1 = 非常满意 … 5 = 非常不满意."""

    VERY_SATISFIED = 1
    SATISFIED = 2
    BASICALLY_SATISFIED = 3
    DISSATISFIED = 4
    VERY_DISSATISFIED = 5

    @property
    def label_zh(self) -> str:
        return LABELS_ZH[self]

    @property
    def needs_reason(self) -> bool:
        """不满意 and 非常不满意 ask why, and open a 差评 work order at the platform."""
        return self >= Satisfaction.DISSATISFIED


def levels_for(satisfied: bool) -> tuple[Satisfaction, ...]:
    """长辈模式 asks 满意 or 不满意 first, then how much: never more than four choices at once,
    and every GB/T 39046 code stays reachable."""
    return tuple(s for s in Satisfaction if s.needs_reason is not satisfied)


LABELS_ZH = {
    Satisfaction.VERY_SATISFIED: "非常满意",
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY_SATISFIED: "基本满意",
    Satisfaction.DISSATISFIED: "不满意",
    Satisfaction.VERY_DISSATISFIED: "非常不满意",
}

# 评价渠道 for this terminal: GB/T 39046's "政务大厅其他终端"; provinces say 自助服务端.
CHANNEL = "政务大厅其他终端"
CHANNEL_NAME = "自助终端"

# Reasons offered for a low rating (i18n keys rating.ind.<code>); codes as provinces use them.
INDICATORS = ("501", "502", "503", "504", "505", "599")


@dataclass(frozen=True)
class ProvinceScheme:
    """How a province's 好差评 interface numbers things."""

    name: str
    satisfaction: dict[Satisfaction, int]
    channel: str  # their code for a self-service terminal
    source: str  # 办件来源 code


NATIONAL = ProvinceScheme(
    "GB/T 39046-2020",
    {s: int(s) for s in Satisfaction},
    channel=CHANNEL,
    source="自助服务端",
)
# Several provincial interfaces number 1 = 非常不满意 … 5 = 非常满意, channel `pf` 5 =
# 政务大厅其他终端, 办件来源 5 = 自助服务端 (see shared/reference/domain-rules.md).
REVERSED = ProvinceScheme(
    "province (1 = 非常不满意)",
    {s: 6 - int(s) for s in Satisfaction},
    channel="5",
    source="5",
)
SCHEMES = {"national": NATIONAL, "reversed": REVERSED}


def to_province(level: Satisfaction, scheme: ProvinceScheme) -> int:
    return scheme.satisfaction[level]


def from_province(code: int, scheme: ProvinceScheme) -> Satisfaction:
    for level, theirs in scheme.satisfaction.items():
        if theirs == code:
            return level
    raise ValueError(f"{scheme.name}: no satisfaction code {code}")


@dataclass(frozen=True)
class Rating:
    level: Satisfaction
    service_code: str
    reference: str  # 办件编号: the application's (or certificate's) number
    indicators: tuple[str, ...] = ()
    text: str = ""  # free words: sealed, may name someone
    real_name: bool = False  # the resident agreed to be contacted about a 差评

    def item(self, now: float | None = None) -> dict[str, object]:
        """The outbox item's display part (no personal data)."""
        if self.level.needs_reason and not (self.indicators or self.text):
            raise ValueError("a low rating says why (an indicator or words)")
        return {
            "level": int(self.level),
            "scale": "GB/T 39046-2020",
            "level_name": self.level.label_zh,
            "indicators": list(self.indicators),
            "service_code": self.service_code,
            "reference": self.reference,
            "channel": CHANNEL,
            "channel_name": CHANNEL_NAME,
            "real_name": self.real_name,
            "rated_at": time.strftime("%Y%m%dT%H%M%S", time.localtime(now)),
        }
