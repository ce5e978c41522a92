"""The shipped deployment (deploy/): the systemd units pass `systemd-analyze verify`, and
when the kiosk cannot start (a broken config, a damaged install) the launcher puts 暂停服务
with the maintainer's phone number on the screen, tells systemd it is up, and tries the
kiosk again later, instead of a shell, a black screen or a restart loop."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pty_helpers import REPO, PtyKiosk

UNITS = sorted((REPO / "deploy").glob("*.service"))


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install systemd (scripts/setup.sh test)"
    assert {u.name for u in UNITS} >= {"kiosk.service", "kiosk-out-of-service.service"}
    for unit in UNITS:  # installed under /opt/kiosk; here the repo stands in for it
        (tmp_path / unit.name).write_text(unit.read_text().replace("/opt/kiosk", str(REPO)))
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and not done.stderr.strip() and not done.stdout.strip(), (
        done.stdout + done.stderr
    )  # a warning (an unknown key, a missing program) fails too


def test_the_kiosk_unit_restarts_and_is_watched() -> None:
    text = (REPO / "deploy" / "kiosk.service").read_text()
    for line in ("Type=notify", "Restart=always", "WatchdogSec=", "StartLimitBurst=",
                 "OnFailure=kiosk-out-of-service.service"):  # fmt: skip
        assert f"\n{line}" in text, line


@pytest.fixture
def damaged_textual(tmp_path: Path) -> Path:
    """A site dir whose `textual` cannot be imported: the install is damaged."""
    (tmp_path / "site" / "textual").mkdir(parents=True)
    (tmp_path / "site" / "textual" / "__init__.py").write_text(
        'raise ImportError("textual is damaged (test)")\n'
    )
    return tmp_path / "site"


@pytest.mark.parametrize("cause", ["config", "install"])
def test_cannot_start_shows_out_of_service(
    cause: str, tmp_path: Path, damaged_textual: Path
) -> None:
    config = tmp_path / "kiosk.toml"
    phone = "0571-8888 0000"  # synthetic
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "KIOSK_REAL_BIN": str(Path(sys.executable).with_name("kiosk")),
        "KIOSK_CONFIG": str(config),
        "KIOSK_RETRY_S": "3",
        "KIOSK_EXIT_STATUS_FILE": str(tmp_path / "status"),
        "KIOSK_TERMINAL__DATA_DIR": str(tmp_path / "data"),
        "NOTIFY_SOCKET": str(tmp_path / "notify.sock"),
        "PYTHONPATH": str(REPO),
    }
    if cause == "config":  # mistyped, and not even valid TOML further down
        config.write_text(f'[terminal]\nmaintainer_phone = "{phone}"\n[devices]\nprintr = 1\n[x\n')
        expected = "2"
    else:
        config.write_text(f'[terminal]\nmaintainer_phone = "{phone}"\n')
        env["PYTHONPATH"] = f"{damaged_textual}:{REPO}"
        expected = "3"
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(env["NOTIFY_SOCKET"])
    systemd.settimeout(60)
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(REPO / "deploy" / "kiosk-launcher")],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    marks_r, marks_w = os.pipe()
    os.close(marks_w)
    screen = PtyKiosk(proc, master, marks_r, tmp_path)
    try:
        assert systemd.recv(4096).startswith(b"READY=1\nSTATUS=out of service")
        deadline = time.monotonic() + 30
        while phone.encode() not in screen.seen or "暂停服务".encode() not in screen.seen:
            assert time.monotonic() < deadline, screen.seen[-2000:]
            screen.pump(0.1)
        assert (tmp_path / "status").read_text().strip() == expected
        assert systemd.recv(4096) == b"WATCHDOG=1"  # the screen keeps systemd's watchdog fed
        (tmp_path / "status").unlink()
        deadline = time.monotonic() + 30  # 3 s later the kiosk is tried again
        while not (tmp_path / "status").exists():
            assert time.monotonic() < deadline, "the kiosk was not tried again"
            screen.pump(0.1)
        assert proc.poll() is None, "the launcher gave up: the screen would go black"
    finally:
        os.killpg(proc.pid, 9)
        proc.wait()
        os.close(master)
        os.close(marks_r)
        systemd.close()
