"""`kiosk fuzz`: run the fuzz targets (kiosk/fuzz) and print inputs and crashes per target."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fuzz", help="fuzz the parsers that face the outside; exit 1 on a crash")
    p.add_argument("--target", action="append", default=[], metavar="NAME",
                   help="run only this target (repeatable); --list shows them")  # fmt: skip
    p.add_argument("--inputs", type=int, default=1000, help="inputs per target (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="same seed, same inputs (default 1)")
    p.add_argument("--json", action="store_true", help="one JSON object per target")
    p.add_argument("--list", action="store_true", help="list the targets and exit")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    import logging

    from kiosk.commands import fail
    from kiosk.fuzz.runner import run
    from kiosk.fuzz.targets import TARGETS

    if args.list:
        for target in TARGETS.values():
            print(f"{target.name:12} {target.what}")
        return 0
    unknown = [name for name in args.target if name not in TARGETS]
    if unknown or args.inputs < 1:
        return fail(f"unknown target {unknown[0]!r} (kiosk fuzz --list)" if unknown
                    else "--inputs must be at least 1", 2)  # fmt: skip
    import warnings

    logging.disable(logging.WARNING)  # refused requests are the point, not news
    warnings.simplefilter("ignore")  # Pillow's bomb warning, starlette's test client
    crashed = False
    if not args.json:
        print(f"{'target':12} {'inputs':>9} {'crashes':>8} {'seconds':>8}")
    for name in args.target or list(TARGETS):
        result = run(TARGETS[name], args.inputs, args.seed)
        crashed |= result.crashes > 0
        if args.json:
            print(json.dumps(result.to_json(), ensure_ascii=False), flush=True)
            continue
        print(
            f"{name:12} {result.inputs:>9} {result.crashes:>8} {result.seconds:>8.1f}", flush=True
        )
        for example in result.examples:
            print(f"    {example}", flush=True)
    return 1 if crashed else 0
