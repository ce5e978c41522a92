"""`kiosk diag`: every configured device with status, details and a self-test, for a
technician at the terminal or over SSH. Exit code 1 when any device is not healthy."""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

SELF_TEST_TIMEOUT_S = 15.0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "diag", help="device status and self-tests (exit 1 if any device is unhealthy)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-self-test", action="store_true", help="status only, no active tests")
    p.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="S",
        help="time for devices to settle (default 10)",
    )
    p.add_argument("--bundle", metavar="FILE",
                   help="also write a diagnostics bundle (tar.gz: config without secrets, "
                        "versions, device status with raw bytes, masked recent logs)")  # fmt: skip
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from kiosk.commands import config_from, print_json
    from kiosk.services import Services

    config = config_from(args)
    services = Services(config)
    try:
        services.start()
        report = collect(services, wait=args.wait, self_test=not args.no_self_test)
    finally:
        services.stop()
    report["config"] = config.source
    if args.bundle:
        from pathlib import Path

        from kiosk.diagbundle import build

        Path(args.bundle).write_bytes(build(config, report["devices"], report["outbox"]))
        print(f"diagnostics bundle: {args.bundle}", file=sys.stderr)
    if args.json:
        print_json(report)
    else:
        print_human(report)
    return 0 if report["healthy"] else 1


def settle(services: Any, wait: float) -> None:
    """Give adapters time to connect: until every state is stable for a second, or `wait`."""
    deadline = time.monotonic() + wait
    previous = None
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        states = [(h.device, str(h.state)) for h in services.health()]
        if states != previous:
            previous, stable_since = states, time.monotonic()
        elif (
            time.monotonic() - stable_since >= 1.0
            and all(s == "online" for _, s in states)
            or time.monotonic() - stable_since >= 3.0
        ):
            return
        time.sleep(0.25)


def collect(services: Any, *, wait: float, self_test: bool) -> dict[str, Any]:
    settle(services, wait)
    tests: dict[str, Any] = {}
    if self_test and services.devices:
        with ThreadPoolExecutor(max_workers=len(services.devices)) as pool:
            futures = {kind: pool.submit(dev.self_test) for kind, dev in services.devices.items()}
            for kind, future in futures.items():
                try:
                    tests[kind] = future.result(timeout=SELF_TEST_TIMEOUT_S).to_json()
                except FutureTimeout:
                    tests[kind] = {
                        "device": kind,
                        "passed": False,
                        "message": "self-test timed out",
                        "details": {},
                    }
                except Exception as exc:  # a crashing self-test is a failed one
                    tests[kind] = {
                        "device": kind,
                        "passed": False,
                        "message": f"self-test error: {exc}",
                        "details": {},
                    }
    devices = []
    for health in services.health():
        entry = health.to_json()
        if health.device in tests:
            entry["self_test"] = tests[health.device]
            entry["healthy"] = entry["healthy"] and tests[health.device]["passed"]
        devices.append(entry)
    return {
        "terminal": services.config.terminal.id,
        "devices": devices,
        "platform": platform_status(services),
        "outbox": outbox_status(services),
        "healthy": all(d["healthy"] for d in devices),
    }


def outbox_status(services: Any) -> dict[str, Any]:
    return services.outbox_status()


def platform_status(services: Any) -> dict[str, Any]:
    network, pending = services.network_state()
    status: dict[str, Any] = {
        "mode": services.config.platform.mode,
        "network": network,
        "outbox_pending": pending,
    }
    if "platform" in services.failures:
        status["error"] = services.failures["platform"]
    client = services.platform
    if client is not None:
        status["url"] = getattr(client, "base_url", "")
        try:
            client.health()
            status["reachable"] = True
        except Exception as exc:
            status["reachable"] = False
            status["error"] = str(exc)
    return status


def _details(details: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in details.items() if v not in (None, "", [], {}))


def print_human(report: dict[str, Any]) -> None:
    out = sys.stdout
    out.write(f"Terminal {report['terminal']} (config: {report['config']})\n")
    out.write(f"{'DEVICE':10} {'STATE':14} {'SELF-TEST':10} MESSAGE / DETAILS\n")
    for d in report["devices"]:
        test = d.get("self_test")
        verdict = "-" if test is None else ("pass" if test["passed"] else "FAIL")
        out.write(f"{d['device']:10} {d['state']:14} {verdict:10} {d['message']}\n")
        if d["details"]:
            out.write(f"{'':36}{_details(d['details'])}\n")
        if test and not test["passed"]:
            out.write(f"{'':36}self-test: {test['message']}\n")
    p = report["platform"]
    reach = {True: "reachable", False: "UNREACHABLE"}.get(p.get("reachable"), "not started")
    out.write(
        f"{'platform':10} {p['network']:14} {'':10} {p['mode']} {p.get('url', '')} {reach}"
        f" outbox_pending={p['outbox_pending']}\n"
    )
    if p.get("error"):
        out.write(f"{'':36}{p['error']}\n")
    o = report["outbox"]
    if o["available"]:
        out.write(
            f"{'outbox':10} {'depth ' + str(o['depth']):14} {'':10} dead_letters={o['dead_letters']}"
            f" oldest_age_s={o['oldest_age_s']} last_sync={o['last_sync_result']}\n"
        )
    else:
        out.write(f"{'outbox':10} {'UNAVAILABLE':14} {'':10} {o['error']}\n")
    out.write("all devices healthy\n" if report["healthy"] else "SOME DEVICES ARE NOT HEALTHY\n")
