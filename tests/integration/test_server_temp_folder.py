"""A server's private temporary folder (gradio's uploads and served copies) does not outlive it: Stop
Server (SIGTERM) deletes it, and a server killed outright has its folder deleted by the next one."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from blender_movie_director.server import temp_folder
from tests.conftest import start_test_server
from tests.waiting import wait_until

pytestmark = pytest.mark.server


def folders(root: Path) -> set[Path]:
    return set(root.glob(f"{temp_folder.PREFIX}*"))


def the_new_folder(root: Path, before: set[Path]) -> Path:
    (folder,) = folders(root) - before
    return folder


@pytest.mark.parametrize("flavour", ["gradio5", "gradio6"])
def test_stop_deletes_the_folder_and_a_killed_servers_folder_goes_with_the_next_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flavour: str) -> None:
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setenv("TMPDIR", str(root))  # the servers' temporary root
    unowned = root / f"{temp_folder.PREFIX}from-an-older-server"
    unowned.mkdir()

    killed = start_test_server(tmp_path / "killed", flavour)
    killed_folder = the_new_folder(root, {unowned})
    assert (killed_folder / temp_folder.OWNER_FILE).read_text() == str(killed.pid)
    os.kill(killed.pid, signal.SIGKILL)
    wait_until(lambda: not killed.alive(), 20, "the killed server to be gone")
    assert killed_folder.is_dir()  # nobody could clean up

    stopped = start_test_server(tmp_path / "stopped", flavour)
    try:
        stopped_folder = the_new_folder(root, {unowned})
        assert not killed_folder.exists()  # the next server deleted what the killed one left
        assert unowned.is_dir()  # a folder with no owner named is not ours to judge
    finally:
        stopped.stop()
    assert stopped.process is not None and stopped.process.returncode == 0  # ended by SIGTERM, not SIGKILL
    assert not stopped_folder.exists()
    assert folders(root) == {unowned}


def test_a_live_owner_keeps_its_folder(tmp_path: Path) -> None:
    mine = tmp_path / f"{temp_folder.PREFIX}live"
    mine.mkdir()
    (mine / temp_folder.OWNER_FILE).write_text(str(os.getppid()))  # a process that runs
    gone = tmp_path / f"{temp_folder.PREFIX}gone"
    gone.mkdir()
    (gone / temp_folder.OWNER_FILE).write_text("not a pid")
    assert temp_folder.remove_orphans(tmp_path) == 0
    assert mine.is_dir() and gone.is_dir()

