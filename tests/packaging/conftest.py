"""The extension as users get it: built from the lock with this venv's Blender builder and validator."""

from __future__ import annotations

import pytest

from devtools.extension import blender_cli, lockfile
from devtools.extension.build import Built, build
from devtools.extension.fetch import fetch

from . import blender_site


@pytest.fixture(scope="session")
def tool() -> blender_cli.BlenderExt:
    found = blender_cli.find()  # this venv's bpy: 4.5's checks in the 4.5 run, 5.0's in the 5.0 run
    assert found.blender_version == blender_site.blender_version()
    return found


@pytest.fixture(scope="session")
def lock() -> lockfile.Lock:
    return lockfile.read()


@pytest.fixture(scope="session")
def wheels(lock):
    return fetch(lock)  # from build/wheel-cache, downloaded and hash-checked on a fresh machine


@pytest.fixture(scope="session")
def built(tool, wheels, tmp_path_factory) -> Built:
    return build(tool, tmp_path_factory.mktemp("extension"))
