"""Is a set of wheels complete for one target? Every requirement of every wheel Blender would install
there, with its markers evaluated for that target, must be met by another such wheel (or be one we
leave out on purpose). pip cannot answer this: it evaluates markers for the machine it runs on."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .policy import LEFT_OUT, canonical
from .targets import Target
from .wheelfile import WheelName, requirements


def installs_on(wheel: WheelName, target: Target) -> bool:
    """Blender's own rule (bl_pkg `_extensions_wheel_filter_for_this_system`): platform, then Python."""
    return _platform_fits(wheel.platforms, target.platform) and _python_fits(wheel, target)


def _platform_fits(platforms: tuple[str, ...], platform: str) -> bool:
    tag = ".".join(platforms)  # Blender looks at the whole compressed tag: manylinux2014_x86_64.manylinux_2_17_x86_64
    fits = {
        "linux-x64": tag.startswith("manylinux") and tag.endswith("_x86_64"),
        "windows-x64": tag == "win_amd64",
        "windows-arm64": tag == "win_arm64",
        "macos-arm64": tag.startswith("macosx_") and tag.endswith(("_arm64", "_universal2")),
        "macos-x64": tag.startswith("macosx_") and tag.endswith(("_x86_64", "_universal2")),
    }
    return tag == "any" or fits[platform]


def _python_fits(wheel: WheelName, target: Target) -> bool:
    wanted = tuple(int(p) for p in target.python.split("."))
    for tag in wheel.pythons:
        digits = tag[2:]
        if tag.startswith("py") and digits.isdigit() and int(digits[0]) == wanted[0] and len(digits) == 1:
            return True
        if tag.startswith("cp") and digits.isdigit():
            version = (int(digits[0]), int(digits[1:]))
            if version == wanted or ("abi3" in wheel.abis and wanted >= version):
                return True
    return False


def unmet(wheels: Iterable[Path], target: Target) -> list[tuple[str, str]]:
    """(requirement without its marker, the wheel asking) for each one nothing in `wheels` meets on `target`."""
    from packaging.requirements import Requirement  # a dev-only import: any venv of this repo has it

    here = [w for w in wheels if installs_on(WheelName.parse(w.name), target)]
    versions = {WheelName.parse(w.name).name: WheelName.parse(w.name).version for w in here}
    environment = {**target.marker_environment(), "extra": ""}
    missing = []
    for wheel in here:
        for line in requirements(wheel):
            requirement = Requirement(line)
            if requirement.marker is not None and not requirement.marker.evaluate(environment):
                continue
            name = canonical(requirement.name)
            if name in LEFT_OUT:
                continue
            version = versions.get(name)
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                missing.append((f"{requirement.name}{requirement.specifier}", wheel.name))
    return missing
