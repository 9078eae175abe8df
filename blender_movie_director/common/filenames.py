"""Safe file names built from prompts: no path separators, no traversal, length-capped."""

from __future__ import annotations

import re
import time
import unicodedata

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_STEM = 60


def slug(text: str, limit: int = 40) -> str:
    """'A cat, on the moon!' -> 'A_cat_on_the_moon'. Never empty, never starts with a dot."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    cleaned = _UNSAFE.sub("_", ascii_text).strip("._-")
    cleaned = re.sub(r"_+", "_", cleaned)[:limit].strip("._-")
    return cleaned or "clip"


def clip_stem(prompt: str, seed: int, job_id: str, when: float | None = None) -> str:
    """Wan2GP-style name: date, seed, prompt; plus a short job id so names never collide."""
    stamp = time.strftime("%Y-%m-%d-%Hh%Mm%Ss", time.localtime(when))
    return f"{stamp}_seed{seed}_{slug(prompt)}_{slug(job_id, 8)}"[: MAX_STEM + 40]
