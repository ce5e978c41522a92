"""Operator accounts (scrypt hashes, lockout after repeated failures) and login sessions.

Sessions live in the database, not in a process, so any of several server processes behind
a load balancer accepts a session another one opened. The browser holds a random token; the
database only its SHA-256, so a leaked table opens no session. Each session has its own CSRF
token, which every form and every state-changing admin call must echo."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from kiosk.platform.server.console.settings import ConsoleSettings
from kiosk.platform.server.console.tables import Tables

Role = Literal["operator", "auditor"]
ROLES: tuple[Role, ...] = ("operator", "auditor")
_N, _R, _P = 2**14, 8, 1  # scrypt cost: ~16 MiB and tens of ms per try
MIN_PASSWORD = 10


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), dklen=len(want))  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# Compared against when the user does not exist, so a wrong name costs the same time.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


@dataclass(frozen=True)
class Session:
    username: str
    role: Role
    csrf: str


@dataclass(frozen=True)
class LoginResult:
    token: str | None  # the cookie value when the login worked
    why: str  # ok / wrong / locked


class Accounts:
    def __init__(self, tables: Tables, settings: ConsoleSettings) -> None:
        self.t = tables
        self.settings = settings

    def add(self, username: str, password: str, role: Role) -> None:
        if role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"password must have at least {MIN_PASSWORD} characters")
        if (
            not username
            or len(username) > 64
            or not username.replace("-", "").replace("_", "").replace(".", "").isalnum()
        ):
            raise ValueError("username: letters, digits, - _ . (at most 64)")
        with self.t.tx():
            self.t.run(
                "INSERT INTO console_operators (username, password_hash, role, created_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (username) DO UPDATE SET "
                "password_hash = excluded.password_hash, role = excluded.role, failures = 0, "
                "locked_until = 0",
                (username, hash_password(password), role, _now()),
            )

    def usernames(self) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.t.rows(
            "SELECT username, role FROM console_operators ORDER BY username")]  # fmt: skip

    def login(self, username: str, password: str, now: float) -> LoginResult:
        row = self.t.one(
            "SELECT password_hash, failures, locked_until FROM console_operators "
            "WHERE username = ?",
            (username,),
        )
        if row is None:
            check_password(password, _DUMMY_HASH)
            return LoginResult(None, "wrong")
        stored, failures, locked_until = str(row[0]), int(row[1]), float(row[2])
        if locked_until > now:
            return LoginResult(None, "locked")  # even the right password waits
        if not check_password(password, stored):
            failures += 1
            until = now + self.settings.lockout_s if failures >= self.settings.max_failures else 0
            with self.t.tx():
                self.t.run(
                    "UPDATE console_operators SET failures = ?, locked_until = ? "
                    "WHERE username = ?",
                    (0 if until else failures, until, username),
                )
            return LoginResult(None, "locked" if until else "wrong")
        token = secrets.token_urlsafe(32)
        with self.t.tx():
            self.t.run(
                "UPDATE console_operators SET failures = 0, locked_until = 0 WHERE username = ?",
                (username,),
            )
            self.t.run("DELETE FROM console_sessions WHERE expires_at < ?", (now,))
            self.t.run(
                "INSERT INTO console_sessions (token_hash, username, csrf, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (_digest(token), username, secrets.token_urlsafe(24),
                 now + self.settings.session_s),
            )  # fmt: skip
        return LoginResult(token, "ok")

    def session(self, token: str, now: float) -> Session | None:
        if not token:
            return None
        row = self.t.one(
            "SELECT s.username, o.role, s.csrf FROM console_sessions s "
            "JOIN console_operators o ON o.username = s.username "
            "WHERE s.token_hash = ? AND s.expires_at > ?",
            (_digest(token), now),
        )
        if row is None or row[1] not in ROLES:
            return None
        role: Role = "operator" if row[1] == "operator" else "auditor"
        return Session(str(row[0]), role, str(row[2]))

    def logout(self, token: str) -> None:
        with self.t.tx():
            self.t.run("DELETE FROM console_sessions WHERE token_hash = ?", (_digest(token),))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> float:
    import time

    return time.time()
