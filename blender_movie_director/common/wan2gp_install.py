"""What a Wan2GP folder is: its version, whether it has the Python API, which Python runs it.

Stdlib only, read from files without importing Wan2GP: the launcher (client side, Blender's
Python) and the wangp engine (server side, Wan2GP's Python) both use it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from . import hints
from .errors import Wan2GPInstallError

# shared/api.py (the in-process API the wangp engine drives) arrived in WanGP 10.981, commit
# c65a449 of 2026-03-10 (git log of shared/api.py in deepbeepmeep/Wan2GP).
MIN_VERSION = "10.981"
MIN_VERSION_TEXT = f"v{MIN_VERSION} (March 2026, the first with shared/api.py)"
# The engine was checked against this one (tests/fake_wan2gp mirrors its shared/api.py).
CHECKED_VERSION = "12.60"
CHECKED_COMMIT = "8681e9f777f9f847f74a0bdefd13d5b9a6efe12d"

_VERSION_LINE = re.compile(r"""^WanGP_version\s*=\s*["']([^"']+)["']""", re.M)

# Wan2GP's performance flags (shared/cli_args.py) the Director server passes on to init(cli_args=…)
VALUE_FLAGS = ("--profile", "--attention", "--gpu", "--preload", "--perc-reserved-mem-max",
               "--vram-safety-coefficient", "--verbose", "--vae-config", "--config", "--settings", "--loras")
SWITCH_FLAGS = ("--compile", "--fp16", "--bf16", "--check-loras")


@dataclass(frozen=True)
class Wan2GPInstall:
    root: Path
    version: str | None  # WanGP_version from wgp.py, None if it could not be read
    commit: str | None  # the checkout's git HEAD, when it is a git checkout

    @property
    def label(self) -> str:
        version = f"v{self.version}" if self.version else "unknown version"
        return f"WanGP {version}" + (f" ({self.commit[:7]})" if self.commit else "")


def inspect_wan2gp_dir(path: str | Path) -> Wan2GPInstall:
    """The Wan2GP checkout at `path`, or Wan2GPInstallError saying what is wrong with it."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise Wan2GPInstallError(
            f"Wan2GP folder not found: {root}",
            hint="pass the folder you cloned Wan2GP into (the one with wgp.py), e.g. --wan2gp-dir ~/Wan2GP")
    root = root.resolve()
    wgp = root / "wgp.py"
    if not wgp.is_file():
        raise Wan2GPInstallError(
            f"{root} is not a Wan2GP folder (there is no wgp.py in it)",
            hint="pass the folder of your Wan2GP checkout, the one you start with `python wgp.py`")
    version = read_version(wgp)
    if not (root / "shared" / "api.py").is_file():
        found = f"v{version}" if version else "an unknown version"
        raise Wan2GPInstallError(
            f"This Wan2GP ({found} at {root}) is too old: the Director server needs Wan2GP "
            f"{MIN_VERSION_TEXT} or newer",
            hint=f"update it: `cd {root} && git pull && pip install -r requirements.txt` "
                 "(in Wan2GP's own environment)")
    return Wan2GPInstall(root=root, version=version, commit=read_git_commit(root))


def read_version(wgp: Path) -> str | None:
    try:
        match = _VERSION_LINE.search(wgp.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    return match.group(1) if match else None


def read_git_commit(root: Path) -> str | None:
    """HEAD's commit from .git without running git (a loose or packed ref, or a detached HEAD)."""
    git = root / ".git"
    try:
        head = (git / "HEAD").read_text().strip()
        if not head.startswith("ref: "):
            return head or None
        ref = head[5:]
        loose = git / ref
        if loose.is_file():
            return loose.read_text().strip() or None
        for line in (git / "packed-refs").read_text().splitlines():
            if line.endswith(" " + ref):
                return line.split(" ", 1)[0]
    except OSError:
        return None
    return None


# ---------------------------------------------------------------- Wan2GP's own Python


def _python_in(env: Path) -> list[Path]:
    return [env / "bin" / "python", env / "Scripts" / "python.exe", env / "python.exe"]


def python_candidates(root: Path) -> list[Path]:
    """Where Wan2GP's Python may be, in the order we try them."""
    candidates: list[Path] = []
    # the one-click installer (setup.py) records the active env in envs.json: venv, uv or conda
    try:
        envs = json.loads((root / "envs.json").read_text())
        active = envs["envs"][envs["active"]]
        if active.get("type") in ("venv", "uv", "conda") and active.get("path"):
            env = Path(active["path"]).expanduser()
            candidates += _python_in(env if env.is_absolute() else root / env)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    for name in ("venv", ".venv", "env", "wan2gp_env"):
        candidates += _python_in(root / name)
    # the manual install (docs/INSTALLATION.md) makes a conda env named wan2gp
    conda_bases = [Path(p) for p in (os.environ.get("CONDA_PREFIX"),) if p]
    conda_exe = os.environ.get("CONDA_EXE")
    if conda_exe:
        conda_bases.append(Path(conda_exe).resolve().parents[1])
    home = Path.home()
    conda_bases += [home / "miniconda3", home / "anaconda3", home / "miniforge3", Path("/opt/conda"),
                    Path("/opt/miniconda3"), Path("/opt/anaconda3")]
    for base in conda_bases:
        candidates += _python_in(base / "envs" / "wan2gp")
    return list(dict.fromkeys(candidates))


def find_wan2gp_python(root: Path, explicit: str | Path | None = None) -> Path:
    """--python if given, else the first Python found in or for the Wan2GP folder."""
    if explicit:
        python = Path(explicit).expanduser().absolute()  # not resolved: a venv's python is a symlink
        if not python.exists():
            raise Wan2GPInstallError(f"{python} does not exist", hint=hints.hint("python_missing"))
        return python
    candidates = python_candidates(root)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    native = [c for c in candidates if (c.suffix == ".exe") == (sys.platform == "win32")]
    looked = ", ".join(str(c) for c in native[:6])
    raise Wan2GPInstallError(
        f"Wan2GP's Python was not found (looked in {looked}, …)",
        hint=hints.hint("wan2gp_python"))


# ---------------------------------------------------------------- the flags Wan2GP gets


def add_wan2gp_flags(parser: argparse.ArgumentParser) -> None:
    """Wan2GP's performance flags, accepted as-is and handed on (see wan2gp_cli_args)."""
    group = parser.add_argument_group("Wan2GP flags (passed to Wan2GP unchanged)")
    for flag in VALUE_FLAGS:
        group.add_argument(flag, dest=_dest(flag), metavar="VALUE", default=None)
    for flag in SWITCH_FLAGS:
        group.add_argument(flag, dest=_dest(flag), action="store_true")
    group.add_argument("--wan2gp-arg", dest="wan2gp_extra", action="append", default=[], metavar="ARG",
                       help="any other Wan2GP flag, one per use (e.g. --wan2gp-arg=--teacache)")


def wan2gp_cli_args(args: argparse.Namespace) -> list[str]:
    """The flags given on our command line, as Wan2GP's own argv."""
    argv: list[str] = []
    for flag in VALUE_FLAGS:
        value = getattr(args, _dest(flag), None)
        if value is not None:
            argv += [flag, str(value)]
    for flag in SWITCH_FLAGS:
        if getattr(args, _dest(flag), False):
            argv.append(flag)
    return argv + list(getattr(args, "wan2gp_extra", []) or [])


def _dest(flag: str) -> str:
    return "wan2gp_" + flag.lstrip("-").replace("-", "_")
