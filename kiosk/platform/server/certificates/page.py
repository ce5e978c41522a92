"""The public verification page (HTML) for a certificate's code: what the QR code opens.

Server-rendered, so a plain phone browser shows the answer without scripts; a small script
lets the visitor also check a PDF file they were given against the issued one (it posts the
file's bytes to POST /v1/verify/{code}; nothing is stored).
"""

from __future__ import annotations

from html import escape

from kiosk.platform.schemas import Verification

_WORDS = {
    "genuine": ("真实有效", "本证明由平台签发，电子签名验证通过。"),
    "tampered": ("签名验证失败", "平台保存的签发件未通过签名验证，请勿采信。"),
    "unknown": ("未找到该证明", "没有以此验证码签发的证明。请核对验证码，或向出具机关核实。"),
}
_REASONS = {
    "identical_to_issued": "文件与签发件完全一致，电子签名有效。",
    "digest_mismatch": "文件内容在签名后被改动。",
    "damaged": "文件已损坏或不是签发的 PDF。",
    "no_signature": "文件没有电子签名。",
    "changed_after_signing": "文件在签名后被追加了内容。",
    "untrusted_signer": "签名不是由本平台的印章证书作出的。",
    "bad_signature": "电子签名无效。",
    "differs_from_issued": "文件与平台签发件不一致。",
    "too_large": "文件过大（超过 4 MB），不是签发的证明。",
}

_STYLE = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;margin:0;background:#f3f4f7;color:#1a1a1f}
header{background:#b3121b;color:#fff;padding:14px 18px;font-size:18px}
main{max-width:640px;margin:0 auto;padding:16px}
.card{background:#fff;border-radius:10px;padding:16px 18px;margin-bottom:14px;box-shadow:0 1px 3px #0002}
.status{font-size:26px;font-weight:bold;margin:4px 0 6px}
.genuine{color:#0a7a2f}.tampered,.unknown{color:#b3121b}
dl{display:grid;grid-template-columns:7em 1fr;gap:6px 10px;margin:0}
dt{color:#555}dd{margin:0;word-break:break-all}
input[type=file]{font-size:16px;margin:8px 0}
.small{font-size:13px;color:#555}
"""


def verification_html(v: Verification) -> str:
    head, explain = _WORDS[v.status]
    rows = ""
    if v.certificate is not None:
        c = v.certificate
        facts = [("证明", c.title), ("证明对象", c.certifies), ("出具机关", c.authority),
                 ("证明编号", c.certificate_no), ("签发时间", _beijing(c.issued_at)),
                 ("验证码", c.code)]  # fmt: skip
        if v.signature is not None:
            s = v.signature
            facts += [("签名者", s.signer or "—"),
                      ("签名检查", "通过" if s.valid else _REASONS.get(s.reason, s.reason))]  # fmt: skip
        facts.append(("文件摘要", f"SHA-256 {c.sha256}"))
        rows = "".join(f"<dt>{escape(k)}</dt><dd>{escape(val)}</dd>" for k, val in facts)
    upload = ""
    if v.certificate is not None:
        upload = f"""
<section class="card">
  <div>核对手中的电子文件（PDF）是否为签发件：</div>
  <input type="file" id="held-file" accept="application/pdf">
  <div id="file-result" class="status" data-status=""></div>
  <div id="file-reason" class="small"></div>
</section>
<script>
const REASONS = {_js_object(_REASONS)};
document.getElementById("held-file").addEventListener("change", async (ev) => {{
  const file = ev.target.files[0];
  if (!file) return;
  const out = document.getElementById("file-result");
  out.textContent = "正在核对…"; out.dataset.status = "";
  const reply = await fetch("/v1/verify/{escape(v.code)}", {{method: "POST",
      headers: {{"Content-Type": "application/pdf"}}, body: await file.arrayBuffer()}});
  const v = await reply.json();
  const ok = v.status === "genuine";
  out.textContent = ok ? "文件真实，与签发件一致" : (v.status === "unknown" ? "未找到该证明" : "文件已被篡改或不是签发件");
  out.className = "status " + (ok ? "genuine" : "tampered");
  out.dataset.status = v.status;
  document.getElementById("file-reason").textContent = REASONS[v.reason] || v.reason || "";
}});
</script>"""
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>证明验真 {escape(v.code)}</title><style>{_STYLE}</style></head>
<body><header>示例市政务服务 · 电子证明验真</header><main>
<section class="card">
  <div id="status" class="status {v.status}" data-status="{v.status}">{escape(head)}</div>
  <div id="explain">{escape(explain)}</div>
</section>
{f'<section class="card"><dl id="facts">{rows}</dl></section>' if rows else ""}
{upload}
<p class="small">姓名、证件号码已按规定隐去部分字符。请将页面显示的内容与纸质证明逐项核对。</p>
</main></body></html>"""


def lookup_html() -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>证明验真</title><style>{_STYLE}</style></head>
<body><header>示例市政务服务 · 电子证明验真</header><main>
<form class="card" onsubmit="location.href='/verify/'+encodeURIComponent(this.code.value.trim());return false">
  <label>请输入证明上的验证码（16 位）：<br>
  <input name="code" id="code" autocomplete="off" style="font-size:20px;width:100%;margin:8px 0"></label>
  <button style="font-size:18px;padding:8px 20px">查询</button>
</form></main></body></html>"""


def _beijing(iso_utc: str) -> str:
    """2026-12-01T14:32:36Z -> 2026年12月1日 22:32（北京时间）, as on the paper."""
    from datetime import datetime, timedelta, timezone

    try:
        moment = datetime.fromisoformat(iso_utc.replace("Z", "+00:00"))
    except ValueError:
        return iso_utc
    local = moment.astimezone(timezone(timedelta(hours=8)))
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}（北京时间）"


def _js_object(mapping: dict[str, str]) -> str:
    import json

    return json.dumps(mapping, ensure_ascii=False)
