"""A throwaway PostgreSQL cluster on loopback (initdb + pg_ctl) for the load generator and
its benchmark: a real server with durable commits, gone when the block ends."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class NoPostgres(RuntimeError):
    pass


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}")) or [shutil.which(name) or ""]
    if not found[-1]:
        raise NoPostgres(
            f"PostgreSQL server binary {name!r} not found (apt-get install postgresql)"
        )
    return found[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def throwaway_postgres(fsync: bool = True) -> Iterator[str]:
    """Yields a postgresql:// URL. Not under a 0700 tmp dir: the postgres user must enter it."""
    root = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(root, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = root / "data", free_port()
    try:
        subprocess.run([*as_user, _bin("initdb"), "-D", str(data), "-A", "trust", "-U", "kiosk",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)  # fmt: skip
        options = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=60 "
                   f"-c fsync={'on' if fsync else 'off'} -c shared_buffers=128MB")  # fmt: skip
        subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-o", options, "-l",
                        str(root / "log"), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=90)  # fmt: skip
        yield f"postgresql://kiosk@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([*as_user, _bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
                           capture_output=True, timeout=60)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
