"""What goes into the extension: the client's pinned dependencies, minus what it must not carry.

Decided here once; README "Install the extension" and the tests repeat the reasons.
"""

from __future__ import annotations

import re

from .targets import REPO

RUNTIME_REQUIREMENTS = REPO / "requirements" / "runtime.txt"

# Left out although some dependency declares them, with the reason. Anything else the pinned roots
# pull in for a target is bundled (tests/packaging checks the lock is closed apart from these).
LEFT_OUT = {
    # huggingface_hub wants it for Xet-backed Hub downloads; gradio_client never makes one, so it is
    # never imported (4 MB of binary per platform)
    "hf-xet": "never imported by gradio_client (Hub Xet downloads only)",
}
# Bundled although Blender ships a copy: certifi and idna (httpx needs them; official builds ship them
# beside `requests`, but distribution builds such as Debian's use the system Python without them, and
# the add-on could not talk to any server there). Ours come after Blender's copies on sys.path in the
# session the extension is installed in, and first after a restart; httpx only calls certifi.where() and
# idna.encode/decode, which every version has.
# Also bundled although Blender ships a copy: typing_extensions (5.0 has 4.14.1; pydantic asks for >=4.16
# and 4.2–4.5 have none; it only ever adds, so ours shadowing 5.0's after a restart is harmless, and
# tests/packaging runs the add-on with 5.0's copy first). colorama: tqdm's requirement on Windows; a pure
# wheel, so blender_ext puts it in every zip (25 kB).


def canonical(name: str) -> str:
    """PEP 503 name: how to compare distribution names from metadata, filenames and requirements."""
    return re.sub(r"[-_.]+", "-", name).lower()


def roots() -> list[str]:
    """The client's runtime requirements as pinned in requirements/runtime.txt (the one place they are pinned)."""
    lines = (line.split("#", 1)[0].strip() for line in RUNTIME_REQUIREMENTS.read_text().splitlines())
    return [line for line in lines if line]
