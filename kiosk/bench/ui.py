"""Touch-to-screen latency and memory over many resident sessions (headless Textual).

Latency: from a raw touch (MouseDown + MouseUp posted to the app, as the terminal driver
posts them; no Pilot, whose waits put a floor of ~100 ms under every tap) until the next
screen has been painted (its first compositor refresh, via that screen's own
call_after_refresh), for the main transitions of a real journey on emulated devices and the
built-in platform: home -> guide, guide -> service guide, form -> review, review ->
submitted. Baseline: pushing an empty Screen in the same app, painted the same way. Each
journey also counts its taps and typed characters (always 0: only touches are posted).
Memory: RSS and live objects after a warm-up, then after many sessions (form shown, timeout
wipe); a leak shows as growth.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
import time
from collections.abc import Callable, Iterable
from typing import Any

from kiosk.bench import BenchResult

ORDER = 5
SERVICE = "SB002"  # 社会保障卡补换领: a choice and a phone number (on the number pad)
TRANSITIONS = (
    ("home_to_guide", "#home-guide", "GuideScreen"),
    ("guide_to_service", f"#svc-{SERVICE}", "ServiceGuideScreen"),
    ("form_to_review", "#form-next", "ReviewScreen"),
    ("review_to_submitted", "#review-submit", "SubmittedScreen"),
)


class _Identity:
    """Stands in for a card read: the session holds it, the wipe must drop it."""

    source = "id_card"

    def __init__(self, n: int) -> None:
        self.name, self.name_en, self.id_number = "测试长者", "", f"1101051949123{n % 10000:04d}X"
        self.sex = self.birth_date = self.address = self.ethnicity = ""

    def wipe(self) -> None:
        self.name = self.id_number = ""


class Touch:
    """Raw touches at the app level, and "painted" as the moment to stop the clock."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.taps = 0
        self.typed = 0  # key presses: none are ever posted

    def tap(self, selector: str) -> None:
        from textual import events

        widget = self.app.screen.query_one(selector)
        region = widget.region
        x, y = region.x + region.width // 2, region.y + region.height // 2
        for event in (events.MouseDown, events.MouseUp):  # the app makes the Click
            self.app.post_message(event(None, x, y, 0, 0, 1, False, False, False, x, y))
        self.taps += 1

    async def until(self, condition: Callable[[], object], timeout: float = 30.0) -> None:
        """For the steps that are not timed."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise RuntimeError(f"ui bench: stuck on {type(self.app.screen).__name__}")
            await asyncio.sleep(0.005)

    def screen_is(self, name: str) -> bool:
        return type(self.app.screen).__name__ == name

    async def ready(self, selector: str) -> None:
        """The button is shown, laid out, enabled and past its double-tap guard."""

        def can_take_a_touch() -> bool:
            found = self.app.screen.query(selector)
            if not found:
                return False
            button = found.first()
            return bool(
                button.display and button.region.area > 0
                and not button.disabled and not button.has_class("-active")
            )  # fmt: skip

        try:
            await self.until(can_take_a_touch)
        except RuntimeError:
            found = self.app.screen.query(selector)
            button = found.first() if found else None
            state = button and (button.display, button.region, button.disabled, button.classes)
            raise RuntimeError(f"ui bench: {selector} never took a touch: {state}") from None

    async def timed(self, start: Callable[[], object], screen_name: str) -> float:
        """Seconds from `start()` until a screen named `screen_name` has been painted."""
        painted = asyncio.Event()

        def on_screen(screen: Any) -> None:
            if type(screen).__name__ == screen_name:
                screen.call_after_refresh(painted.set)

        self.app.screen_change_signal.subscribe(self.app, on_screen, immediate=True)
        try:
            began = time.perf_counter()
            start()
            await asyncio.wait_for(painted.wait(), 30)
            return time.perf_counter() - began
        finally:
            self.app.screen_change_signal.unsubscribe(self.app)

    async def tap_until_painted(self, selector: str, screen_name: str) -> float:
        await self.ready(selector)
        return await self.timed(lambda: self.tap(selector), screen_name)


async def _journey(touch: Touch, times: dict[str, list[float]]) -> None:
    """One application by touch, timing the main transitions; ends back on the home screen."""
    app = touch.app
    service = app.services.catalog.service(SERVICE)
    steps = {name: (selector, screen) for name, selector, screen in TRANSITIONS}
    times["home_to_guide"].append(await touch.tap_until_painted(*steps["home_to_guide"]))
    await touch.ready(f"#cat-{service.category}")
    touch.tap(f"#cat-{service.category}")
    await touch.until(lambda: app.screen.query(f"#svc-{SERVICE}") or app.screen.query(
        "#guide-next"))  # fmt: skip
    while not app.screen.query(f"#svc-{SERVICE}"):
        await touch.ready("#guide-next")
        touch.tap("#guide-next")
        await asyncio.sleep(0.05)
    times["guide_to_service"].append(await touch.tap_until_painted(*steps["guide_to_service"]))
    await touch.ready("#service-start")
    touch.tap("#service-start")
    await touch.until(lambda: touch.screen_is("IdCardScreen"))
    reader = app.services.device("idcard")
    reader.emulator.place_card("resident")  # the one act that is not a touch
    await touch.ready("#idcard-continue")
    touch.tap("#idcard-continue")
    await touch.until(lambda: touch.screen_is("FormScreen"))
    await touch.ready("Button.option")
    touch.tap("Button.option")
    await touch.ready("#field-phone")
    touch.tap("#field-phone")
    for digit in "13800001111":
        await touch.ready(f"#pad-{digit}")
        touch.tap(f"#pad-{digit}")
        await asyncio.sleep(0.15)  # a key ignores a second touch within 0.12 s (bounce)
    await touch.ready("#pad-done")
    touch.tap("#pad-done")
    await touch.until(lambda: touch.screen_is("FormScreen"))
    times["form_to_review"].append(await touch.tap_until_painted(*steps["form_to_review"]))
    times["review_to_submitted"].append(
        await touch.tap_until_painted(*steps["review_to_submitted"])
    )
    await touch.ready("#submitted-done")
    reader.emulator.remove_card()  # the resident takes the card ...
    await touch.until(lambda: not reader.card_present)  # ... and the reader has seen it go
    touch.tap("#submitted-done")
    await touch.until(lambda: touch.screen_is("HomeScreen"))


async def _latency(quick: bool) -> list[BenchResult]:
    from textual.screen import Screen

    from kiosk.app import KioskApp
    from kiosk.config import load_config

    rounds = 5 if quick else 20
    times: dict[str, list[float]] = {name: [] for name, _, _ in TRANSITIONS}
    empty: list[float] = []
    taps = typed = 0
    with tempfile.TemporaryDirectory() as data_dir:
        env = {"KIOSK_TERMINAL__DATA_DIR": data_dir}
        env.update({f"KIOSK_DEVICES__{k}__MODE": "off"
                    for k in ("SMARTCARD", "CAMERA", "A4PRINTER", "DOCCAM")})  # fmt: skip
        app = KioskApp(load_config(environ=env))
        async with app.run_test(size=(160, 45)):
            touch = Touch(app)
            await touch.until(lambda: app.services.wait_started(0) and app.services.outbox)
            await touch.until(
                lambda: all(d.health().healthy for d in app.services.devices.values())
            )
            await touch.ready("#lang-zh-Hans")
            touch.tap("#lang-zh-Hans")
            # let the language change reach every screen before the guide opens: done at
            # once, its retranslation races the guide's own catalog rebuild (DuplicateIds)
            await asyncio.sleep(1.0)
            await _journey(touch, {name: [] for name, _, _ in TRANSITIONS})  # warm-up
            for _ in range(rounds):
                touch.taps = 0
                await _journey(touch, times)
                taps, typed = touch.taps, touch.typed
                screen = Screen()
                empty.append(await touch.timed(lambda s=screen: app.push_screen(s), "Screen"))
                app.pop_screen()
                await touch.until(lambda: touch.screen_is("HomeScreen"))
        app.services.stop()
    base50, base95 = _pct(empty, 50) * 1000, _pct(empty, 95) * 1000
    results = []
    for name, _, screen in TRANSITIONS:
        note = f"raw touch until {screen} painted; {rounds} journeys; baseline: empty Screen pushed"
        results.append(BenchResult.compare(
            f"ui.{name}_p50", _pct(times[name], 50) * 1000, "ms", base50, note))  # fmt: skip
        results.append(BenchResult.compare(
            f"ui.{name}_p95", _pct(times[name], 95) * 1000, "ms", base95, note))  # fmt: skip
    results.append(BenchResult(
        f"ui.journey_taps_{SERVICE}", taps, "taps", None, None,
        f"home to printed receipt, card placed once; {typed} typed characters"))  # fmt: skip
    return results


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))]


async def _memory(quick: bool) -> list[BenchResult]:
    import psutil

    from kiosk.app import KioskApp
    from kiosk.config import load_config
    from kiosk.resident.steps import Journey, Step
    from kiosk.screens.form import FormScreen

    with tempfile.TemporaryDirectory() as data_dir:
        env = {"KIOSK_TERMINAL__DATA_DIR": data_dir}
        env.update(
            {
                f"KIOSK_DEVICES__{k}__MODE": "off"
                for k in ("IDCARD", "SMARTCARD", "PRINTER", "CAMERA")
            }
        )
        app = KioskApp(load_config(environ=env), start_services=False)
        from kiosk.platform.embedded import EmbeddedPlatform  # the catalog for the form

        platform = EmbeddedPlatform(f"{data_dir}/platform")
        service = None
        async with app.run_test(size=(160, 45)) as pilot:
            from kiosk.platform.client import PlatformClient

            url = platform.start()
            client = PlatformClient(url, platform.terminal_id, platform.terminal_secret)
            app.services.catalog.refresh(client)
            service = app.services.catalog.service("SB002")
            assert service is not None

            async def session(n: int) -> None:
                resident = app.start_session()
                resident.identity = _Identity(n)
                resident.start_service(service)
                form = FormScreen()
                form.journey = Journey.for_service(service, has_camera=False)
                form.journey.history.append(Step.FORM)
                form.step = Step.FORM
                await app.push_screen(form)
                await pilot.pause()
                app.end_session("timeout")
                await pilot.pause()

            process = psutil.Process()
            for n in range(50 if quick else 200):
                await session(n)
            gc.collect()
            rss0, objects0 = process.memory_info().rss, len(gc.get_objects())
            sessions = 300 if quick else 2000
            for n in range(sessions):
                await session(n)
            gc.collect()
            rss1, objects1 = process.memory_info().rss, len(gc.get_objects())
            client.close()
        platform.stop()
    return [
        BenchResult.compare(
            "ui.rss_after_sessions",
            rss1 / 2**20,
            "MiB",
            rss0 / 2**20,
            note=f"{sessions} sessions (form shown, wiped) after warm-up; baseline: RSS after warm-up",
        ),
        BenchResult.compare(
            "ui.live_objects_after_sessions",
            objects1,
            "objects",
            objects0,
            note="gc-tracked objects; flat means no per-session leak",
        ),
    ]


def run(quick: bool) -> Iterable[BenchResult]:
    try:
        yield from asyncio.run(_latency(quick))
    except Exception as exc:  # said plainly, and the other figures still come
        yield BenchResult("ui.journey_failed", 0.0, "", note=f"{type(exc).__name__}: {exc}")
    yield from asyncio.run(_memory(quick))
