"""HTML of the console: plain server-rendered pages, one small stylesheet, no script.
Every value goes through html.escape; pages stay a few kilobytes."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from kiosk.platform.server.console.accounts import Session
from kiosk.platform.server.console.fleet import (
    COMMAND_LABELS,
    STATE_LABELS,
    CommandRow,
    Event,
    Page,
    TerminalRow,
)
from kiosk.platform.server.console.followup import (
    ACTIONS,
    BAD_LEVELS,
    GB_LEVELS,
    STATES,
    Contact,
    WorkOrder,
)
from kiosk.platform.server.console.rules import ALERT_LABELS, CHINA

CSS = """
body{font:14px/1.4 "Noto Sans CJK SC","WenQuanYi Zen Hei",sans-serif;margin:0;color:#111}
nav{background:#17324d;padding:8px 16px}nav a,nav span{color:#fff;margin-right:16px}
main{padding:12px 16px}table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#f2f4f7}.alert{background:#fdecea}.badge{display:inline-block;padding:0 6px;
border-radius:3px;background:#c62828;color:#fff;margin:1px}.warn{background:#ef6c00}
.ok{color:#2e7d32}.off{color:#c62828;font-weight:bold}.muted{color:#666}
.overdue{background:#fff3e0}.overdue td:first-child{border-left:4px solid #c62828}
form.inline{display:inline}input,select,button{font:inherit;padding:3px 6px}
.cards span{display:inline-block;margin-right:18px}.error{color:#c62828;font-weight:bold}
h1{font-size:20px}h2{font-size:16px;margin-top:20px}pre{white-space:pre-wrap}
"""
_WARN = {"paper_low", "skew", "backlog"}


def when(at: float | None) -> str:
    if at is None:
        return "—"
    return datetime.fromtimestamp(at, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def ago(at: float | None, now: float) -> str:
    if at is None:
        return "从未"
    seconds = max(0, int(now - at))
    if seconds < 120:
        return f"{seconds} 秒前"
    if seconds < 7200:
        return f"{seconds // 60} 分钟前"
    return f"{seconds // 3600} 小时前"


def layout(title: str, session: Session | None, body: str, refresh: int | None = None) -> str:
    head = f'<meta http-equiv="refresh" content="{refresh}">' if refresh else ""
    nav = ""
    if session is not None:
        nav = (
            '<nav><a href="/console/">终端</a><a href="/console/ratings">好差评</a>'
            '<a href="/console/workorders">差评工单</a><a href="/console/audit">审计日志</a>'
            f"<span>{escape(session.username)}（{'运维' if session.role == 'operator' else '审计'}）</span>"
            f'<form class="inline" method="post" action="/console/logout">{csrf(session)}'
            "<button>退出</button></form></nav>"
        )
    return (
        f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">{head}'
        f"<title>{escape(title)} · 一体机运维台</title><style>{CSS}</style></head>"
        f"<body>{nav}<main><h1>{escape(title)}</h1>{body}</main></body></html>"
    )


def csrf(session: Session) -> str:
    return f'<input type="hidden" name="csrf" value="{escape(session.csrf)}">'


def login(message: str = "") -> str:
    error = f'<p class="error" id="login-error">{escape(message)}</p>' if message else ""
    body = (
        f'{error}<form method="post" action="/console/login">'
        '<p><label>用户名 <input name="username" id="username" autocomplete="username"></label></p>'
        '<p><label>密码 <input name="password" id="password" type="password" '
        'autocomplete="current-password"></label></p>'
        '<p><button id="login" type="submit">登录</button></p></form>'
    )
    return layout("运维台登录", None, body)


def _alerts(kinds: Iterable[str]) -> str:
    return "".join(
        f'<span class="badge{" warn" if k in _WARN else ""}" data-alert="{escape(k)}">'
        f"{escape(ALERT_LABELS.get(k, k))}</span>"
        for k in kinds
    )


def _state(state: str) -> str:
    css = "ok" if state == "online" else "off" if state in ("offline", "locked") else "muted"
    return f'<span class="{css}" data-state="{escape(state)}">{escape(STATE_LABELS.get(state, state))}</span>'


def _skew(skew: float | None) -> str:
    if skew is None:
        return "—"
    return "0 秒" if abs(skew) < 1 else f"{skew:+.0f} 秒"


def _outbox(row: TerminalRow) -> str:
    oldest = (
        "" if row.outbox_oldest_s is None else f"（最早 {int(row.outbox_oldest_s // 60)} 分钟）"
    )
    return f"{row.outbox_depth}{oldest}"


def terminals(page: Page, session: Session, state: str, query: str, number: int, size: int) -> str:
    now = time.time()
    counts = " ".join(
        f"<span>{escape(STATE_LABELS.get(k, k))} <b>{v}</b></span>"
        for k, v in sorted(page.counts.items())
    )
    options = "".join(
        f'<option value="{k}"{" selected" if k == state else ""}>{label}</option>'
        for k, label in [("", "全部"), ("alerts", "有告警"), *STATE_LABELS.items()]
    )
    rows = []
    for r in page.rows:
        paper = {"full": "充足", "low": "将尽", "out": "缺纸", "jammed": "卡纸"}.get(
            r.paper, "未知"
        )
        skew = _skew(r.skew_s)
        rows.append(
            f'<tr class="{"alert" if r.alerts else ""}" data-terminal="{escape(r.id)}">'
            f'<td><a href="/console/terminals/{escape(r.id)}">{escape(r.id)}</a></td>'
            f"<td>{_state(r.state)}</td><td>{_alerts(r.alerts)}</td><td>{paper}</td>"
            f"<td>{_outbox(r)}</td><td>{r.dead_letters}</td><td>{skew}</td>"
            f"<td>{escape(r.version)}</td><td>{escape(r.location)}</td>"
            f"<td>{ago(r.last_seen, now)}</td></tr>"
        )
    pages = max(1, -(-page.total // size))
    nav = []
    for target, label in ((number - 1, "上一页"), (number + 1, "下一页")):
        if 0 <= target < pages:
            q = urlencode({"state": state, "q": query, "page": target})
            nav.append(f'<a href="/console/?{q}">{label}</a>')
    body = (
        f'<p class="cards"><span>终端 <b>{page.total}</b></span><span>有告警 <b id="alerting">'
        f"{page.alerting}</b></span>{counts}</p>"
        '<form method="get" action="/console/">'
        f'<select name="state" id="state">{options}</select> '
        f'<input name="q" id="q" placeholder="终端编号、地点或区划代码" value="{escape(query)}"> '
        '<button id="search">筛选</button></form>'
        '<table id="terminals"><tr><th>终端</th><th>状态</th><th>告警</th><th>纸</th>'
        "<th>待上传</th><th>死信</th><th>时钟偏差</th><th>版本</th><th>地点</th><th>最近心跳</th></tr>"
        + "".join(rows)
        + f"</table><p>第 {number + 1} / {pages} 页 {' '.join(nav)}</p>"
    )
    return layout("终端一览", session, body, refresh=30)


def terminal(
    row: TerminalRow, events: list[Event], commands: list[CommandRow], session: Session
) -> str:
    now = time.time()
    devices = "".join(
        f"<tr><td>{escape(d.get('device', ''))}</td><td>{escape(d.get('state', ''))}</td>"
        f"<td>{escape(d.get('detail') or '')}</td></tr>"
        for d in row.devices
    )
    history = "".join(
        f"<tr><td>{when(e.at)}</td><td>{escape(e.kind)}</td><td>{escape(e.detail)}</td></tr>"
        for e in events
    )
    cmd_rows = []
    for c in commands:
        status = (
            "待执行" if not c.acked else "已确认" if c.ok is None else "完成" if c.ok else "失败"
        )
        bundle = (
            f' <a href="/console/terminals/{escape(row.id)}/bundles/{c.id}">下载诊断包</a>'
            if c.has_bundle else ""
        )  # fmt: skip
        cmd_rows.append(
            f'<tr data-command="{c.id}"><td>#{c.id}</td><td>{escape(COMMAND_LABELS.get(c.name, c.name))}'
            f"</td><td>{escape(c.message)}</td><td>{escape(c.issued_by)}</td><td>{when(c.issued_at)}</td>"
            f'<td class="cmd-status">{status}</td><td>{escape(c.result)}{bundle}</td></tr>'
        )
    actions = ""
    if session.role == "operator":
        buttons = "".join(
            f'<button name="command" value="{k}" id="cmd-{k}">{v}</button> '
            for k, v in COMMAND_LABELS.items()
        )
        actions = (
            f'<h2>远程指令</h2><form method="post" action="/console/terminals/{escape(row.id)}/commands">'
            f'{csrf(session)}<input name="message" id="lock-message" maxlength="200" size="40" '
            f'placeholder="锁定时屏幕上显示的说明"> {buttons}</form>'
        )
    body = (
        f"<p>{_state(row.state)} {_alerts(row.alerts)}</p>"
        f"<p>地点：{escape(row.location) or '—'}（区划 {escape(row.region) or '—'}） 版本：{escape(row.version) or '—'}"
        f" 最近心跳：{when(row.last_seen)}（{ago(row.last_seen, now)}）</p>"
        f"<p>待上传：{_outbox(row)} 死信：{row.dead_letters} 时钟偏差："
        f"{_skew(row.skew_s)}"
        f"{' 锁定说明：' + escape(row.lock_message) if row.lock_message else ''}</p>"
        f'{actions}<h2>设备</h2><table id="devices"><tr><th>设备</th><th>状态</th><th>详情</th></tr>{devices}</table>'
        f'<h2>指令</h2><table id="commands"><tr><th>编号</th><th>指令</th><th>说明</th><th>下发人</th>'
        f"<th>时间</th><th>状态</th><th>结果</th></tr>{''.join(cmd_rows)}</table>"
        f'<h2>历史</h2><table id="history"><tr><th>时间</th><th>类别</th><th>内容</th></tr>{history}</table>'
    )
    return layout(f"终端 {row.id}", session, body, refresh=30)


def _levels_row(label: str, counts: dict[int, int]) -> str:
    total = sum(counts.values())
    bad = sum(counts.get(b, 0) for b in BAD_LEVELS)
    cells = "".join(f"<td>{counts.get(code, 0)}</td>" for code in GB_LEVELS)
    share = f"{bad * 100 / total:.0f}%" if total else "—"
    return f"<tr><td>{escape(label)}</td>{cells}<td>{total}</td><td>{share}</td></tr>"


def ratings(stats: dict[str, list[tuple[str, dict[int, int]]]], session: Session) -> str:
    head = "".join(f"<th>{code} {name}</th>" for code, name in GB_LEVELS.items())
    parts = []
    for key, title in (("day", "按日"), ("service", "按事项"), ("terminal", "按终端")):
        rows = "".join(_levels_row(k, v) for k, v in stats.get(key, []))
        parts.append(
            f'<h2>{title}</h2><table id="ratings-{key}"><tr><th></th>{head}<th>合计</th>'
            f"<th>差评率</th></tr>{rows}</table>"
        )
    body = ("<p class=\"muted\">满意度代码按 GB/T 39046-2020 表 A.8：1 = 非常满意 … 5 = 非常不满意；"
            '4、5 为差评，每条生成工单（见<a href="/console/workorders">差评工单</a>）。</p>'
            + "".join(parts))  # fmt: skip
    return layout("好差评统计（近 30 天）", session, body)


def workorders(orders: list[WorkOrder], total: int, state: str, session: Session) -> str:
    now = time.time()
    options = "".join(
        f'<option value="{s}"{" selected" if s == state else ""}>{s or "全部"}</option>'
        for s in ("", *STATES)
    )
    rows = []
    for o in orders:
        late = o.overdue(now)
        rows.append(
            f'<tr class="{"overdue" if late else ""}" data-order="{o.id}"><td>'
            f'<a href="/console/workorders/{o.id}">#{o.id}</a></td><td>{escape(o.state)}</td>'
            f'<td class="error">{late}</td><td>{o.level} {GB_LEVELS[o.level]}</td>'
            f"<td>{escape(o.service_code)}</td><td>{escape(o.terminal_id)}</td>"
            f"<td>{escape('、'.join(o.indicators))}</td><td>{when(o.contact_due)}</td>"
            f"<td>{when(o.fix_due)}</td></tr>"
        )
    body = (
        f'<form method="get"><select name="state" id="wo-state">{options}</select> '
        f"<button>筛选</button></form><p>共 {total} 件；超期的排在前面并标红。</p>"
        '<table id="workorders"><tr><th>工单</th><th>状态</th><th>超期</th><th>评价</th>'
        "<th>事项</th><th>终端</th><th>原因</th><th>回访期限</th><th>整改期限</th></tr>"
        + "".join(rows) + "</table>"
    )  # fmt: skip
    return layout("差评工单", session, body)


def workorder(order: WorkOrder, contact: Contact | None, revealed: bool, session: Session) -> str:
    now = time.time()
    late = order.overdue(now)
    if contact is None:
        who = "匿名评价（无实名联系方式）"
    else:
        who = f'<span id="contact">{escape(contact.name)} {escape(contact.phone)}</span>'
        if not revealed:
            who += '<span class="muted">（已脱敏；仅运维角色可查看实名）</span>'
    forms = ""
    if session.role == "operator":
        for action, (allowed, _target, label) in ACTIONS.items():
            if order.state in allowed and not (action == "mark_complex" and order.complex):
                forms += (
                    f'<form class="inline" method="post" action="/console/workorders/{order.id}">'
                    f'{csrf(session)}<input type="hidden" name="action" value="{action}">'
                    f'<input name="note" placeholder="说明" size="24"> '
                    f'<button id="wo-{action}">{escape(label)}</button></form><br>'
                )
    body = (
        f'<p>状态：<b id="wo-state-now">{escape(order.state)}</b> '
        f'<span class="error">{late}</span></p>'
        f"<p>评价：{order.level} {GB_LEVELS[order.level]}；原因：{escape('、'.join(order.indicators)) or '—'}</p>"
        f"<p>事项 {escape(order.service_code)}，终端 {escape(order.terminal_id)}，办件 {escape(order.reference)}</p>"
        f"<p>评价人：{who}</p>"
        f"<p>开单 {when(order.opened_at)}；回访期限 {when(order.contact_due)}；整改期限 "
        f"{when(order.fix_due)}{'（复杂问题）' if order.complex else ''}</p>"
        f"{forms}<h2>处理记录</h2><pre>{escape(order.notes) or '—'}</pre>"
    )
    return layout(f"差评工单 #{order.id}", session, body)


def audit(rows: list[tuple[float, str, str, str, str, str]], session: Session) -> str:
    body = (
        '<table id="audit"><tr><th>时间</th><th>操作人</th><th>操作</th><th>对象</th><th>详情</th>'
        "<th>来源</th></tr>"
        + "".join(
            f"<tr><td>{when(at)}</td><td>{escape(actor)}</td><td>{escape(action)}</td>"
            f"<td>{escape(target)}</td><td>{escape(detail)}</td><td>{escape(peer)}</td></tr>"
            for at, actor, action, target, detail, peer in rows
        )
        + "</table>"
    )
    return layout("审计日志（最近 200 条）", session, body)


def message(title: str, text: str, session: Session | None) -> str:
    return layout(title, session, f'<p class="error">{escape(text)}</p>')
