"""The operators' console over HTTP: who may do what, alerts by rule, remote commands
through the heartbeat, and 差评 work orders (browser tests are in test_console_browser.py)."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.routing import Route

from kiosk.platform.testing import make_item
from tests.console_helpers import AUDITOR, OPERATOR, csrf_of, login, start_platform, terminal


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    p = start_platform(tmp_path_factory.mktemp("console"), offline_after_s=1.0)
    yield p
    p.stop()


def console_paths(platform) -> list[tuple[str, str]]:
    """Every console and admin route with a concrete path (from the app, so a new route
    cannot be left out)."""
    concrete = {"{tid}": "KIOSK-T-1", "{cid:int}": "1", "{oid:int}": "1"}
    found = []
    for route in platform.server.console.routes():
        assert isinstance(route, Route)
        path = route.path
        for pattern, value in concrete.items():
            path = path.replace(pattern, value)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append((method, path))
    return found + [("GET", "/_admin/faults"), ("POST", "/_admin/faults"),
                    ("DELETE", "/_admin/faults"), ("POST", "/_admin/commands")]  # fmt: skip


def test_every_console_and_admin_endpoint_refuses_strangers(platform):
    with terminal(platform, "KIOSK-T-1") as t:
        t.heartbeat("1.0")
    paths = console_paths(platform)
    assert len(paths) >= 15
    with httpx.Client(base_url=platform.base_url, timeout=10) as http:
        for method, path in paths:
            if path == "/console/login":
                continue
            reply = http.request(method, path, data={"command": "lock", "csrf": "x"})
            assert reply.status_code in (401, 403), (method, path, reply.status_code)
            assert "KIOSK-T-1" not in reply.text or "请先登录" in reply.text
            assert "terminals" not in reply.text
        # a bogus token and a session cookie someone made up are no better than nothing
        bad = {"Authorization": "Bearer not-the-token"}
        assert http.post("/_admin/commands", headers=bad,
                         json={"terminal_id": "KIOSK-T-1", "command": "lock"}).status_code == 401  # fmt: skip
        http.cookies.set("kiosk_console", "made-up")
        assert http.get("/console/").status_code == 401
    assert platform.server.storage.heartbeat("KIOSK-T-1", {}, []) == []  # nothing was queued


def test_admin_token_queues_a_command_and_it_is_audited(platform):
    with terminal(platform, "KIOSK-T-2") as t:
        t.heartbeat("1.0")
        reply = httpx.post(platform.base_url + "/_admin/commands", headers=platform.admin_headers,
                           json={"terminal_id": "KIOSK-T-2", "command": "lock", "message": "维护中"})  # fmt: skip
        assert reply.status_code == 200
        commands = t.heartbeat("1.0")["commands"]
        assert [(c["command"], c["message"]) for c in commands] == [("lock", "维护中")]
    with login(platform, AUDITOR) as http:
        page = http.get("/console/audit").text
        assert "admin-token" in page and "command_lock" in page and "KIOSK-T-2" in page


def test_wrong_passwords_lock_the_account_even_for_the_right_one(platform):
    platform.server.console.accounts.add("op-zhao", "zhao-password-1", "operator")
    with httpx.Client(base_url=platform.base_url, timeout=10) as http:
        for _ in range(5):
            reply = http.post("/console/login", data={"username": "op-zhao", "password": "nope"})
            assert reply.status_code == 401
        reply = http.post(
            "/console/login", data={"username": "op-zhao", "password": "zhao-password-1"}
        )
        assert reply.status_code == 401 and "账户已锁定" in reply.text
        unknown = http.post("/console/login", data={"username": "nobody", "password": "x"})
        assert unknown.status_code == 401 and "用户名或密码错误" in unknown.text
    stored = platform.server.console.tables.one(
        "SELECT password_hash FROM console_operators WHERE username = 'op-zhao'"
    )
    assert stored and stored[0].startswith("scrypt$") and "zhao-password-1" not in stored[0]


def test_forms_need_the_session_csrf_token_and_auditors_only_read(platform):
    with terminal(platform, "KIOSK-T-3") as t:
        t.heartbeat("1.0")
    with login(platform, OPERATOR) as http:
        page = http.get("/console/terminals/KIOSK-T-3").text
        reply = http.post("/console/terminals/KIOSK-T-3/commands", data={"command": "lock"})
        assert reply.status_code == 403
        reply = http.post("/console/terminals/KIOSK-T-3/commands",
                          data={"command": "lock", "csrf": csrf_of(page), "message": "换纸"})  # fmt: skip
        assert reply.status_code == 200 and "换纸" in reply.text
    with login(platform, AUDITOR) as http:
        page = http.get("/console/terminals/KIOSK-T-3").text
        assert 'id="cmd-lock"' not in page
        reply = http.post("/console/terminals/KIOSK-T-3/commands",
                          data={"command": "unlock", "csrf": csrf_of(page)})  # fmt: skip
        assert reply.status_code == 403 and "审计角色只能查看" in reply.text


def test_alerts_rise_and_clear_by_rule_and_come_first(platform):
    with terminal(platform, "KIOSK-A-0") as quiet, terminal(platform, "KIOSK-Z-9") as broken:
        quiet.heartbeat("1.0", extra={"paper": "full"})
        broken.heartbeat("1.0", outbox_depth=80, dead_letters=2, extra={
            "paper": "out", "sent_at": "2020-01-01T00:00:00Z"})  # fmt: skip
        with login(platform, OPERATOR) as http:
            page = http.get("/console/", params={"q": "KIOSK-"}).text
            assert page.index("KIOSK-Z-9") < page.index("KIOSK-A-0")  # alerts first
            row = page[page.index('data-terminal="KIOSK-Z-9"') :].split("</tr>")[0]
            for kind in ("paper_out", "backlog", "dead_letters", "skew"):
                assert f'data-alert="{kind}"' in row
            broken.heartbeat("1.0", extra={"paper": "low"})
            detail = http.get("/console/terminals/KIOSK-Z-9").text
            assert 'data-alert="paper_low"' in detail and 'data-alert="paper_out"' not in detail
            assert "解除 paper_out" in detail and "告警 paper_out" in detail


def test_a_terminal_whose_heartbeats_stop_goes_offline(platform):
    with terminal(platform, "KIOSK-OFF-1") as t:
        t.heartbeat("1.0")
    with login(platform, OPERATOR) as http:
        assert 'data-state="online"' in http.get("/console/terminals/KIOSK-OFF-1").text
        time.sleep(1.3)
        page = http.get("/console/", params={"state": "offline", "q": "KIOSK-OFF-1"}).text
        assert 'data-terminal="KIOSK-OFF-1"' in page and 'data-alert="offline"' in page


def test_commands_carry_their_result_back(platform):
    with terminal(platform, "KIOSK-C-1") as t, login(platform, OPERATOR) as http:
        t.heartbeat("1.0")
        page = http.get("/console/terminals/KIOSK-C-1").text
        http.post("/console/terminals/KIOSK-C-1/commands",
                  data={"command": "collect_diagnostics", "csrf": csrf_of(page)})  # fmt: skip
        (command,) = t.heartbeat("1.0")["commands"]
        assert command["command"] == "collect_diagnostics"
        t.heartbeat("1.0", acked_commands=[command["id"]], extra={"command_results": [
            {"id": command["id"], "ok": True, "detail": "3/4 devices online",
             "bundle_b64": "H4sIAAAAAAAAAwMAAAAAAAAAAAA="}]})  # fmt: skip
        page = http.get("/console/terminals/KIOSK-C-1").text
        assert "3/4 devices online" in page and "下载诊断包" in page
        bundle = http.get(f"/console/terminals/KIOSK-C-1/bundles/{command['id']}")
        assert bundle.status_code == 200 and bundle.content.startswith(b"\x1f\x8b")


def rating(platform, level: int, name: str | None, reference: str):
    display = {"level": level, "indicators": ["等待时间长"], "service_code": "SB002",
               "reference": reference, "channel": "自助终端"}  # fmt: skip
    if name:
        display["level_name"] = name
    return make_item(None, kind="rating", display=display, stream="ratings")


def test_bad_ratings_by_gb_code_open_work_orders_that_reach_closed(platform):
    with terminal(platform, "KIOSK-R-1") as t:
        app = make_item(platform.public_key_path, payload={
            "name": "测试一", "id_number": "11010119900101901X", "phone": "13800000901"})  # fmt: skip
        reference = t.submit_batch([app])[0]["reference"]
        t.submit_batch([rating(platform, 5, None, reference),  # GB: 5 = 非常不满意
                        rating(platform, 1, None, reference),  # 1 = 非常满意: no order
                        rating(platform, 1, "非常不满意", reference)])  # named: the name counts  # fmt: skip
    with login(platform, OPERATOR) as http:
        listing = http.get("/console/workorders", params={"state": "待回访"}).text
        orders = [o for o in platform.server.console.followup.orders("", 0)[0]
                  if o.terminal_id == "KIOSK-R-1"]  # fmt: skip
        assert sorted(o.level for o in orders) == [5, 5] and "KIOSK-R-1" in listing
        order = orders[0]
        page = http.get(f"/console/workorders/{order.id}").text
        assert "测试一" in page and "13800000901" in page  # the operator calls back
        for action in ("contacted", "resolve"):
            page = http.post(f"/console/workorders/{order.id}",
                             data={"action": action, "csrf": csrf_of(page), "note": "已处理"}).text  # fmt: skip
        assert 'id="wo-state-now">已办结' in page
        stats = http.get("/console/ratings").text
        assert "SB002" in stats and "KIOSK-R-1" in stats
    with login(platform, AUDITOR) as http:
        page = http.get(f"/console/workorders/{orders[1].id}").text
        assert "13800000901" not in page and "138****0901" in page and "测*一" in page


def test_deadlines_follow_the_terminals_locality_and_overdue_orders_stand_out(platform):
    from kiosk.platform.server.console.rules import add_working_days

    followup = platform.server.console.followup
    opened = {}
    for tid, region in (("KIOSK-DZ-1", "371402"), ("KIOSK-SC-1", "510104")):
        with terminal(platform, tid) as t:
            t.heartbeat("1.0", extra={"region": region})
            t.submit_batch([rating(platform, 4, "不满意", "")])
        (order,) = [o for o in followup.orders("", 0)[0] if o.terminal_id == tid]
        opened[region] = order
    dezhou, sichuan = opened["371402"], opened["510104"]
    assert dezhou.fix_due == add_working_days(dezhou.opened_at, 5)  # 德州: 5 working days
    assert sichuan.fix_due == add_working_days(sichuan.opened_at, 15)  # 四川: 15
    assert dezhou.contact_due == add_working_days(dezhou.opened_at, 1)
    # A week later nobody has called back: the order is overdue and listed first, in red.
    assert dezhou.overdue(dezhou.opened_at + 7 * 86400) == "回访超期"
    platform.server.console.tables.run(
        "UPDATE console_workorders SET contact_due = ? WHERE id = ?",
        (dezhou.opened_at - 1, dezhou.id),
    )
    with login(platform, OPERATOR) as http:
        page = http.get("/console/workorders").text
    first = page[page.index("data-order=") :].split("</tr>")[0]
    assert f'data-order="{dezhou.id}"' in first and "回访超期" in first
    assert f'class="overdue" data-order="{dezhou.id}"' in page


def test_forms_posted_from_another_site_are_refused(platform):
    evil = {"Origin": "http://evil.example"}
    with httpx.Client(base_url=platform.base_url, timeout=10) as http:
        reply = http.post("/console/login", headers=evil,
                          data={"username": OPERATOR[0], "password": OPERATOR[1]})  # fmt: skip
        assert reply.status_code == 403 and "kiosk_console" not in reply.headers.get(
            "set-cookie", ""
        )
    with terminal(platform, "KIOSK-X-1") as t, login(platform, OPERATOR) as http:
        t.heartbeat("1.0")
        page = http.get("/console/terminals/KIOSK-X-1").text
        reply = http.post("/console/terminals/KIOSK-X-1/commands", headers=evil,
                          data={"command": "lock", "csrf": csrf_of(page)})  # fmt: skip
        assert reply.status_code == 403
        assert t.heartbeat("1.0")["commands"] == []
