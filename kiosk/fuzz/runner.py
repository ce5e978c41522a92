"""Run fuzz targets: each target turns a random generator into one input and checks it."""

from __future__ import annotations

import random
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

# One input of a target: given the random generator, build an input, run it, and raise
# Crash (or anything unexpected) if the code under test misbehaved.
Case = Callable[[random.Random], None]


class Crash(Exception):
    """The code under test answered something it must not (e.g. a 500)."""


@dataclass(frozen=True)
class Target:
    name: str
    what: str  # the code under test and the documented failure
    # Sets up what the cases need (a server, a temp dir) and yields the case function.
    open: Callable[[], AbstractContextManager[Case]]


@dataclass
class Result:
    target: str
    inputs: int = 0
    crashes: int = 0
    seconds: float = 0.0
    examples: list[str] = field(default_factory=list)  # the first few crashes, described

    def to_json(self) -> dict[str, object]:
        return {"target": self.target, "inputs": self.inputs, "crashes": self.crashes,
                "seconds": round(self.seconds, 1), "examples": self.examples}  # fmt: skip


def run(target: Target, inputs: int, seed: int, keep: int = 3) -> Result:
    result = Result(target.name)
    started = time.perf_counter()
    with target.open() as case:
        for i in range(inputs):
            rng = random.Random(f"{seed}:{target.name}:{i}")
            try:
                case(rng)
            except Exception as exc:  # the point: anything that escapes is a finding
                result.crashes += 1
                if len(result.examples) < keep:
                    where = traceback.extract_tb(exc.__traceback__)[-1]
                    result.examples.append(
                        f"input #{i} (seed {seed}): {type(exc).__name__}: {str(exc)[:200]} "
                        f"at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}"
                    )
            result.inputs += 1
    result.seconds = time.perf_counter() - started
    return result


def chunks(rng: random.Random) -> Iterator[bytes]:
    """Endless random byte strings, mostly short."""
    while True:
        yield rng.randbytes(rng.choice((0, 1, 2, 4, 8, 16, 64, 256)))


def mutate(rng: random.Random, data: bytes, rounds: int | None = None) -> bytes:
    """A few random edits of `data`: flips, inserts, deletes, duplicated slices, extremes."""
    out = bytearray(data)
    for _ in range(rounds if rounds is not None else rng.randint(1, 4)):
        op = rng.randrange(7)
        at = rng.randrange(len(out) + 1)
        if op == 0 and out:
            out[min(at, len(out) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            out[at:at] = rng.randbytes(rng.randint(1, 8))
        elif op == 2 and out:
            del out[at : at + rng.randint(1, 8)]
        elif op == 3 and out:
            start = rng.randrange(len(out))
            piece = out[start : start + rng.randint(1, 32)]
            out[at:at] = piece * rng.randint(1, 64)
        elif op == 4 and out:
            out[min(at, len(out) - 1)] = rng.choice((0x00, 0x7F, 0x80, 0xFF))
        elif op == 5:
            out[at:at] = rng.choice(INTERESTING)
        elif op == 6 and out:
            del out[at:]
    return bytes(out)


INTERESTING = [
    b"0", b"-1", b"1e400", b"-1e400", b"nan", b"inf", b"9" * 40, b"\x00", b"\xff\xfe",
    b"%00", b"@", b"[", b"{", b'"', b"\\", b"\xe4\xb8\xad", b"~", b"..", b"//", b":",
]  # fmt: skip
