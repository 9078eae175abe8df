"""The zips: Blender's validator accepts them, each carries its own platform's wheels and nothing else."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from devtools.extension import closure
from devtools.extension.fetch import FetchError, fetch
from devtools.extension.lockfile import Lock
from devtools.extension.policy import LEFT_OUT
from devtools.extension.stage import PACKAGE, with_wheels
from devtools.extension.targets import MANIFEST, Target, manifest_platforms
from devtools.extension.wheelfile import WheelName

PLATFORMS = manifest_platforms()


def test_source_manifest_declares_what_the_store_asks_for() -> None:
    manifest = tomllib.loads(MANIFEST.read_text())
    assert manifest["tags"] == ["Sequencer"]
    assert set(manifest["permissions"]) == {"network", "files"}
    assert all(len(reason) <= 64 and not reason.endswith(".") for reason in manifest["permissions"].values())
    assert set(manifest["platforms"]) == {"linux-x64", "windows-x64", "windows-arm64", "macos-arm64", "macos-x64"}
    assert "wheels" not in manifest  # added to the staged copy only
    assert not [p for p in PACKAGE.rglob("*.py") if "bl_info" in p.read_text()]


def test_staged_manifest_validates(built, tool) -> None:
    tool.validate(built.source)
    staged = tomllib.loads((built.source / "blender_manifest.toml").read_text())
    assert len(staged["wheels"]) == len(list((built.source / "wheels").iterdir()))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_zip_validates_and_holds_only_its_platform_wheels(built, tool, lock, platform: str) -> None:
    tool.validate(built.zips[platform])
    inside = [WheelName.parse(n) for n in built.wheels_in(platform)]
    pythons = [Target(platform, py) for py in lock.pythons if f"{platform}/cp{py.replace('.', '')}" not in lock.unavailable]
    # every wheel is for this platform (or pure), and Blender would install each for some Python we ship
    assert all(any(closure.installs_on(w, t) for t in pythons) for w in inside), platform
    for target in pythons:
        assert {"pydantic-core", "pyyaml"} <= {w.name for w in inside if closure.installs_on(w, target)}, target
    assert not {w.name for w in inside} & set(LEFT_OUT)
    if len(pythons) < len(lock.pythons):  # no wheel for the missing Python: Blender refuses the zip there
        assert not [w for w in inside if any(p.startswith("cp311") for p in w.pythons)]
    size = built.zips[platform].stat().st_size
    print(f"\n{built.zips[platform].name}: {size / 1e6:.1f} MB, {len(inside)} wheels")
    assert size < 100e6  # extensions.blender.org's limit


def test_a_wheel_whose_hash_differs_stops_the_build(wheels, tmp_path: Path) -> None:
    shutil.copy(wheels[0], tmp_path / wheels[0].name)
    with pytest.raises(FetchError, match="sha256"):
        fetch(Lock([], [], [], {wheels[0].name: "0" * 64}), cache=tmp_path)


def test_wheels_list_goes_before_the_first_table() -> None:
    text = with_wheels('id = "x"\n\n[permissions]\nfiles = "y"\n', ["./wheels/a-1-py3-none-any.whl"])
    assert tomllib.loads(text)["wheels"] == ["./wheels/a-1-py3-none-any.whl"]
    with pytest.raises(ValueError):
        with_wheels(text, [])
