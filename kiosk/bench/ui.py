"""Touch-to-screen latency and memory over many resident sessions (headless Textual).

Latency: a tap on 办事指南 until the guide screen is mounted, against pushing an empty
screen in the same app (the framework's own cost). Memory: RSS and live objects after a
warm-up, then after many sessions (card read → form → timeout wipe); a leak shows as growth.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Iterable

from kiosk.bench import BenchResult

ORDER = 5


class _Identity:
    """Stands in for a card read: the session holds it, the wipe must drop it."""

    def __init__(self, n: int) -> None:
        self.name, self.name_en, self.id_number = "测试长者", "", f"1101051949123{n % 10000:04d}X"
        self.sex = self.birth_date = self.address = self.ethnicity = ""
        self.source = "idcard"

    def wipe(self) -> None:
        self.name = self.id_number = ""


async def _measure(quick: bool) -> list[BenchResult]:
    import psutil
    from textual.screen import Screen

    from kiosk.app import KioskApp
    from kiosk.config import load_config
    from kiosk.resident.steps import Journey, Step
    from kiosk.screens.form import FormScreen
    from kiosk.screens.guide import GuideScreen

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
            taps, empties = [], []
            for _ in range(5 if quick else 20):
                start = time.perf_counter()
                await pilot.click("#home-guide")
                while not isinstance(app.screen, GuideScreen):
                    await asyncio.sleep(0.001)
                await pilot.pause()
                taps.append(time.perf_counter() - start)
                app.pop_screen()
                await pilot.pause()
                start = time.perf_counter()
                await app.push_screen(Screen())
                await pilot.pause()
                empties.append(time.perf_counter() - start)
                app.pop_screen()
                await pilot.pause()

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
            "ui.tap_to_guide_screen",
            statistics.median(taps) * 1000,
            "ms",
            statistics.median(empties) * 1000,
            note="baseline: push an empty Screen, same app",
        ),
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
    yield from asyncio.run(_measure(quick))
