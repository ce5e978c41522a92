"""Shared fixtures for the printer tests: a real virtual printer on loopback and an adapter."""

from __future__ import annotations

import time
from collections.abc import Callable

from kiosk.devices.printer.receipt import Receipt


def id_check_digit(first17: str) -> str:
    """GB 11643 check character, for inventing synthetic ID numbers."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(first17, weights, strict=True))
    return "10X98765432"[total % 11]


def synthetic_id() -> str:
    base = "44030119900307123"  # invented: Shenzhen region code, made-up date and serial
    return base + id_check_digit(base)


def chinese_receipt(**overrides: object) -> Receipt:
    fields = dict(
        title="社会保险参保证明申请回执",
        terminal_name="示范政务服务一体机",
        terminal_id="KIOSK-TEST-0001",
        local_ref="KT1-20250102-000042",
        platform_ref="",
        fields=(
            ("申请人", "王*明"),
            ("证件号码", "4403**********1234"),
            ("办理事项", "养老保险参保证明打印"),
        ),
        lines=("您的申请已受理，可扫码查询办理进度。",),
        qr="https://example.gov.cn/progress?ref=KT1-20250102-000042",
        qr_caption="扫码查询进度",
        footer=("请妥善保管本凭条",),
        issued_at="2025-01-02 10:20:30",
    )
    fields.update(overrides)
    return Receipt(**fields)  # type: ignore[arg-type]


def wait_until(cond: Callable[[], object], timeout: float = 5.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
