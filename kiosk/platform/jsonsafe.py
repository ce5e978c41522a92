"""JSON from the other side of the wire, bounded: nesting depth is checked without recursion.

json.loads itself recurses in C and raises RecursionError near 1,000 levels; a body just under
that still makes every recursive consumer (pydantic, json.dumps, our own walkers) fragile.
So both sides parse, then refuse anything deeper than the API ever needs.
"""

from __future__ import annotations

import json
from typing import Any


class TooDeep(ValueError):
    """The JSON nests deeper than allowed."""


def check_depth(data: Any, max_depth: int) -> None:
    """Raise TooDeep if lists/objects nest deeper than max_depth (iterative, no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth >= max_depth:
            raise TooDeep(f"nests deeper than {max_depth} levels")
        stack.extend((child, depth + 1) for child in children)


def loads_bounded(raw: bytes | str, max_depth: int) -> Any:
    """json.loads that raises only ValueError (bad JSON, bad UTF-8, too deep), never
    RecursionError."""
    try:
        data = json.loads(raw)
    except RecursionError:
        raise TooDeep(f"nests deeper than {max_depth} levels") from None
    check_depth(data, max_depth)
    return data
