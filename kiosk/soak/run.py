"""The soak: thousands of scripted resident sessions on the emulated devices and the
built-in platform, in one kiosk app (headless Textual), measuring what a long run leaks.

One session in four applies for a service (identify with the ID card, fill the form by
taps (the phone number on the on-screen pad), submit, the receipt prints, rate, 首页); the others identify and walk away (the
countdown, then the timeout wipe). After a warm-up, resident memory, threads and open file descriptors are
read; at the end again, once every submission has reached the platform.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk import allocator
from kiosk.memory import collect_and_release

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.soak.resident import Resident

APPLY_EVERY = 4  # one session in four applies; the others identify and walk away
RSS_GROWTH_LIMIT_MIB = 5.0


class ManualClock:
    """The inactivity timer's clock: walking away takes no wall time."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class Usage:
    rss_mib: float  # all resident pages: the kiosk's own and the files it maps
    anon_mib: float  # RssAnon: the memory the kiosk allocated, where a leak shows
    threads: int
    fds: int
    thread_names: list[str] = field(default_factory=list)  # Python's threads: who grew
    fd_kinds: dict[str, int] = field(default_factory=dict)  # socket, pipe, a file: what grew
    # jemalloc's bytes handed out: growth here is memory held, beyond it fragmentation
    allocated_mib: float | None = None

    @classmethod
    def now(cls) -> Usage:
        """Read at the state the kiosk reaches between residents (collected, freed pages
        given back): what stays is what the kiosk holds, not what malloc happens to cache
        at that instant (that swings by ±3 MiB from one second to the next)."""
        collect_and_release()
        status = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        return cls(
            int(status["VmRSS"].split()[0]) / 1024,
            int(status["RssAnon"].split()[0]) / 1024,
            len(os.listdir("/proc/self/task")),
            len(os.listdir("/proc/self/fd")),
            sorted(t.name for t in threading.enumerate()),
            dict(Counter(_fd_kind(fd) for fd in os.listdir("/proc/self/fd"))),
            (allocator.jemalloc_stats() or {}).get("allocated"),
        )


def _fd_kind(fd: str) -> str:
    try:
        target = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # closed meanwhile (the listing's own fd)
        return "gone"
    return target.partition(":")[0] if target.endswith("]") else target


@dataclass
class SoakReport:
    sessions: int = 0
    applications: int = 0
    timeouts: int = 0
    warmup: int = 0
    before: Usage | None = None
    after: Usage | None = None
    submitted: int = 0  # applications the residents were told are in
    delivered: int = 0  # of those, at the platform (once each: its key is unique there)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    allocator: str = field(default_factory=allocator.in_use)  # what the RSS was measured under

    @property
    def rss_growth_mib(self) -> float:
        """What is checked: the kiosk's own memory (RssAnon). The pages of the files it maps
        (libraries, fonts) count in RSS too, but the kernel drops and reloads those as other
        processes need memory: one run's RSS fell by 86 MiB while the test suite beside it
        ran out of memory, its RssAnon by nothing."""
        assert self.before and self.after
        return self.after.anon_mib - self.before.anon_mib

    def check(self) -> list[str]:
        """What a 24/7 terminal cannot afford; empty when the soak passed."""
        found = list(self.problems)
        if self.before and self.after:
            if self.rss_growth_mib > RSS_GROWTH_LIMIT_MIB:
                found.append(f"resident memory (RssAnon) grew {self.rss_growth_mib:.1f} MiB "
                             "after warm-up")  # fmt: skip
            if self.after.threads > self.before.threads:
                new = sorted(set(self.after.thread_names) - set(self.before.thread_names))
                found.append(f"threads {self.before.threads} -> {self.after.threads} (new: "
                             f"{', '.join(new) or 'not Python threads'})")  # fmt: skip
            if self.after.fds > self.before.fds:
                grew = (self.after.fd_kinds.get(k, 0) - self.before.fd_kinds.get(k, 0)
                        for k in self.after.fd_kinds)  # fmt: skip
                added = ", ".join(
                    f"+{n} {k}" for k, n in zip(self.after.fd_kinds, grew, strict=True) if n > 0
                )
                found.append(f"open fds {self.before.fds} -> {self.after.fds} ({added})")
        if self.delivered != self.submitted:
            found.append(f"{self.submitted} submitted, {self.delivered} delivered")
        return found

    def summary(self) -> str:
        before, after = self.before, self.after
        lines = [
            f"sessions: {self.sessions} after {self.warmup} warm-up "
            f"({self.applications} applications, {self.timeouts} timeouts) in {self.seconds:g} s",
            f"submitted {self.submitted}, delivered once {self.delivered}",
            f"allocator: {self.allocator}",
        ]
        if before and after:
            lines += [
                f"resident memory (RssAnon): {before.anon_mib:.1f} MiB -> {after.anon_mib:.1f} "
                f"MiB ({self.rss_growth_mib:+.1f}; limit +{RSS_GROWTH_LIMIT_MIB:g}); all of RSS "
                f"{before.rss_mib:.1f} -> {after.rss_mib:.1f} MiB",
                *(
                    [
                        f"jemalloc allocated: {before.allocated_mib:.1f} -> {after.allocated_mib:.1f} MiB"
                    ]
                    if before.allocated_mib is not None and after.allocated_mib is not None
                    else []
                ),
                f"threads: {before.threads} -> {after.threads}; open fds: {before.fds} -> "
                f"{after.fds}",
            ]
        return "\n".join(lines)

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        data["rss_growth_mib"] = round(self.rss_growth_mib, 2) if self.after else None
        data["problems"] = self.check()
        return data


async def soak(
    sessions: int,
    data_dir: Path,
    *,
    warmup: int | None = None,
    progress: Callable[[int, SoakReport], None] | None = None,
) -> SoakReport:
    from kiosk.app import KioskApp
    from kiosk.config import load_config
    from kiosk.soak.resident import QUICK_SERVICE, Resident

    warmup = max(10, sessions // 10) if warmup is None else warmup
    config = load_config(
        environ={
            "KIOSK_TERMINAL__DATA_DIR": str(data_dir),
            "KIOSK_DEVICES__SMARTCARD__MODE": "off",
            "KIOSK_DEVICES__CAMERA__MODE": "off",
            # the card is read at once rather than at 115200 baud: sessions, not UART timing
            "KIOSK_DEVICES__IDCARD__EMULATOR_PACE": "false",
            "KIOSK_DEVICES__IDCARD__POLL_INTERVAL_S": "0.1",
        }
    )
    clock = ManualClock()
    app = KioskApp(config, clock=clock)
    report = SoakReport(warmup=warmup)
    told: dict[str, str] = {}  # transaction key -> the reference the resident was shown
    started = time.monotonic()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            resident = Resident(app, pilot)
            await resident.services_up()
            await pilot.click("#lang-zh-Hans")
            for n in range(warmup + sessions):
                if n == warmup:
                    report.before = Usage.now()
                if n % APPLY_EVERY == 0:
                    await resident.open_service(QUICK_SERVICE)
                    await resident.identify()
                    await resident.fill_form()
                    submitted = await resident.submit()
                    told[submitted.key] = submitted.local_ref
                    await resident.receipt_printed()
                    await resident.rate_and_leave()
                    await resident.take_card()
                    # The emulated printer keeps every receipt (bytes up to 8 MiB, rendered
                    # pages without limit) for tests to inspect: that is the peer's record,
                    # not the kiosk's memory, so it is emptied as paper would be taken.
                    printer = app.services.printer
                    if printer is not None and printer.emulator is not None:
                        printer.emulator.clear()
                    report.applications += n >= warmup
                else:
                    await resident.identify_from_home()
                    await resident.walk_away(clock)
                    report.timeouts += n >= warmup
                await resident.until(lambda: app.session is None, "session over")
                report.sessions += n >= warmup
                if progress and n >= warmup:
                    progress(n - warmup + 1, report)
            report.submitted = len(told)
            report.delivered = await _delivered(app, resident, told)
            report.after = Usage.now()
    except Exception as exc:  # a stuck step: report it with what was measured so far
        report.problems.append(f"{type(exc).__name__}: {exc}")
    finally:
        app.services.stop()
        report.seconds = round(time.monotonic() - started, 1)
    return report


async def _delivered(app: KioskApp, resident: Resident, told: dict[str, str]) -> int:
    """Wait for the sync to drain; count the told keys the platform holds (once each)."""
    outbox, platform = app.services.outbox, app.services.platform
    assert outbox is not None and platform is not None  # the resident submitted through them
    await resident.until(lambda: outbox.pending_count() == 0, "outbox drained")
    delivered = 0
    for key, local_ref in told.items():
        reference = outbox.reference_for(key)
        found = platform.progress(local_ref) if reference else None
        delivered += found is not None and found.get("reference") == reference
    return delivered


def run_soak(
    sessions: int,
    warmup: int | None = None,
    progress: Callable[[int, SoakReport], None] | None = None,
) -> SoakReport:
    with tempfile.TemporaryDirectory(prefix="kiosk-soak-") as data_dir:
        return asyncio.run(soak(sessions, Path(data_dir), warmup=warmup, progress=progress))
