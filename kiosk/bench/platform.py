"""Platform at provincial scale: how many simulated terminals the reference server sustains
on PostgreSQL (2 server processes) with heartbeat p99 under 200 ms and no errors, and how
fast the console's terminal list answers at that size.

Baselines, measured in the same run: a no-op request (GET /v1/health) under the same load
for the heartbeat, and on the same server for the console list. Quick mode runs one small
step; the full run ramps up to 20,000 terminals (one minute per step), the size a province
like Guangdong runs."""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.bench import BenchResult

ORDER = 90
QUICK_STEPS, QUICK_MINUTES = (200,), 0.5
FULL_STEPS, FULL_MINUTES = (2500, 5000, 10000, 15000, 20000), 1.0


def run(quick: bool) -> Iterable[BenchResult]:
    from kiosk.platform.load import measure

    steps, minutes = (QUICK_STEPS, QUICK_MINUTES) if quick else (FULL_STEPS, FULL_MINUTES)
    reports, timing = measure(steps, minutes)
    for report in reports:
        yield BenchResult.compare(
            f"platform heartbeat p99 at {report.terminals} terminals",
            report.heartbeat_p99_ms, "ms", report.health_p99_ms,
            note=("sustained" if report.sustained else "NOT sustained")
            + f"; errors {sum(report.errors.values())}; p50 {report.heartbeat_p50_ms} ms",
        )  # fmt: skip
    last = reports[-1]
    yield BenchResult.compare(
        "platform terminals per free core (servers + PostgreSQL CPU)", last.terminals_per_core,
        "terminals", None, note=f"at {last.terminals} terminals: servers "
        f"{last.server_cpu_ms_per_request} ms + PostgreSQL {last.database_cpu_ms_per_request} ms "
        "CPU per request",
    )  # fmt: skip
    best = max((r.terminals for r in reports if r.sustained), default=0)
    yield BenchResult.compare(
        "platform terminals sustained (p99 < 200 ms, no errors)", best, "terminals",
        max(steps), note="baseline: the largest size tried",
    )  # fmt: skip
    yield BenchResult.compare(
        f"console terminal list at {max(steps)} terminals", timing.list_ms, "ms",
        timing.health_ms, note=f"p95 {timing.list_p95_ms} ms; search {timing.search_ms} ms",
    )  # fmt: skip
