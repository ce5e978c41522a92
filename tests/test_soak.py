"""The soak at CI size: scripted resident sessions (apply: identify, form, submit, receipt,
rate; walk away: identify, countdown, timeout) in one kiosk on the emulated devices and the
built-in platform. Threads and open files must not grow after the warm-up, and every
submission a resident was told of reaches the platform once. The full size (2,000
sessions, with the memory limit) is `kiosk soak` (README "Unattended operation")."""

from __future__ import annotations

from kiosk.soak.run import SoakReport, run_soak

SESSIONS, WARMUP = 12, 8


def test_soak_ci_size() -> None:
    report: SoakReport = run_soak(SESSIONS, warmup=WARMUP)
    assert report.problems == [], report.problems  # every step of every session went through
    assert report.sessions == SESSIONS and report.applications == SESSIONS // 4
    assert report.before and report.after
    told = f"{report.summary()}\n{report.check()}"  # names the new threads / fds
    assert report.after.threads <= report.before.threads, told
    assert report.after.fds <= report.before.fds, told
    assert report.submitted == (SESSIONS + WARMUP) // 4  # warm-up submissions count too
    assert report.delivered == report.submitted, told
