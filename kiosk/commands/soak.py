"""`kiosk soak`: thousands of scripted resident sessions on the emulated devices and the
built-in platform; fails (exit 1) if memory, threads or open files grow after the warm-up,
or if any submission did not reach the platform exactly once."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("soak", help="long run of scripted resident sessions; leak checks")
    p.add_argument("--sessions", type=int, default=2000, help="measured sessions (default 2000)")
    p.add_argument("--warmup", type=int, help="sessions before the first reading (default 10%%)")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from kiosk.soak.run import SoakReport, Usage, run_soak

    def progress(done: int, report: SoakReport) -> None:
        if not args.json and done % 100 == 0:  # the trend, should a long run be cut short
            now = Usage.now()
            held = "" if now.allocated_mib is None else f", allocated {now.allocated_mib:.1f}"
            print(f"{done} sessions: RssAnon {now.anon_mib:.1f} MiB (RSS {now.rss_mib:.1f}{held}), "
                  f"threads {now.threads}, fds {now.fds}", file=sys.stderr, flush=True)  # fmt: skip

    report = run_soak(args.sessions, args.warmup, progress=progress)
    problems = report.check()
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False, default=vars))
    else:
        print(report.summary())
        for problem in problems:
            print(f"FAIL: {problem}")
    return 1 if problems else 0
