"""Receipt model and layout: widths, masking guard, JSON round trip."""

from __future__ import annotations

import pytest

from kiosk.devices.printer.receipt import Receipt, ReceiptError, layout, preview_text, text_width
from kiosk.privacy import mask_id_number
from tests.printer_helpers import chinese_receipt, synthetic_id


@pytest.mark.parametrize("width", [32, 48])
def test_no_line_wider_than_the_paper(width):
    receipt = chinese_receipt(
        lines=(
            "这是一段很长的中文说明，用来检查自动换行是否按照每个汉字占两列计算。" * 3,
            "Mixed 中英文 text with words " * 4,
        ),
        fields=(("一个特别特别特别特别长的字段名称", "值" * 40), ("编号", "A" * 60)),
    )
    for line in layout(receipt, width):
        limit = width // 2 if line.kind == "title" else width
        assert line.kind == "qr" or text_width(line.text) <= limit, line
    assert "值" * 5 in preview_text(receipt, width)


def test_cjk_counts_two_columns():
    assert text_width("申请人：张*") == 2 * 5 + 1
    assert text_width("ABC") == 3


def test_unmasked_id_number_refused_and_not_echoed():
    clear = synthetic_id()
    for kw in (
        {"fields": (("证件号码", clear),)},
        {"lines": (f"身份证{clear}",)},
        {"qr": f"https://x.cn/?id={clear}"},
    ):
        with pytest.raises(ReceiptError) as err:
            chinese_receipt(**kw)
        assert err.value.code == "unmasked_personal_data"
        assert clear not in str(err.value)
    masked = chinese_receipt(fields=(("证件号码", mask_id_number(clear)),))
    assert ("证件号码", mask_id_number(clear)) in masked.fields


def test_round_trip_and_offline_reference():
    receipt = chinese_receipt()
    assert Receipt.from_dict(receipt.to_dict()) == receipt
    assert "受理编号：待联网后生成" in preview_text(receipt, 32)
    online = chinese_receipt(platform_ref="GW2025010200017")
    assert "受理编号：GW2025010200017" in preview_text(online, 32)
    english = chinese_receipt(language="en", platform_ref="GW1")
    assert "Ref. no.: GW1" in preview_text(english, 48)
