"""The reference platform in a process of its own, for benchmarks that must not share the
terminal's interpreter (and its GIL) with the server they talk to.

`python -m kiosk.bench._platform_process DATA_DIR` prints the base URL and serves until its
stdin closes; `platform_process(data_dir)` runs it and yields that URL.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def platform_process(data_dir: Path) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk.bench._platform_process", str(data_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the platform process did not start (said {url!r})")
        yield url
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    from kiosk.platform.embedded import EmbeddedPlatform

    with EmbeddedPlatform(Path(sys.argv[1])) as platform:
        print(platform.base_url, flush=True)
        sys.stdin.read()  # until the benchmark closes our stdin


if __name__ == "__main__":
    main()
