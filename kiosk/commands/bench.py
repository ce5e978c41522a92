"""`kiosk bench`: speed and memory figures, each against a baseline measured in the same run."""

from __future__ import annotations

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="run the benchmarks (machine-readable with --json)")
    p.add_argument("--quick", action="store_true", help="fewer repetitions: under a minute")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("groups", nargs="*", help="only these groups (e.g. startup outbox)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from kiosk.bench import groups, run_all

    known = {m.__name__.rsplit(".", 1)[-1] for m in groups()}
    unknown = set(args.groups) - known
    if unknown:
        print(
            f"error: unknown benchmark group(s) {sorted(unknown)}; known: {sorted(known)}",
            file=sys.stderr,
        )
        return 2
    if not args.json:
        print(f"{'benchmark':48} {'value':>12} {'unit':8} {'baseline':>12} {'ratio':>8}")
    for result in run_all(args.quick, args.groups):
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
        else:
            base = "" if result.baseline is None else f"{result.baseline:.4g}"
            ratio = "" if result.ratio is None else f"{result.ratio:.3g}"
            print(
                f"{result.name:48} {result.value:12.4g} {result.unit:8} {base:>12} {ratio:>8}",
                flush=True,
            )
    return 0
