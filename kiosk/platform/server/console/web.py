"""The console's routes and the one door every admin request goes through.

Any console page or admin endpoint needs a login session (cookie, plus the session's CSRF
token on every state change) or the admin token (`Authorization: Bearer …`), whatever the
peer address: a reverse proxy on the same host would make every request look local. Every
action, login and refusal of a state change is written to the audit table."""

from __future__ import annotations

import base64
import hmac
import os
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from kiosk.platform import schemas as s
from kiosk.platform.server.console import pages
from kiosk.platform.server.console.accounts import Accounts, Session
from kiosk.platform.server.console.fleet import CONSOLE_COMMANDS, Filter, Fleet
from kiosk.platform.server.console.followup import FollowUp, OpenApplication
from kiosk.platform.server.console.settings import ConsoleSettings
from kiosk.platform.server.console.tables import Tables
from kiosk.platform.server.db import Storage

COOKIE = "kiosk_console"
ADMIN_TOKEN_FILE = "admin.token"
FORM_LIMIT = 65536
_FILTERS: tuple[Filter, ...] = (
    "",
    "online",
    "offline",
    "locked",
    "out_of_service",
    "never",
    "alerts",
)

Page = Callable[[Request, Session], Awaitable[Response]]


def load_admin_token(data_dir: Path) -> str:
    """The admin token shared by every server process on this data dir (made once, 0600)."""
    path = data_dir / ADMIN_TOKEN_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


class Console:
    def __init__(
        self,
        storage: Storage,
        data_dir: Path,
        settings: ConsoleSettings,
        opener: OpenApplication,
        writer: Storage | None = None,
    ) -> None:
        self.settings = settings
        self.tables = Tables(storage)
        self.accounts = Accounts(self.tables, settings)
        self.fleet = Fleet(self.tables, settings)
        # Ratings are counted (durably) where the batch was written: on the writer
        # connection, in the batch's worker thread, never on the event loop's.
        writes = self.tables if writer is None or writer is storage else Tables(writer)
        self.followup = FollowUp(writes, settings, opener)
        self.admin_token = load_admin_token(data_dir)

    # --- hooks for the API ----------------------------------------------------------------

    def on_heartbeat(
        self, terminal_id: str, req: s.HeartbeatRequest, commands: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        now = time.time()
        self.fleet.on_heartbeat(terminal_id, req, now)
        self.fleet.sweep(now)
        messages = self.fleet.messages_for([int(c["id"]) for c in commands])
        return [{**c, "message": messages.get(int(c["id"])) or None} for c in commands]

    def on_rating(self, terminal_id: str, key: str, display: Mapping[str, Any]) -> None:
        self.followup.on_rating(terminal_id, key, display, time.time())

    # --- the door -------------------------------------------------------------------------

    def _session(self, request: Request) -> Session | None:
        return self.accounts.session(request.cookies.get(COOKIE, ""), time.time())

    def admin_actor(self, request: Request) -> str | None:
        """Who makes this admin call: 'admin-token' or a console user; None: refuse."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            given = header[7:].strip().encode()
            return "admin-token" if hmac.compare_digest(given, self.admin_token.encode()) else None
        session = self._session(request)
        if session is None:
            return None
        if request.method not in ("GET", "HEAD"):
            if session.role != "operator":
                return None
            if not hmac.compare_digest(request.headers.get("x-csrf-token", ""), session.csrf):
                return None
        return session.username

    def audit(
        self, request: Request, actor: str, action: str, target: str = "", detail: str = ""
    ) -> None:
        peer = request.client.host if request.client else ""
        self.tables.audit(actor, action, target, detail, peer, time.time())

    def _page(
        self, handler: Page, *, write: bool = False
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session = self._session(request)
            if session is None:
                if request.method == "GET":
                    return HTMLResponse(pages.login("请先登录"), 401)
                return HTMLResponse(pages.message("拒绝", "未登录", None), 403)
            if write:
                if not _same_origin(request):
                    self.audit(request, session.username, "refused", request.url.path, "cross-site")
                    return HTMLResponse(pages.message("拒绝", "跨站提交被拒绝", session), 403)
                form = await _form(request)
                if form is None or not hmac.compare_digest(form.get("csrf", ""), session.csrf):
                    self.audit(request, session.username, "refused", request.url.path, "bad csrf")
                    return HTMLResponse(
                        pages.message("拒绝", "表单已过期，请刷新后重试", session), 403
                    )
                if session.role != "operator":
                    self.audit(
                        request, session.username, "refused", request.url.path, "read-only role"
                    )
                    return HTMLResponse(pages.message("拒绝", "审计角色只能查看", session), 403)
                request.state.form = form
            return await handler(request, session)

        endpoint.__name__ = handler.__name__
        return endpoint

    def routes(self) -> list[Route]:
        p = self._page
        return [
            Route("/console/login", self.login, methods=["GET", "POST"]),
            Route("/console/logout", p(self.logout, write=True), methods=["POST"]),
            Route("/console/", p(self.terminal_list), methods=["GET"]),
            Route("/console", p(self.terminal_list), methods=["GET"]),
            Route("/console/terminals/{tid}", p(self.terminal_page), methods=["GET"]),
            Route("/console/terminals/{tid}/commands", p(self.send_command, write=True), methods=["POST"]),
            Route("/console/terminals/{tid}/bundles/{cid:int}", p(self.download_bundle), methods=["GET"]),
            Route("/console/ratings", p(self.ratings), methods=["GET"]),
            Route("/console/workorders", p(self.workorders), methods=["GET"]),
            Route("/console/workorders/{oid:int}", p(self.workorder), methods=["GET"]),
            Route("/console/workorders/{oid:int}", p(self.workorder_action, write=True), methods=["POST"]),
            Route("/console/audit", p(self.audit_page), methods=["GET"]),
        ]  # fmt: skip

    # --- pages ----------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return HTMLResponse(pages.login())
        if not _same_origin(request):  # login CSRF: another site logging a browser in
            self.audit(request, "?", "refused", request.url.path, "cross-site login")
            return HTMLResponse(pages.login("请从本站登录页登录"), 403)
        form = await _form(request) or {}
        username = form.get("username", "")[:64]
        result = self.accounts.login(username, form.get("password", ""), time.time())
        self.audit(request, username or "?", f"login_{result.why}")
        if result.token is None:
            text = "账户已锁定，请稍后再试" if result.why == "locked" else "用户名或密码错误"
            return HTMLResponse(pages.login(text), 401)
        response = RedirectResponse("/console/", 303)
        response.set_cookie(COOKIE, result.token, max_age=int(self.settings.session_s),
                            httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")  # fmt: skip
        return response

    async def logout(self, request: Request, session: Session) -> Response:
        self.accounts.logout(request.cookies.get(COOKIE, ""))
        self.audit(request, session.username, "logout")
        response = RedirectResponse("/console/login", 303)
        response.delete_cookie(COOKIE, path="/")
        return response

    async def terminal_list(self, request: Request, session: Session) -> Response:
        self.fleet.sweep(time.time(), force=True)
        raw_state = request.query_params.get("state", "")
        state: Filter = next((f for f in _FILTERS if f == raw_state), "")
        query = request.query_params.get("q", "").strip()[:64]
        number = _int(request.query_params.get("page", "0"))
        page = self.fleet.page(state, query, number)
        return HTMLResponse(
            pages.terminals(page, session, state, query, number, self.settings.page_size)
        )

    async def terminal_page(self, request: Request, session: Session) -> Response:
        tid = request.path_params["tid"]
        self.fleet.sweep(time.time(), force=True)
        row = self.fleet.terminal(tid)
        if row is None:
            return HTMLResponse(pages.message("没有这台终端", tid, session), 404)
        return HTMLResponse(
            pages.terminal(row, self.fleet.history(tid), self.fleet.commands(tid), session)
        )

    async def send_command(self, request: Request, session: Session) -> Response:
        tid = request.path_params["tid"]
        form: dict[str, str] = request.state.form
        name, message = form.get("command", ""), form.get("message", "").strip()[:200]
        if name not in CONSOLE_COMMANDS or self.fleet.terminal(tid) is None:
            return HTMLResponse(pages.message("无法下发", f"{tid}: {name}", session), 422)
        command_id = self.fleet.command(tid, name, message, session.username, time.time())
        self.audit(request, session.username, f"command_{name}", tid, f"#{command_id} {message}")
        return RedirectResponse(f"/console/terminals/{tid}", 303)

    async def download_bundle(self, request: Request, session: Session) -> Response:
        tid, cid = request.path_params["tid"], request.path_params["cid"]
        blob = self.fleet.bundle(tid, cid)
        if blob is None:
            return HTMLResponse(pages.message("没有诊断包", f"{tid} #{cid}", session), 404)
        self.audit(request, session.username, "download_bundle", tid, f"#{cid}")
        return Response(base64.b64decode(blob), 200, media_type="application/gzip", headers={
            "Content-Disposition": f'attachment; filename="diag-{tid}-{cid}.tar.gz"'})  # fmt: skip

    async def ratings(self, request: Request, session: Session) -> Response:
        return HTMLResponse(pages.ratings(self.followup.stats(), session))

    async def workorders(self, request: Request, session: Session) -> Response:
        state = request.query_params.get("state", "")
        orders, total = self.followup.orders(state, _int(request.query_params.get("page", "0")))
        now = time.time()
        orders.sort(key=lambda o: (not o.overdue(now), o.state == "已办结", o.id))
        return HTMLResponse(pages.workorders(orders, total, state, session))

    async def workorder(self, request: Request, session: Session) -> Response:
        order = self.followup.order(request.path_params["oid"])
        if order is None:
            return HTMLResponse(
                pages.message("没有这张工单", str(request.path_params["oid"]), session), 404
            )
        contact = self.followup.contact(order)
        revealed = session.role == "operator"
        if contact is not None:
            if revealed:
                self.audit(request, session.username, "view_contact", f"workorder #{order.id}")
            else:
                contact = contact.masked()
        return HTMLResponse(pages.workorder(order, contact, revealed, session))

    async def workorder_action(self, request: Request, session: Session) -> Response:
        oid = request.path_params["oid"]
        form: dict[str, str] = request.state.form
        action, note = form.get("action", ""), form.get("note", "").strip()
        try:
            self.followup.act(oid, action, note, session.username, time.time())
        except (LookupError, ValueError) as exc:
            return HTMLResponse(pages.message("无法处理", str(exc), session), 409)
        self.audit(
            request, session.username, f"workorder_{action}", f"workorder #{oid}", note[:200]
        )
        return RedirectResponse(f"/console/workorders/{oid}", 303)

    async def audit_page(self, request: Request, session: Session) -> Response:
        rows = self.tables.rows(
            "SELECT at, actor, action, target, detail, peer FROM console_audit ORDER BY id DESC LIMIT 200"
        )
        typed = [(float(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5])) for r in rows]
        return HTMLResponse(pages.audit(typed, session))

    # --- admin API ------------------------------------------------------------------------

    async def admin_command(self, request: Request, actor: str, data: Any) -> Response:
        try:
            terminal_id, command = str(data["terminal_id"]), str(data["command"])
            message = str(data.get("message") or "")[:200]
        except (TypeError, KeyError):
            return JSONResponse({"error": "invalid_request",
                                 "reason": 'expected {"terminal_id": ..., "command": ...}'}, 422)  # fmt: skip
        if command not in CONSOLE_COMMANDS:
            return JSONResponse({"error": "invalid_request",
                                 "reason": "command must be one of " + ", ".join(CONSOLE_COMMANDS)}, 422)  # fmt: skip
        if self.tables.storage.terminal_key(terminal_id) is None:
            return JSONResponse({"error": "unknown_terminal", "reason": terminal_id}, 404)
        command_id = self.fleet.command(terminal_id, command, message, actor, time.time())
        self.audit(request, actor, f"command_{command}", terminal_id, f"#{command_id} {message}")
        return JSONResponse({"id": command_id})


async def _form(request: Request) -> dict[str, str] | None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > FORM_LIMIT:
        return None
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            return None
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except UnicodeDecodeError:
        return None
    return {k: v[0] for k, v in parsed.items()}


def _same_origin(request: Request) -> bool:
    """A browser names the page a form came from (Origin); it must be this console. No
    Origin (curl, old browsers) falls back on the CSRF token and the SameSite cookie."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1] == host


def _int(raw: str) -> int:
    return int(raw) if raw.isdigit() and len(raw) < 7 else 0
