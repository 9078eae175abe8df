"""The lock: today's pins, closed under every target's own dependency markers, one wheel per ABI."""

from __future__ import annotations

from devtools.extension import closure
from devtools.extension.build import check_lock
from devtools.extension.policy import LEFT_OUT
from devtools.extension.targets import all_targets
from devtools.extension.wheelfile import WheelName

BINARY = ("pydantic-core", "pyyaml")  # no pure or abi3 build: one wheel per platform and CPython


def available(lock):
    return [t for t in all_targets() if str(t) not in lock.unavailable]


def test_lock_is_for_the_current_pins_and_platforms(lock) -> None:
    check_lock(lock)
    assert lock.pythons == ["3.11", "3.13"]


def test_every_requirement_is_bundled_on_every_target(lock, wheels) -> None:
    for target in available(lock):
        assert closure.unmet(wheels, target) == [], target


def test_binary_dependencies_have_a_wheel_for_each_platform_and_python(lock) -> None:
    for target in available(lock):
        here = {w.name for w in map(WheelName.parse, lock.wheels) if closure.installs_on(w, target)}
        assert set(BINARY) <= here, target


def test_only_a_missing_upstream_wheel_makes_a_target_unavailable(lock) -> None:
    # PyYAML publishes no CPython 3.11 wheel for Windows on ARM: that zip serves Blender 5.1+ only
    assert lock.unavailable == {"windows-arm64/cp311": "no wheel on PyPI: pyyaml==6.0.3"}


def test_left_out_packages_are_not_bundled_and_versions_are_single(lock) -> None:
    names = [WheelName.parse(n) for n in lock.wheels]
    assert not {w.name for w in names} & set(LEFT_OUT)
    versions = {}
    for w in names:
        versions.setdefault(w.name, set()).add(w.version)
    assert all(len(v) == 1 for v in versions.values()), versions
