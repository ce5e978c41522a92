"""The outbox database schema (SQLite). No personal data outside the sealed blob.

`sealed` is the last column of each row on purpose: SQLite reads a row's overflow pages only
for the columns a query asks for, so scans that filter on the small columns never touch the
30 KiB face images.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    stream   TEXT PRIMARY KEY,
    last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    stream          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    local_ref       TEXT NOT NULL UNIQUE,
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error      TEXT,
    size            INTEGER NOT NULL,
    display         TEXT NOT NULL,
    kid             TEXT NOT NULL,
    sealed          BLOB NOT NULL
);
-- per-stream order check ("is an earlier item of my stream backing off?") without row reads
CREATE INDEX IF NOT EXISTS outbox_stream ON outbox(stream, id, next_attempt_at);
-- items backing off only: a new item (next_attempt_at 0) writes no page of it
DROP INDEX IF EXISTS outbox_due;
CREATE INDEX IF NOT EXISTS outbox_waiting ON outbox(next_attempt_at) WHERE next_attempt_at > 0;
CREATE TABLE IF NOT EXISTS delivered (
    key          TEXT PRIMARY KEY,
    local_ref    TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    stream       TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    status       TEXT NOT NULL,
    reference    TEXT,
    created_at   REAL NOT NULL,
    delivered_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS delivered_at ON delivered(delivered_at);
CREATE TABLE IF NOT EXISTS dead_letter (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,
    stream          TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    local_ref       TEXT NOT NULL UNIQUE,
    created_at      REAL NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT,
    size            INTEGER NOT NULL,
    reason          TEXT NOT NULL,
    dead_at         REAL NOT NULL,
    display         TEXT NOT NULL,
    kid             TEXT NOT NULL,
    sealed          BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        REAL NOT NULL,
    action    TEXT NOT NULL,
    key       TEXT NOT NULL,
    local_ref TEXT NOT NULL,
    stream    TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    actor     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_key ON audit(key);
CREATE INDEX IF NOT EXISTS audit_local_ref ON audit(local_ref);
"""

ITEM_COLUMNS = (
    "id, key, kind, stream, seq, local_ref, created_at, attempts, next_attempt_at, "
    "last_error, size, display, kid, sealed"
)
