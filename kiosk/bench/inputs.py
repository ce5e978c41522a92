"""On-screen input benchmarks: pinyin lexicon load, search and candidates per keystroke, and
a number-pad tap until the number shows (headless Textual).

Baselines measured in the same run:
- lexicon load (fresh process) vs importing pypinyin and spelling one word (what the shipped
  lexicon replaces);
- catalog search per keystroke vs the substring search the guide had (CatalogStore.search)
  on the same keystrokes: what pinyin, initials and synonyms cost;
- keyboard candidates per keystroke vs scanning every lexicon word for it (no index);
- number-pad tap → display updated vs a bare button that updates a label in the same app.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from kiosk.bench import BenchResult

ORDER = 8
CATALOG = Path(__file__).resolve().parent.parent / "platform" / "data" / "catalog.json"
QUERIES = ("shebao", "sbzm", "补办社保卡", "gongjijin", "huzhao", "passport", "异地看病", "ylrz")
LETTERS = ("yishi", "jianguolu", "shebao", "zhangsan", "sbk", "wang", "xianzai")


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _each_prefix(words: Iterable[str]) -> list[str]:
    """What a resident has typed after each tap."""
    return [w[:n] for w in words for n in range(1, len(w) + 1)]


def _timed(fn: Callable[[str], object], inputs: list[str], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        for text in inputs:
            start = time.perf_counter()
            fn(text)
            samples.append(time.perf_counter() - start)
    return samples


def _fresh_process_ms(code: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


_LOAD = "import time; t=time.perf_counter(); {}; print((time.perf_counter()-t)*1000)"


def _lookups(quick: bool) -> list[BenchResult]:
    from kiosk import pinyin
    from kiosk.catalog import CatalogStore
    from kiosk.search import CatalogSearch

    repeat = 1 if quick else 3
    ours = _fresh_process_ms(_LOAD.format("from kiosk import pinyin; pinyin.load()"), repeat)
    base = _fresh_process_ms(_LOAD.format("import pypinyin; pypinyin.lazy_pinyin('社保')"), repeat)
    results = [BenchResult.compare("inputs.lexicon_load", ours, "ms", base, "vs pypinyin")]

    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as data_dir:
        cache = Path(data_dir) / "catalog.json"
        cache.write_text(json.dumps({"etag": "x", "catalog": catalog}, ensure_ascii=False))
        store = CatalogStore(Path(data_dir))
        keystrokes = _each_prefix(QUERIES)
        # as the guide does: an index per search (its texts' spellings are cached)
        ours_s = _timed(
            lambda q: CatalogSearch(catalog["services"], catalog["categories"]).search(q),
            keystrokes, 3 if quick else 10,
        )  # fmt: skip
        base_s = _timed(store.search, keystrokes, 3 if quick else 10)
    results.append(
        BenchResult.compare(
            "inputs.search_keystroke_p95",
            _p95(ours_s) * 1000,
            "ms",
            _p95(base_s) * 1000,
            "vs substring search",
        )  # fmt: skip
    )

    pinyin.load()
    letters = _each_prefix(LETTERS)
    ours_c = _timed(lambda s: pinyin.candidates(s, limit=30), letters, 3 if quick else 10)
    words = pinyin._lexicon().words

    def scan(typed: str) -> list[str]:
        return [w for w, spelled in words if pinyin._consumed(typed, spelled)[0] > 1]

    base_c = _timed(scan, letters, 1)
    results.append(
        BenchResult.compare(
            "inputs.candidates_keystroke_p95",
            _p95(ours_c) * 1000,
            "ms",
            _p95(base_c) * 1000,
            "vs scanning every word",
        )  # fmt: skip
    )
    return results


async def _taps(quick: bool) -> BenchResult:
    from textual.app import App, ComposeResult
    from textual.widgets import Button, Static

    from kiosk.widgets.numberpad import NumberPad

    class Host(App[None]):
        def __init__(self, pad: bool) -> None:
            super().__init__()
            self.pad, self.language = pad, "zh-Hans"
            self.elder = False

        def compose(self) -> ComposeResult:
            if self.pad:
                yield NumberPad(kind="phone")
            else:
                yield Button("1", id="pad-1")
                yield Static("", classes="pad-display")

        def on_button_pressed(self, event: Button.Pressed) -> None:
            if not self.pad:
                shown = self.query_one(".pad-display", Static)
                shown.update(str(shown.render()) + "1")

    async def measure(pad: bool, n: int) -> list[float]:
        app, samples = Host(pad), []
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            display = app.query_one(".pad-display", Static)
            for i in range(n):
                if pad and i % 10 == 9:
                    await pilot.click("#pad-clear")
                    await pilot.pause(0.15)
                before = str(display.render())
                start = time.perf_counter()
                await pilot.click("#pad-1")
                while str(display.render()) == before:
                    await asyncio.sleep(0.0005)
                samples.append(time.perf_counter() - start)
                await pilot.pause(0.15)  # past the double-tap guard
        return samples

    n = 10 if quick else 40
    ours, base = await measure(True, n), await measure(False, n)
    return BenchResult.compare(
        "inputs.numberpad_tap_p95", _p95(ours) * 1000, "ms", _p95(base) * 1000,
        "tap until the number shows, vs a bare button updating a label",
    )  # fmt: skip


def run(quick: bool) -> Iterable[BenchResult]:
    yield from _lookups(quick)
    yield asyncio.run(_taps(quick))
