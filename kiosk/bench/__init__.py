"""Benchmarks run by `kiosk bench`.

Every module here with a `run(quick: bool) -> Iterable[BenchResult]` function is a benchmark
group; `ORDER` (an int, default 100) sorts the groups. Each result compares a figure with a
baseline measured in the same run, so the ratio means something on a noisy machine.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from types import ModuleType


@dataclass(frozen=True)
class BenchResult:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    ratio: float | None = None  # value / baseline
    note: str = ""

    @classmethod
    def compare(
        cls, name: str, value: float, unit: str, baseline: float | None, note: str = ""
    ) -> BenchResult:
        ratio = round(value / baseline, 3) if baseline else None
        return cls(
            name,
            round(value, 6),
            unit,
            None if baseline is None else round(baseline, 6),
            ratio,
            note,
        )

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        if not data["note"]:
            del data["note"]
        return data


def groups() -> list[ModuleType]:
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "run"):
            modules.append(module)
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of fn over `repeat` calls, in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run_all(quick: bool, only: Iterable[str] = ()) -> Iterable[BenchResult]:
    wanted = set(only)
    for module in groups():
        short = module.__name__.rsplit(".", 1)[-1]
        if wanted and short not in wanted:
            continue
        yield from module.run(quick)
