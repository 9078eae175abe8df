"""`--lock`: resolve the pinned roots for every target with pip and record the exact wheel files."""

from __future__ import annotations

import shutil
from pathlib import Path

from . import closure, pip
from .fetch import sha256
from .lockfile import Lock
from .policy import LEFT_OUT, roots
from .targets import PYTHONS, Target
from .wheelfile import WheelName


class ResolveError(RuntimeError):
    pass


def resolve(targets: list[Target], workdir: Path, cache: Path) -> Lock:
    """Downloads go to `workdir` (one folder per target); the chosen wheels are also put in `cache`."""
    pins = roots()
    chosen: dict[str, Path] = {}
    unresolved: list[Target] = []
    for target in targets:
        try:
            wheels = _resolve_target(pins, target, workdir / f"{target.platform}-{target.abi}")
        except pip.NoWheelsError:
            unresolved.append(target)
            continue
        chosen.update({w.name: w for w in wheels if WheelName.parse(w.name).name not in LEFT_OUT})
    _one_version_each(chosen)
    if not chosen:
        raise ResolveError("nothing resolved for any target")
    cache.mkdir(parents=True, exist_ok=True)
    for name, path in chosen.items():
        if not (cache / name).exists():
            shutil.copy2(path, cache / name)
    return Lock(pins, sorted({t.platform for t in targets}), list(PYTHONS),
                {name: sha256(path) for name, path in chosen.items()},
                {str(t): _what_is_missing(t, chosen, workdir) for t in unresolved})


def _resolve_target(pins: list[str], target: Target, dest: Path) -> list[Path]:
    shutil.rmtree(dest, ignore_errors=True)
    wheels = pip.download(pins, dest, target.pip_args())
    for _round in range(5):  # markers pip judged for this machine: add what the target's own ask for
        if not (missing := closure.unmet(wheels, target)):
            return [w for w in wheels if closure.installs_on(WheelName.parse(w.name), target)]
        wheels = pip.download(sorted({requirement for requirement, _ in missing}), dest, target.pip_args())
    raise ResolveError(f"{target}: still unmet after 5 rounds: {missing}")


def _what_is_missing(target: Target, chosen: dict[str, Path], workdir: Path) -> str:
    """Which binary dependency PyPI has no wheel of for this target (for the lock's note)."""
    binaries = sorted({(w.name, w.version) for w in map(WheelName.parse, chosen) if not w.is_pure})
    missing = []
    for name, version in binaries:
        try:
            pip.download([f"{name}=={version}"], workdir / f"probe-{target.platform}-{target.abi}",
                         target.pip_args(), deps=False)
        except pip.NoWheelsError:
            missing.append(f"{name}=={version}")
    return "no wheel on PyPI: " + (", ".join(missing) or "(some dependency)")


def _one_version_each(chosen: dict[str, Path]) -> None:
    versions: dict[str, set[str]] = {}
    for name in chosen:
        wheel = WheelName.parse(name)
        versions.setdefault(wheel.name, set()).add(wheel.version)
    if clashes := {name: v for name, v in versions.items() if len(v) > 1}:
        raise ResolveError(f"targets resolved to different versions (PyPI changed mid-run?): {clashes}")
