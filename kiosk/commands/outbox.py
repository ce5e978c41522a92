"""`kiosk outbox`: the technician's view of the durable outbox (status, sync, dead letters)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.commands import config_from, fail, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("outbox", help="queued submissions: status, sync now, dead letters, lookup")
    osub = p.add_subparsers(dest="outbox_command", metavar="ACTION")
    st = osub.add_parser("status", help="depth, oldest item, dead letters, last sync result")
    st.add_argument("--json", action="store_true")
    osub.add_parser("sync", help="deliver the backlog now (progress on stderr)")
    dl = osub.add_parser("dead-letters", help="items the platform refused: list, retry, discard")
    dl.add_argument("action", nargs="?", default="list", choices=("list", "retry", "discard"))
    dl.add_argument("key", nargs="?", help="idempotency key of the item (retry/discard)")
    dl.add_argument("--reason", help="why the item is discarded (required for discard)")
    dl.add_argument("--json", action="store_true")
    lk = osub.add_parser("lookup", help="trace a receipt's terminal reference (local_ref)")
    lk.add_argument("local_ref")
    lk.add_argument("--json", action="store_true")
    p.set_defaults(handler=handle, outbox_command="status", json=False)


def outbox_path(config: Any) -> Path:
    return Path(config.outbox.path or config.terminal.data_path / "outbox.sqlite3").expanduser()


def handle(args: argparse.Namespace) -> int:
    from kiosk.offline.outbox import Outbox, OutboxError

    config = config_from(args)
    path = outbox_path(config)
    if not path.exists():
        return fail(f"no outbox at {path} (nothing was ever queued on this terminal)")
    try:
        box = Outbox.open(path, None, terminal_id=config.terminal.id, checkpoint_interval_s=0)
    except OutboxError as exc:
        return fail(str(exc))
    try:
        action = args.outbox_command
        if action == "status":
            return _status(box, args)
        if action == "sync":
            return _sync(box, config)
        if action == "dead-letters":
            return _dead_letters(box, args)
        return _lookup(box, args)
    except OutboxError as exc:
        return fail(str(exc))
    finally:
        box.close()


def _ago(ts: float | None) -> str:
    if ts is None:
        return "never"
    seconds = max(0, int(time.time() - ts))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _status(box: Any, args: argparse.Namespace) -> int:
    stats = box.stats()
    if args.json:
        print_json({"path": str(box.path), **dataclasses.asdict(stats)})
        return 0
    age = "-" if stats.oldest_age_s is None else f"{stats.oldest_age_s:.0f} s"
    print(f"outbox          {box.path}")
    print(f"queued items    {stats.depth} ({stats.bytes / 1024:.0f} KiB)")
    print(f"oldest item     {age}")
    print(f"dead letters    {stats.dead_letters}")
    print(f"last sync       {stats.last_sync_result or 'never'} ({_ago(stats.last_sync_at)})")
    print(f"last success    {_ago(stats.last_success_at)}")
    if stats.last_error:
        print(f"last error      {stats.last_error}")
    return 0


def _client(config: Any) -> tuple[Any, Any]:
    """The platform client the kiosk would use: built-in server or the remote platform."""
    from kiosk.platform.client import PlatformClient
    from kiosk.platform.wiring import connect

    pc = config.platform
    base_url, secret, _, embedded = connect(config)
    client = PlatformClient(
        base_url, config.terminal.id, secret, timeout=pc.timeout_s, ca_file=pc.ca_file
    )
    return client, embedded


def _sync(box: Any, config: Any) -> int:
    from kiosk.offline.sync import SyncProgress, SyncWorker

    client, embedded = _client(config)
    started = time.monotonic()

    def bar(p: SyncProgress) -> None:
        width = 30
        filled = int(width * p.done / p.total) if p.total else width
        rate = p.done / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {p.done}/{p.total} "
            f"({p.dead_lettered} refused) {rate:.0f}/s "
        )
        sys.stderr.flush()

    try:
        worker = SyncWorker(box, client, config.outbox)
        report = worker.sync_now(progress=bar)
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()
    sys.stderr.write("\n")
    print(
        f"delivered {report.delivered} ({report.duplicates} already known), "
        f"refused {report.dead_lettered}, still queued {report.pending}"
    )
    if report.error:
        return fail(f"sync stopped: {report.error}; the items stay queued")
    return 0


def _dead_letters(box: Any, args: argparse.Namespace) -> int:
    if args.action == "list":
        letters = box.dead_letters(limit=1000)
        if args.json:
            print_json([dataclasses.asdict(d) for d in letters])
            return 0
        if not letters:
            print("no dead letters")
        for d in letters:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(d.dead_at))
            print(f"{d.key}  {d.local_ref}  {d.kind:<11} {when}  {d.reason}")
        return 0
    if not args.key:
        return fail(
            f"dead-letters {args.action} needs the item's KEY (see `kiosk outbox dead-letters`)"
        )
    if args.action == "retry":
        if not box.retry_dead_letter(args.key, actor="cli"):
            return fail(f"no dead letter with key {args.key}")
        print(f"{args.key}: queued again; it goes out with the next sync")
        return 0
    if not (args.reason or "").strip():
        return fail("discard needs --reason TEXT (kept in the audit log)")
    if not box.discard_dead_letter(args.key, args.reason, actor="cli"):
        return fail(f"no dead letter with key {args.key}")
    print(f"{args.key}: discarded (recorded in the audit log)")
    return 0


def _lookup(box: Any, args: argparse.Namespace) -> int:
    found = box.lookup(args.local_ref)
    if found is None:
        return fail(f"{args.local_ref}: not known on this terminal (or purged after retention)")
    if args.json:
        print_json(dataclasses.asdict(found))
        return 0
    print(f"{found.local_ref}: {found.state}")
    if found.reference:
        print(f"platform reference  {found.reference}")
    if found.reason:
        print(f"reason              {found.reason}")
    if found.attempts is not None:
        print(f"attempts            {found.attempts}")
    if found.last_error:
        print(f"last error          {found.last_error}")
    return 0
