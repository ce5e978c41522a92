"""`kiosk run` and `kiosk soak` start themselves again under jemalloc (kiosk/allocator.py):
the process that serves is the same pid, allocates with jemalloc, and hands its children
the environment they would have had; KIOSK_ALLOCATOR=system keeps the system's."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from kiosk import allocator

PROBE = (
    "import os, sys; from kiosk import allocator; "
    "allocator.restart_with_jemalloc('run', sys.orig_argv); allocator.settle(os.environ); "
    "print(os.getpid(), allocator.in_use(), os.environ.get('LD_PRELOAD', '-'), "
    "os.environ.get('PYTHONMALLOC', '-'), allocator.purge())"
)


def run_probe(**env: str) -> list[str]:
    """The probe's own words, after checking it is still the process that was started."""
    environ = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", allocator.MARK)}
    proc = subprocess.Popen([sys.executable, "-c", PROBE], env={**environ, **env},
                            stdout=subprocess.PIPE, text=True)  # fmt: skip
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    words = out.split()
    assert int(words[0]) == proc.pid  # started again in place: systemd's main pid holds
    return words


def test_restarts_under_jemalloc_and_children_do_not_inherit_it() -> None:
    assert allocator.jemalloc_library(), "libjemalloc2 missing (scripts/setup.sh installs it)"
    _pid, used, preload, pymalloc, purged = run_probe()
    assert used == "jemalloc" and purged == "True"
    assert (preload, pymalloc) == ("-", "-")  # what a child of the kiosk sees


def test_opt_out_keeps_the_system_allocator() -> None:
    _pid, used, _preload, _pymalloc, purged = run_probe(KIOSK_ALLOCATOR="system")
    assert used == "glibc" and purged == "False"


@pytest.mark.parametrize("command", ["diag", "outbox", "printer"])
def test_short_commands_do_not_restart(command: str) -> None:
    allocator.restart_with_jemalloc(command, sys.orig_argv)  # an exec would end this test
    assert allocator.in_use() == "glibc"


@pytest.mark.parametrize(
    ("words", "command"),
    [([], "run"), (["--config", "soak.toml"], "run"), (["--config", "k.toml", "soak", "-h"], "soak"),
     (["diag", "--json"], "diag"), (["--help"], None), (["--version"], None)],
)  # fmt: skip
def test_the_command_is_read_before_the_parser_is_built(
    words: list[str], command: str | None
) -> None:
    from kiosk.cli import _command_named

    assert _command_named(words) == command
