"""`pip download` of binary wheels for another platform: the one way this build talks to PyPI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class PipError(RuntimeError):
    pass


class NoWheelsError(PipError):
    """PyPI has no wheel (or no consistent set) for these tags: not a network problem."""


_NOT_PUBLISHED = ("No matching distribution found", "ResolutionImpossible")


def download(requirements: list[str], dest: Path, tag_args: list[str], *, deps: bool = True) -> list[Path]:
    """Download into `dest` (created); returns the wheel files now there."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--quiet",
           "--dest", str(dest), *tag_args, *([] if deps else ["--no-deps"]), *requirements]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # pip warns about every unreachable extra index first: keep what explains the failure
        lines = [line for line in result.stderr.splitlines() if not line.startswith("WARNING: Location")]
        error = NoWheelsError if any(s in result.stderr for s in _NOT_PUBLISHED) else PipError
        raise error(f"pip download {' '.join(requirements)} {' '.join(tag_args)} failed:\n" + "\n".join(lines[-30:]))
    return sorted(dest.glob("*.whl"))
