"""Strip names a person can read: the shot's own words, never a model id, unique by themselves.

Blender's sequencer makes names unique by cutting a name at its last "." and counting from the
number after it, so "t2v_1.3B a lighthouse at dusk" duplicated became "t2v_1.004". Names made here
hold no "." at all (a prompt's full stops become "·"), fit Blender's 63 bytes without cutting a
character in half, and are made unique before Blender sees them ("… (2)"), so Blender never renames
them. Pure functions (no bpy): the add-on passes the names already taken.
"""

from __future__ import annotations

import re
from collections.abc import Container

MAX_NAME_BYTES = 63  # Blender's strip names: 64 bytes with the terminating zero
WORDS = 40  # characters of the prompt kept before the cut (at a word boundary)

_SPACES = re.compile(r"\s+")


def _fit(text: str, max_bytes: int) -> str:
    """`text` cut to at most `max_bytes` of UTF-8, at a character boundary."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def readable(prompt: str, *, limit: int = WORDS) -> str:
    """The start of a prompt as a name: one line, no dots, cut at a word, '…' when cut."""
    text = _SPACES.sub(" ", prompt).strip().rstrip(".").strip()
    text = text.replace(".", "·") or "shot"
    if len(text) > limit:
        cut = text[:limit]
        space = cut.rfind(" ")
        text = (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:-·") + "…"
    return text


def clip_name(prompt: str, *, take: int = 0, kind: str = "") -> str:
    """The base name of a clip: its prompt, and 'v2' for the second take of a shot. `kind` marks a
    companion strip ('sound', 'speed')."""
    name = readable(prompt)
    if take > 0:
        name += f" · v{take + 1}"
    if kind:
        name += f" ({kind})"
    return name


def unique(base: str, taken: Container[str]) -> str:
    """`base`, or `base (2)`, `base (3)`… : the first one not taken, within Blender's length."""
    base = base.replace(".", "·")
    candidate = _fit(base, MAX_NAME_BYTES)
    number = 2
    while candidate in taken:
        suffix = f" ({number})"
        candidate = _fit(base, MAX_NAME_BYTES - len(suffix.encode("utf-8"))) + suffix
        number += 1
    return candidate
