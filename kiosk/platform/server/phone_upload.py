"""Materials from the resident's phone: the terminal shows a QR code for a one-time upload
session; the phone opens a small page on the platform and sends photos (or PDFs) as raw bytes.

One-time: the token in the QR code is kept only as a hash, expires after TTL_S, and the first
phone that opens it owns the session (a cookie); any other phone is refused. Files are
checked by their bytes (JPEG, PNG or PDF, at most MAX_FILE_BYTES, at most MAX_FILES per
session), never by the name or type the browser claims.
"""

from __future__ import annotations

from html import escape

TTL_S = 600
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 12
COOKIE = "kiosk_phone"


def sniff(data: bytes) -> str | None:
    """The content type the bytes really are, or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    return None


_STYLE = """
body{font-family:"WenQuanYi Zen Hei","Noto Sans CJK SC",sans-serif;margin:0;background:#f3f4f7;color:#1a1a1f;font-size:17px}
header{background:#1456b8;color:#fff;padding:14px 18px;font-size:19px}
main{max-width:560px;margin:0 auto;padding:14px}
.card{background:#fff;border-radius:10px;padding:14px 16px;margin-bottom:12px;box-shadow:0 1px 3px #0002}
.name{font-weight:bold;margin-bottom:8px}
label.pick{display:block;background:#1456b8;color:#fff;text-align:center;border-radius:8px;padding:14px;font-size:18px}
input[type=file]{display:none}
.state{margin-top:8px;color:#555}.done{color:#0a7a2f;font-weight:bold}.bad{color:#b3121b}
.small{font-size:14px;color:#555}
"""


def upload_page(token: str, service_name: str, materials: list[str], minutes_left: int) -> str:
    cards = "".join(
        f"""<section class="card" data-material="{escape(m)}">
  <div class="name">{escape(m)}</div>
  <label class="pick">拍照或选择图片<input type="file" accept="image/jpeg,image/png,application/pdf"
    capture="environment" data-material="{escape(m)}" id="file-{i}"></label>
  <div class="state" id="state-{i}">未上传</div>
</section>"""
        for i, m in enumerate(materials)
    )
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>上传办事材料</title><style>{_STYLE}</style></head>
<body><header>示例市政务服务 · 手机上传材料</header><main>
<section class="card"><div>事项：{escape(service_name)}</div>
<div class="small">请逐项拍照上传。每个文件不超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，
支持 JPG、PNG、PDF。本页 {minutes_left} 分钟内有效，仅限本手机使用。上传后请回到自助终端确认。</div></section>
{cards}
<script>
document.querySelectorAll("input[type=file]").forEach((input) => {{
  input.addEventListener("change", async () => {{
    const file = input.files[0];
    if (!file) return;
    const state = document.getElementById(input.id.replace("file", "state"));
    if (file.size > {MAX_FILE_BYTES}) {{
      state.textContent = "文件太大（超过 {MAX_FILE_BYTES // (1024 * 1024)} MB），请重新拍照";
      state.className = "state bad"; return;
    }}
    state.textContent = "正在上传…"; state.className = "state";
    const url = "/m/{escape(token)}/files?material=" + encodeURIComponent(input.dataset.material);
    const reply = await fetch(url, {{method: "POST", body: await file.arrayBuffer(),
                                     headers: {{"Content-Type": "application/octet-stream"}}}});
    const answer = await reply.json();
    if (reply.ok) {{
      state.textContent = "已上传，请在自助终端查看"; state.className = "state done";
      state.dataset.uploaded = answer.id;
    }} else {{
      state.textContent = answer.reason || "上传失败，请重试"; state.className = "state bad";
    }}
  }});
}});
</script>
</main></body></html>"""


def refused_page(reason: str) -> str:
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>无法上传</title><style>{_STYLE}</style></head>
<body><header>示例市政务服务 · 手机上传材料</header><main>
<section class="card"><div id="refused" class="bad">{escape(reason)}</div>
<div class="small">请在自助终端上重新生成二维码后再扫码。</div></section></main></body></html>"""
