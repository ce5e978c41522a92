"""Figures of a soak (kiosk/soak/run.py): resident sessions on the emulated devices and the
built-in platform, after a warm-up. Baselines are the readings after the warm-up, so a ratio
of 1 means no growth; deliveries are against submissions (1 = each delivered once).
`kiosk soak` is the full-size run (2,000 sessions) that fails on growth."""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.bench import BenchResult

ORDER = 90  # slow: after the quick groups


def run(quick: bool) -> Iterable[BenchResult]:
    from kiosk.soak.run import run_soak

    sessions = 40 if quick else 400
    report = run_soak(sessions)
    before, after = report.before, report.after
    if before is None or after is None:
        raise RuntimeError(f"soak did not finish: {report.check()}")
    note = f"{report.sessions} sessions after {report.warmup} warm-up; baseline: after warm-up"
    yield BenchResult.compare("soak.rss_anon_after_sessions", after.anon_mib, "MiB",
                              before.anon_mib, note=note)  # fmt: skip
    yield BenchResult.compare("soak.rss_after_sessions", after.rss_mib, "MiB", before.rss_mib,
                              note=note + "; with mapped files' pages")  # fmt: skip
    yield BenchResult.compare("soak.threads_after_sessions", after.threads, "threads",
                              before.threads, note=note)  # fmt: skip
    yield BenchResult.compare("soak.open_fds_after_sessions", after.fds, "fds", before.fds,
                              note=note)  # fmt: skip
    yield BenchResult.compare("soak.delivered_once", report.delivered, "items", report.submitted,
                              note="baseline: submissions the residents were told of")  # fmt: skip
    yield BenchResult.compare("soak.session_time", report.seconds / max(1, report.sessions
                              + report.warmup), "s", None, note="wall time per session, "
                              "incl. start-up; tap-paced, a loaded machine is slower")  # fmt: skip
