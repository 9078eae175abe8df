"""Recognising a Wan2GP folder, finding its Python, and handing its flags on (wan2gp_install.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from blender_movie_director.common.errors import Wan2GPInstallError
from blender_movie_director.common.wan2gp_install import (
    MIN_VERSION,
    add_wan2gp_flags,
    find_wan2gp_python,
    inspect_wan2gp_dir,
    wan2gp_cli_args,
)

REPO = Path(__file__).resolve().parents[2]


def wan2gp(tmp_path: Path, version: str = "12.60", api: bool = True) -> Path:
    root = tmp_path / "Wan2GP"
    (root / "shared").mkdir(parents=True)
    (root / "wgp.py").write_text(f'import os\ntarget_mmgp_version = "3.7.12"\nWanGP_version = "{version}"\n')
    if api:
        (root / "shared" / "api.py").write_text("def init(): ...\n")
    return root


def fake_python(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    return path


def test_version_and_git_commit_are_read_without_importing(tmp_path: Path) -> None:
    root = wan2gp(tmp_path)
    (root / ".git" / "refs" / "heads").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    commit = "8681e9f777f9f847f74a0bdefd13d5b9a6efe12d"
    (root / ".git" / "packed-refs").write_text(f"# pack-refs\n{commit} refs/heads/main\n")
    install = inspect_wan2gp_dir(root)
    assert (install.version, install.commit) == ("12.60", "8681e9f777f9f847f74a0bdefd13d5b9a6efe12d")
    assert install.label == "WanGP v12.60 (8681e9f)"


def test_the_repository_fakes_are_what_they_claim() -> None:
    assert inspect_wan2gp_dir(REPO / "tests" / "fake_wan2gp").version == "12.60"
    with pytest.raises(Wan2GPInstallError, match=rf"v9\.82 .*too old.*v{MIN_VERSION}"):
        inspect_wan2gp_dir(REPO / "tests" / "fake_wan2gp_old")


@pytest.mark.parametrize(("make", "message"), [
    (lambda tmp: tmp / "missing", "Wan2GP folder not found"),
    (lambda tmp: tmp, "is not a Wan2GP folder"),
    (lambda tmp: wan2gp(tmp, "10.80", api=False), f"v10.80 .* is too old: .* v{MIN_VERSION} \\(March 2026"),
])
def test_bad_folders_are_refused_with_a_reason(tmp_path: Path, make, message: str) -> None:
    with pytest.raises(Wan2GPInstallError, match=message) as caught:
        inspect_wan2gp_dir(make(tmp_path))
    assert caught.value.hint


def test_python_is_found_in_the_venv_then_from_envs_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv("CONDA_EXE", raising=False)
    root = wan2gp(tmp_path)
    with pytest.raises(Wan2GPInstallError, match="Python was not found") as caught:
        find_wan2gp_python(root)
    assert "--python" in caught.value.hint and str(root / "venv" / "bin" / "python") in caught.value.message
    dot_venv = fake_python(root / ".venv" / "bin" / "python")
    assert find_wan2gp_python(root) == dot_venv
    # the one-click installer's record of the active environment wins
    conda_env = tmp_path / "conda" / "envs" / "wangp"
    conda_python = fake_python(conda_env / "bin" / "python")
    (root / "envs.json").write_text(json.dumps({"active": "wangp", "envs": {"wangp": {"type": "conda",
                                                                                   "path": str(conda_env)}}}))
    assert find_wan2gp_python(root) == conda_python
    assert find_wan2gp_python(root, dot_venv) == dot_venv
    with pytest.raises(Wan2GPInstallError, match="does not exist"):
        find_wan2gp_python(root, tmp_path / "nope" / "python")


def test_a_conda_env_named_wan2gp_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CONDA_PREFIX", raising=False)
    monkeypatch.delenv("CONDA_EXE", raising=False)
    python = fake_python(tmp_path / "home" / "miniconda3" / "envs" / "wan2gp" / "bin" / "python")
    assert find_wan2gp_python(wan2gp(tmp_path)) == python


def test_wan2gp_flags_survive_the_trip_through_launcher_and_server() -> None:
    import argparse

    launcher_side = argparse.ArgumentParser()
    add_wan2gp_flags(launcher_side)
    argv = wan2gp_cli_args(launcher_side.parse_args(
        ["--profile", "4", "--attention", "sage2", "--compile", "--gpu", "cuda:1", "--preload", "2000", "--bf16",
         "--wan2gp-arg=--teacache", "--wan2gp-arg=2.0"]))
    assert argv == ["--profile", "4", "--attention", "sage2", "--gpu", "cuda:1", "--preload", "2000", "--compile",
                    "--bf16", "--teacache", "2.0"]
    server_side = argparse.ArgumentParser()
    add_wan2gp_flags(server_side)
    # the launcher hands each token on as --wan2gp-arg=…, the server gives Wan2GP the same argv back
    assert wan2gp_cli_args(server_side.parse_args([f"--wan2gp-arg={token}" for token in argv])) == argv
