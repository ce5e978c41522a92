"""`kiosk platform`: run the reference server and manage its terminals, commands and keys.

Terminals are enrolled by their Ed25519 public key (`terminal-key` on the terminal, `enroll`
on the server): the server never holds anything that can sign as a terminal. `serve --demo`
alone accepts the demo terminal and its public secret.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiosk.commands import config_from, fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("platform", help="reference platform server and its tools")
    psub = p.add_subparsers(dest="platform_command", metavar="ACTION", required=True)

    def server_args(q: argparse.ArgumentParser) -> None:
        q.add_argument("--data-dir", help="server data dir (default: <terminal data_dir>/platform)")
        q.add_argument("--database-url", help="postgresql://… (default: SQLite in the data dir)")

    q = psub.add_parser("serve", help="run the reference platform server in the foreground")
    q.add_argument("--host", help="listen address (default from config: 127.0.0.1)")
    q.add_argument("--port", type=int, help="listen port (default from config: 8700; 0: any)")
    q.add_argument("--fault", action="append", default=[], metavar="SPEC",
                   help="misbehave, e.g. drop:n=2, 5xx:p=0.2,status=502, 429:seconds=3, "
                        "latency:seconds=0.5, malformed:n=1, schema:n=1 (repeatable)")  # fmt: skip
    q.add_argument("--demo", action="store_true",
                   help="also accept the demo terminal KIOSK-DEMO-0001 with its PUBLIC secret "
                        "(demos and tests only)")  # fmt: skip
    q.add_argument("--quiet", action="store_true", help="no access log (load runs)")
    server_args(q)
    q.set_defaults(handler=serve)

    q = psub.add_parser("load", help="simulate N terminals against platform servers on loopback "
                                     "(PostgreSQL) and report what they sustain")  # fmt: skip
    q.add_argument("--terminals", type=int, default=1000, help="simulated terminals (max 50000)")
    q.add_argument("--minutes", type=float, default=2.0, help="run time per step (max 30)")
    q.add_argument("--steps", help="comma-separated terminal counts to ramp through "
                                   "(default: just --terminals)")  # fmt: skip
    q.add_argument("--servers", type=int, default=2, help="server processes (default 2)")
    q.add_argument(
        "--database-url", help="postgresql://… on loopback (default: a throwaway cluster)"
    )
    q.add_argument("--json", action="store_true", help="one JSON object per step, then the console")
    q.set_defaults(handler=load)

    q = psub.add_parser("command", help="queue a command for a terminal's next heartbeat")
    q.add_argument("terminal", help="terminal id, e.g. KIOSK-DEMO-0001")
    q.add_argument("action", choices=["lock", "unlock", "refresh_catalog",
                                      "collect_diagnostics", "restart"])  # fmt: skip
    q.add_argument("--message", default="", help="lock: what the out-of-service screen says")
    server_args(q)
    q.set_defaults(handler=command)

    q = psub.add_parser("operator", help="add or change an operators' console account")
    q.add_argument("username")
    q.add_argument("--role", choices=["operator", "auditor"], default="operator",
                   help="operator acts and sees real-name contacts; auditor only reads")  # fmt: skip
    q.add_argument("--password-file", help="read the password from this file (default: prompt, "
                                           "or one line on stdin)")  # fmt: skip
    server_args(q)
    q.set_defaults(handler=operator)

    q = psub.add_parser("admin-token", help="print the admin token for /_admin calls")
    q.add_argument("--data-dir", help="server data dir (default: <terminal data_dir>/platform)")
    q.set_defaults(handler=admin_token)

    q = psub.add_parser("enroll", help="enroll a terminal by its Ed25519 public key")
    q.add_argument("terminal", help="terminal id")
    q.add_argument("--public-key", metavar="KEY",
                   help="the terminal's public key: base64 (as `terminal-key` prints) or a PEM "
                        "file; without it a key pair is made and the private key written to "
                        "--key-out, for a technician to carry to the terminal")  # fmt: skip
    q.add_argument("--key-out", metavar="FILE", help="where to write a new private key (0600)")
    server_args(q)
    q.set_defaults(handler=enroll)

    q = psub.add_parser("terminal-key", help="on the terminal: make its Ed25519 signing key")
    q.add_argument("--out", metavar="FILE",
                   help="private key file (default: platform.key_file, else "
                        "<data_dir>/terminal_ed25519.key, or terminal_sm2.key with "
                        "platform.crypto = \"gm\")")  # fmt: skip
    q.set_defaults(handler=terminal_key)

    q = psub.add_parser("qr-token", help="demo: issue a one-time QR login token for a resident")
    q.add_argument("id_number", help="a demo resident's ID number")
    q.add_argument("--qr", action="store_true", help="also draw the QR code in the terminal")
    server_args(q)
    q.set_defaults(handler=qr_token)

    q = psub.add_parser("openapi", help="print the API document (openapi.yaml)")
    q.add_argument("--write", action="store_true", help="regenerate openapi.yaml from the models")
    q.set_defaults(handler=openapi)

    q = psub.add_parser("keygen", help="create the server's X25519 key pair for outbox sealing")
    q.add_argument("--data-dir", help="server data dir (default: <terminal data_dir>/platform)")
    q.add_argument("--force", action="store_true",
                   help="replace an existing key (items sealed to the old key will be rejected)")  # fmt: skip
    q.set_defaults(handler=keygen)


def _data_dir(args: argparse.Namespace) -> tuple[Path, str | None]:
    config = config_from(args)
    pc = config.platform
    data = (
        Path(args.data_dir).expanduser()
        if args.data_dir
        else pc.server_data_path(config.terminal.data_path)
    )
    url = getattr(args, "database_url", None) or pc.database_url or None
    return data, url


def _storage(args: argparse.Namespace):  # noqa: ANN202 - lazy import
    from kiosk.platform.server.db import Storage

    data, url = _data_dir(args)
    return Storage.open(data, url)


def serve(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from kiosk.platform.server.app import PlatformServer
    from kiosk.platform.server.faults import Fault

    config = config_from(args)
    data, url = _data_dir(args)
    try:
        faults = [Fault.parse(spec) for spec in args.fault]
    except ValueError as exc:
        return fail(str(exc), 2)
    host = args.host or config.platform.listen_host
    port = config.platform.listen_port if args.port is None else args.port
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    import cv2

    # One request's face check (a stand-in for the province's 人证比对 service) must not
    # take every core from the heartbeats queued behind it.
    cv2.setNumThreads(1)
    server = PlatformServer(data, url, faults, demo=args.demo)
    where = url.split("@")[-1] if url else str(data / "platform.sqlite3")
    print(f"platform server on http://{host}:{port} (data {data}, database {where})", flush=True)
    if args.demo:
        print("DEMO: accepting terminal KIOSK-DEMO-0001 with its public demo secret; "
              "never expose this server", flush=True)  # fmt: skip
    print(f"public key for terminals: {server.public_key_path}", flush=True)
    try:
        uvicorn.run(server.app, host=host, port=port, lifespan="off",
                    log_level="warning" if args.quiet else "info", access_log=not args.quiet)  # fmt: skip
    finally:
        server.close()
    return 0


def command(args: argparse.Namespace) -> int:
    """Queued straight in the database (whoever can open it needs no console login),
    recorded in the terminal's history and the audit trail as the shell user."""
    import getpass
    import time

    from kiosk.platform.server.console.fleet import Fleet
    from kiosk.platform.server.console.settings import ConsoleSettings
    from kiosk.platform.server.console.tables import Tables

    storage = _storage(args)
    try:
        if storage.terminal_key(args.terminal) is None:
            return fail(
                f"unknown terminal {args.terminal!r} (enroll it with `kiosk platform enroll`)"
            )
        tables = Tables(storage)
        actor = f"cli:{getpass.getuser()}"
        now = time.time()
        command_id = Fleet(tables, ConsoleSettings()).command(
            args.terminal, args.action, args.message, actor, now
        )
        tables.audit(actor, f"command_{args.action}", args.terminal,
                     f"#{command_id} {args.message}", "local", now)  # fmt: skip
    finally:
        storage.close()
    print(
        f"queued {args.action} for {args.terminal} (command {command_id}); delivered on its next heartbeat"
    )
    return 0


def operator(args: argparse.Namespace) -> int:
    import getpass
    import time

    from kiosk.platform.server.console.accounts import Accounts
    from kiosk.platform.server.console.settings import ConsoleSettings
    from kiosk.platform.server.console.tables import Tables

    if args.password_file:
        password = Path(args.password_file).read_text(encoding="utf-8").strip()
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.username}: ")
    else:
        password = sys.stdin.readline().strip()
    storage = _storage(args)
    try:
        tables = Tables(storage)
        Accounts(tables, ConsoleSettings()).add(args.username, password, args.role)
        tables.audit(f"cli:{getpass.getuser()}", "operator_set", args.username, args.role,
                     "local", time.time())  # fmt: skip
    except ValueError as exc:
        return fail(str(exc), 2)
    finally:
        storage.close()
    print(f"console account {args.username} ({args.role}) saved")
    return 0


def admin_token(args: argparse.Namespace) -> int:
    from kiosk.platform.server.console.web import load_admin_token

    data, _ = _data_dir(args)
    data.mkdir(parents=True, exist_ok=True)
    print(load_admin_token(data))
    return 0


def load(args: argparse.Namespace) -> int:
    import json

    from kiosk.platform.load import LoadReport, check_bounds, check_loopback, measure
    from kiosk.platform.pgcluster import NoPostgres

    steps = [int(x) for x in args.steps.split(",")] if args.steps else [args.terminals]
    try:
        for n in steps:
            check_bounds(n, args.minutes)
        if args.database_url:
            check_loopback("http://" + args.database_url.split("@")[-1].split("/")[0])
        if not 1 <= args.servers <= 8:
            raise ValueError("--servers must be 1 to 8")
    except ValueError as exc:
        return fail(str(exc), 2)

    def show(report: LoadReport) -> None:
        if args.json:
            print(json.dumps(report.to_json(), ensure_ascii=False), flush=True)
        else:
            verdict = "sustained" if report.sustained else "NOT sustained"
            print(f"{report.terminals:>6} terminals, {report.minutes:g} min: heartbeat p50 "
                  f"{report.heartbeat_p50_ms} ms, p99 {report.heartbeat_p99_ms} ms (no-op request "
                  f"p99 {report.health_p99_ms} ms), requests {report.requests}, errors "
                  f"{report.errors or 0}, generator lag {report.max_lag_s:.2f} s: {verdict}; CPU per "
                  f"request: servers {report.server_cpu_ms_per_request} ms, PostgreSQL "
                  f"{report.database_cpu_ms_per_request} ms (~{report.terminals_per_core} "
                  f"terminals per free core)", flush=True)  # fmt: skip
            for sample in report.error_samples:
                print(f"    {sample}", flush=True)

    try:
        reports, timing = measure(steps, args.minutes, servers=args.servers,
                                  database_url=args.database_url, progress=show)  # fmt: skip
    except (NoPostgres, RuntimeError) as exc:
        return fail(str(exc))
    best = max((r.terminals for r in reports if r.sustained), default=0)
    summary = {"sustained_terminals": best, "servers": args.servers,
               "console_terminals": max(steps),
               "console_list_ms": timing.list_ms,
               "console_list_p95_ms": timing.list_p95_ms,
               "console_search_ms": timing.search_ms,
               "health_ms": timing.health_ms}  # fmt: skip
    if args.json:
        print(json.dumps(summary), flush=True)
    else:
        print(f"sustained: {best} terminals with heartbeat p99 < 200 ms and no errors "
              f"({args.servers} server processes, PostgreSQL)")  # fmt: skip
        print(f"console terminal list with {max(steps)} terminals registered: median "
              f"{timing.list_ms} ms, p95 {timing.list_p95_ms} ms; search {timing.search_ms} ms "
              f"(no-op request {timing.health_ms} ms)")  # fmt: skip
    return 0 if best else 1


def enroll(args: argparse.Namespace) -> int:
    from kiosk.platform.signing import generate_terminal_key, public_key_b64, read_public_key

    if args.public_key:
        given = Path(args.public_key).expanduser()
        try:
            text = given.read_text() if given.is_file() else args.public_key
            scheme, public = read_public_key(text)
        except (OSError, ValueError) as exc:
            return fail(f"--public-key: not an Ed25519 or SM2 public key ({exc})", 2)
    elif args.key_out:
        out = Path(args.key_out).expanduser()
        if out.exists():
            return fail(f"{out} exists; not overwriting a key", 2)
        scheme, public = "ed25519", public_key_b64(generate_terminal_key(out).public_key())
    else:
        return fail("give --public-key (from `kiosk platform terminal-key` on the terminal) "
                    "or --key-out FILE", 2)  # fmt: skip
    storage = _storage(args)
    try:
        storage.enroll(args.terminal, public, scheme)
    finally:
        storage.close()
    print(f"terminal {args.terminal} enrolled ({scheme} public key {public})")
    if not args.public_key:
        print(f"private key: {args.key_out} (0600): copy it to the terminal as "
              "platform.key_file, then delete it here")  # fmt: skip
    return 0


def terminal_key(args: argparse.Namespace) -> int:
    from kiosk import gm
    from kiosk.platform.signing import generate_terminal_key, public_key_b64
    from kiosk.platform.wiring import terminal_key_path

    config = config_from(args)
    out = Path(args.out).expanduser() if args.out else terminal_key_path(config)
    if out.exists():
        return fail(f"{out} exists; not overwriting this terminal's key", 2)
    if config.platform.crypto == "gm":
        public = gm.write_private_key(out).public_key().text
    else:
        public = public_key_b64(generate_terminal_key(out).public_key())
    print(f"private key: {out} (0600, never leaves this terminal)")
    print(f"enroll on the platform: kiosk platform enroll <TERMINAL-ID> --public-key {public}")
    return 0


def qr_token(args: argparse.Namespace) -> int:
    """Demo tool: who can run it holds the server's data, which is the admin credential."""
    from kiosk.platform.server.app import PlatformServer

    data, url = _data_dir(args)
    server = PlatformServer(data, url)
    try:
        body = server.new_qr_token(args.id_number.strip())
    finally:
        server.close()
    if body is None:
        return fail("no demo resident with this ID number")
    print_json(body)
    if args.qr:
        import qrcode

        code = qrcode.QRCode(border=1)
        code.add_data(body["token"])
        code.print_ascii(out=sys.stdout, invert=True)
    return 0


def openapi(args: argparse.Namespace) -> int:
    from kiosk.platform.openapi import DOCUMENT_PATH, document_text

    text = document_text()
    if args.write:
        DOCUMENT_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {DOCUMENT_PATH}", file=sys.stderr)
    sys.stdout.write(text)
    return 0


def keygen(args: argparse.Namespace) -> int:
    from kiosk.offline import crypto
    from kiosk.platform.server.app import PRIVATE_KEY_FILE, PUBLIC_KEY_FILE

    data, _ = _data_dir(args)
    private, public = data / PRIVATE_KEY_FILE, data / PUBLIC_KEY_FILE
    if private.exists() and not args.force:
        return fail(f"{private} exists; --force replaces it (items sealed to it become unreadable)")
    key = crypto.generate_keypair(private, public)
    print(f"key id {crypto.key_id(key.public_key())}")
    print(f"private key: {private} (0600, stays on the server)")
    print(f"public key:  {public} (copy to terminals as platform.public_key_file)")
    return 0
