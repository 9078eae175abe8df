"""The platforms and Pythons the extension ships for, as pip and as dependency markers see them."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MANIFEST = REPO / "blender_manifest.toml"

# Blender 4.2–5.0 embed CPython 3.11; 5.1+ embed 3.13. Blender installs only the wheels whose tags
# match its own Python, so binary dependencies need one wheel per ABI (abi3 and pure ones serve both).
PYTHONS = ("3.11", "3.13")

# pip's --platform does not widen manylinux tags by itself (macOS tags it does), so list the ones
# Blender's glibc 2.28 floor accepts. macOS 11 is Blender 4.2's minimum on both CPUs.
PIP_PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64",
                  "manylinux_2_12_x86_64", "manylinux2010_x86_64", "manylinux_2_5_x86_64", "manylinux1_x86_64"),
    "windows-x64": ("win_amd64",),
    "windows-arm64": ("win_arm64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
}

# what PEP 508 markers see on each platform (pip download evaluates them for the machine it runs on)
_MARKER_SYSTEM = {
    "linux": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
    "windows": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    "macos": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}
_MARKER_MACHINE = {"linux-x64": "x86_64", "windows-x64": "AMD64", "windows-arm64": "ARM64",
                   "macos-arm64": "arm64", "macos-x64": "x86_64"}


@dataclass(frozen=True)
class Target:
    platform: str  # Blender's name: linux-x64, windows-arm64…
    python: str  # "3.11"

    @property
    def abi(self) -> str:
        return "cp" + self.python.replace(".", "")

    def __str__(self) -> str:
        return f"{self.platform}/{self.abi}"

    def pip_args(self) -> list[str]:
        args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", self.python,
                "--abi", self.abi, "--abi", "abi3", "--abi", "none"]
        for tag in PIP_PLATFORMS[self.platform]:
            args += ["--platform", tag]
        return args

    def marker_environment(self) -> dict[str, str]:
        return {**_MARKER_SYSTEM[self.platform.split("-")[0]], "platform_machine": _MARKER_MACHINE[self.platform],
                "python_version": self.python, "python_full_version": self.python + ".0",
                "implementation_name": "cpython", "platform_python_implementation": "CPython",
                "platform_release": "", "platform_version": "", "implementation_version": self.python + ".0"}


def manifest_platforms(manifest: Path = MANIFEST) -> tuple[str, ...]:
    with manifest.open("rb") as fh:
        return tuple(tomllib.load(fh)["platforms"])


def all_targets(platforms: tuple[str, ...] | None = None) -> list[Target]:
    return [Target(p, py) for p in (platforms or manifest_platforms()) for py in PYTHONS]
