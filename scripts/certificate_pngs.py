"""Issue three demo certificates on a throwaway platform and render them for the README:
docs/img/certificate-*.png (pdftoppm, first page) and the verification page as a phone shows
it (headless Chromium). Run: .venv/bin/python scripts/certificate_pngs.py"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.platform.client import PlatformClient  # noqa: E402
from kiosk.platform.embedded import EmbeddedPlatform  # noqa: E402
from kiosk.platform.testing import DEMO_ID_NUMBER, demo_jpeg  # noqa: E402
from tests.browser_helpers import chromium  # noqa: E402

OUT = ROOT / "docs" / "img"
WANTED = [
    ("SB001", {"months": "12"}),
    ("HJ002", {"purpose": "study"}),
    ("BDC001", {"scope": "city"}),
]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedPlatform(tmp) as platform:
        client = PlatformClient(platform.base_url, platform.terminal_id, platform.terminal_secret)
        client.verify_identity(id_number=DEMO_ID_NUMBER, face_jpeg=demo_jpeg())
        first_url = ""
        for service_code, options in WANTED:
            issued = client.issue_certificate(DEMO_ID_NUMBER, service_code, options)
            pdf = Path(tmp) / f"{service_code}.pdf"
            pdf.write_bytes(client.certificate_pdf(issued))
            target = OUT / f"certificate-{service_code}"
            subprocess.run(["pdftoppm", "-r", "72", "-png", "-singlefile", "-f", "1", "-l", "1",
                            str(pdf), str(target)], check=True)  # fmt: skip
            print(f"{target}.png")
            first_url = first_url or issued.verify_url
        with chromium(width=412, height=860) as browser:
            browser.get(first_url)
            browser.save_screenshot(str(OUT / "certificate-verify-page.png"))
            print(OUT / "certificate-verify-page.png")


if __name__ == "__main__":
    main()
