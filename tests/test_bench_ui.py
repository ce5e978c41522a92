"""`kiosk bench ui`'s taps: each of the five most used services driven from the home screen
with the ID card placed to a printed result (the bench raises if nothing is printed), each
within the goal (at most 5 taps, nothing keyed), and the verdict it prints agrees."""

from __future__ import annotations

from kiosk.bench.ui import TAPS_GOAL, taps_from_card
from kiosk.resident.frequent import FIVE_MOST_USED, FREQUENT


async def test_taps_from_the_card_to_a_printed_result() -> None:
    results = {r.name: r for r in await taps_from_card()}
    for code in FIVE_MOST_USED:
        taps, keyed = results[f"ui.taps_from_card_{code}"], results[f"ui.keyed_from_card_{code}"]
        met = taps.value <= TAPS_GOAL and keyed.value == 0
        assert ("goal met" if met else "goal NOT met") in taps.note, taps
        assert taps.baseline == TAPS_GOAL
        # offered at once after the card; the phone number on file is prefilled
        assert taps.value <= TAPS_GOAL and keyed.value == 0, taps
    for code in FREQUENT:  # the service, its one choice, 下一步
        assert results[f"ui.taps_from_card_{code}"].value == 3
