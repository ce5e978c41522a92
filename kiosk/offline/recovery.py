"""Salvage a damaged outbox into a new one: every readable item carried over once.

A torn copy (files copied while the writer ran, a WAL cut short) or a damaged disk can leave
a database that opens but whose tables and indexes disagree. The damaged file is kept aside
(Outbox.open moves it); this module reads each table row by row through the table itself,
never its indexes, skipping what cannot be read, and writes what it read into a fresh outbox
in one transaction: delivered records first (so a delivered key is never queued again), then
dead letters, then queued items, each key once. Counters are set past every reference seen,
so no new item can collide with an old one. What could not be read is listed for staff in
the report (and in `<damaged file>.recovery.json`).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from dataclasses import asdict, dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

_TABLES = ("delivered", "dead_letter", "outbox", "audit", "streams", "meta")
_BATCH = 500
_MAX_SKIP = 1 << 20  # rowids skipped past an unreadable page before giving up on a table
_COUNTER = re.compile(r"-(\d+)$")


@dataclass
class RecoveryReport:
    damaged_file: str
    reason: str
    carried: dict[str, int] = field(default_factory=dict)  # table -> rows carried over
    duplicates: int = 0  # keys or references seen twice (kept once)
    unreadable: list[str] = field(default_factory=list)  # what staff should know was lost

    def summary(self) -> str:
        queued = self.carried.get("outbox", 0)
        dead = self.carried.get("dead_letter", 0)
        text = (
            f"the outbox was damaged ({self.reason}) and was rebuilt: {queued} queued item(s) "
            f"and {dead} dead letter(s) carried over; the damaged file is kept at "
            f"{self.damaged_file}"
        )
        if self.unreadable:
            text += "; could not be read: " + "; ".join(self.unreadable[:5])
            if len(self.unreadable) > 5:
                text += f" (and {len(self.unreadable) - 5} more, see the .recovery.json file)"
        return text


def recover(damaged: Path, target: sqlite3.Connection, reason: str) -> RecoveryReport:
    """Copy what can be read from `damaged` into `target` (a fresh, empty outbox schema)."""
    report = RecoveryReport(str(damaged), reason)
    try:
        source = sqlite3.connect(f"file:{damaged}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        report.unreadable.append(f"the whole file ({exc})")
        _write_report(damaged, report)
        return report
    try:
        rows = {table: _read_table(source, table, report) for table in _TABLES}
    finally:
        source.close()
    target.execute("BEGIN IMMEDIATE")
    try:
        _write(target, rows, report)
        target.execute("COMMIT")
    except BaseException:
        target.execute("ROLLBACK")
        raise
    _write_report(damaged, report)
    log.error("outbox recovered: %s", report.summary())
    return report


def _columns(source: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in source.execute(f"PRAGMA table_info({table})")]


def _read_table(
    source: sqlite3.Connection, table: str, report: RecoveryReport
) -> list[dict[str, object]]:
    """Every readable row, by rowid through the table b-tree (NOT INDEXED)."""
    try:
        columns = _columns(source, table)
    except sqlite3.Error as exc:
        report.unreadable.append(f"table {table} ({exc})")
        return []
    if not columns:
        report.unreadable.append(f"table {table} (missing)")
        return []
    names = ", ".join(columns)
    out: list[dict[str, object]] = []
    after, skip = -(1 << 62), 1
    while True:
        try:
            batch = source.execute(
                f"SELECT rowid, {names} FROM {table} NOT INDEXED WHERE rowid > ?"
                f" ORDER BY rowid LIMIT {_BATCH}",
                (after,),
            ).fetchall()
        except sqlite3.Error as exc:
            if skip > _MAX_SKIP:
                report.unreadable.append(f"{table}: rows after rowid {after} ({exc})")
                return out
            report.unreadable.append(f"{table}: rows near rowid {after + 1} ({exc})")
            after += skip
            skip *= 2
            continue
        skip = 1
        if not batch:
            return out
        # A damaged b-tree can hand back rows out of order or the same rows again (a page
        # that points back into the tree): reading on would loop until memory runs out
        # (seen once in tests/test_outbox_torn_copy.py: the test process reached 24 GiB).
        # Only rowids past the last one read count; none past it ends the table.
        fresh = [row for row in batch if row[0] > after]
        for row in fresh:
            out.append(dict(zip(columns, row[1:], strict=True)))
            after = max(after, row[0])
        if len(fresh) < len(batch):
            report.unreadable.append(f"{table}: rows after rowid {after} (the table loops back)")
            if not fresh:
                return out


def _write(
    target: sqlite3.Connection, rows: dict[str, list[dict[str, object]]], report: RecoveryReport
) -> None:
    seen_keys: set[object] = set()
    seen_refs: set[object] = set()
    counter = 0
    for table in ("delivered", "dead_letter", "outbox"):
        carried = 0
        columns = _columns(target, table)
        for row in rows[table]:
            key, ref = row.get("key"), row.get("local_ref")
            if key in seen_keys or ref in seen_refs or key is None or ref is None:
                report.duplicates += 1
                continue
            values = {c: row[c] for c in columns if c in row and c != "id"}
            if table != "delivered":
                values["id"] = row.get("id")  # per-stream order follows ids
            try:
                target.execute(
                    f"INSERT INTO {table}({', '.join(values)}) VALUES "
                    f"({', '.join('?' * len(values))})",
                    tuple(values.values()),
                )
            except sqlite3.IntegrityError as exc:  # a row damaged in place (NULLs, clashes)
                report.unreadable.append(f"{table} {ref}: {exc}")
                continue
            seen_keys.add(key)
            seen_refs.add(ref)
            carried += 1
            found = _COUNTER.search(str(ref))
            if found:
                counter = max(counter, int(found.group(1)))
        report.carried[table] = carried
    for row in rows["audit"]:
        values = {c: row[c] for c in _columns(target, "audit") if c in row and c != "id"}
        target.execute(
            f"INSERT INTO audit({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            tuple(values.values()),
        )
    report.carried["audit"] = len(rows["audit"])
    for row in rows["meta"]:
        if row.get("name") and row.get("value") is not None:
            target.execute(
                "INSERT OR REPLACE INTO meta(name, value) VALUES (?, ?)",
                (row["name"], row["value"]),
            )
    for row in rows["streams"]:
        target.execute(
            "INSERT OR REPLACE INTO streams(stream, last_seq) VALUES (?, ?)",
            (row.get("stream"), row.get("last_seq")),
        )
    repair_counters(target, counter)


def repair_counters(conn: sqlite3.Connection, counter_seen: int = 0) -> None:
    """Set the reference counter and each stream's sequence past everything stored, so the
    next item can never collide with an old one (a torn copy can roll them back)."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'ref_counter'").fetchone()
    current = int(row[0]) if row and str(row[0]).isdigit() else 0
    for table in ("outbox", "dead_letter", "delivered"):
        for (ref,) in conn.execute(f"SELECT local_ref FROM {table}"):
            found = _COUNTER.search(str(ref))
            if found:
                counter_seen = max(counter_seen, int(found.group(1)))
    conn.execute(
        "INSERT INTO meta(name, value) VALUES ('ref_counter', ?)"
        " ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        (str(max(current, counter_seen)),),
    )
    conn.execute(
        "INSERT INTO streams(stream, last_seq)"
        " SELECT stream, MAX(seq) FROM (SELECT stream, seq FROM outbox UNION ALL"
        " SELECT stream, seq FROM dead_letter UNION ALL SELECT stream, seq FROM delivered)"
        " WHERE true GROUP BY stream"
        " ON CONFLICT(stream) DO UPDATE SET last_seq = MAX(last_seq, excluded.last_seq)"
    )


def counters_behind(conn: sqlite3.Connection) -> bool:
    """Whether the newest stored reference is past the counter (cheap: newest rows only)."""
    row = conn.execute("SELECT value FROM meta WHERE name = 'ref_counter'").fetchone()
    current = int(row[0]) if row and str(row[0]).isdigit() else 0
    for table in ("outbox", "dead_letter", "delivered"):
        newest = conn.execute(
            f"SELECT local_ref FROM {table} ORDER BY rowid DESC LIMIT 1"
        ).fetchone()
        found = _COUNTER.search(str(newest[0])) if newest else None
        if found and int(found.group(1)) > current:
            return True
    return False


def _write_report(damaged: Path, report: RecoveryReport) -> None:
    path = damaged.with_name(damaged.name + ".recovery.json")
    try:
        path.write_text(json.dumps(asdict(report), ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        log.error("cannot write the outbox recovery report %s: %s", path, exc)
