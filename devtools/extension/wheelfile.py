"""What a wheel says about itself: the tags in its file name and the requirements in its METADATA."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from email.parser import HeaderParser
from pathlib import Path

from .policy import canonical


@dataclass(frozen=True)
class WheelName:
    filename: str
    name: str  # canonical
    version: str
    pythons: tuple[str, ...]  # py3, cp311, cp38…
    abis: tuple[str, ...]  # none, abi3, cp311
    platforms: tuple[str, ...]  # any, win_amd64, manylinux_2_17_x86_64…

    @classmethod
    def parse(cls, filename: str) -> WheelName:
        parts = filename.removesuffix(".whl").split("-")
        if len(parts) not in (5, 6) or not filename.endswith(".whl"):
            raise ValueError(f"not a wheel file name: {filename}")
        name, version, python, abi, platform = parts[0], parts[1], parts[-3], parts[-2], parts[-1]
        return cls(filename, canonical(name), version, tuple(python.split(".")), tuple(abi.split(".")),
                   tuple(platform.split(".")))

    @property
    def is_pure(self) -> bool:
        return self.platforms == ("any",)

    def pip_args(self) -> list[str]:
        """pip download options that select exactly this file (its own tags, nothing wider)."""
        cp = [p for p in self.pythons if p.startswith("cp") and p[2:].isdigit()]
        # an abi3 or pure wheel installs on any newer CPython: ask for the oldest we ship
        python = f"{cp[0][2]}.{cp[0][3:]}" if cp and "abi3" not in self.abis else "3.11"
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python]
        for abi in self.abis:
            args += ["--abi", abi]
        for platform in self.platforms:
            args += ["--platform", platform]
        return args


def requirements(path: Path) -> list[str]:
    """Requires-Dist lines of a wheel's METADATA (markers included, extras too)."""
    with zipfile.ZipFile(path) as archive:
        (metadata,) = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        headers = HeaderParser().parsestr(archive.read(metadata).decode("utf-8"))
    return headers.get_all("Requires-Dist") or []
