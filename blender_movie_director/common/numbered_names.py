"""`name`, or `name 2`, `name 3` … : the first one nobody has (cast members, user presets)."""

from __future__ import annotations

from collections.abc import Container


def first_free(name: str, taken: Container[str]) -> str:
    if name not in taken:
        return name
    n = 2
    while f"{name} {n}" in taken:
        n += 1
    return f"{name} {n}"
