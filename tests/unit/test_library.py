"""The clip library file and the LoRA lists asked for off the main thread: no server, no Blender."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from blender_movie_director.common.enums import EngineName
from blender_movie_director.common.errors import ServerUnavailableError
from blender_movie_director.common.finishing import FinishOperation, FinishSpec
from blender_movie_director.common.library import ClipLibrary, library_for_journal, search
from blender_movie_director.common.messages import JobResult, LoraList
from blender_movie_director.common.presets import PresetUse
from blender_movie_director.common.settings import GenerationSettings
from blender_movie_director.jobs.lora_lists import LoraLists


def result(folder: Path, name: str, prompt: str, *, finished: float, **settings) -> JobResult:
    clip = folder / name
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom")
    frames = 1 if name.endswith(".png") else 17
    return JobResult(job_id=f"job-{name}", engine=EngineName.SIMULATED, seed=7,
                     settings=GenerationSettings(model_type="t2v_1.3B", prompt=prompt, **settings),
                     frames=0 if name.endswith(".wav") else frames, fps=16.0, width=448, height=256,
                     output_name=name, started_at=finished - 1, finished_at=finished, video_path=clip,
                     sidecar_path=clip.with_suffix(".json"), submitted_at=finished - 2, downloaded_at=finished)


def test_the_library_keeps_every_clip_with_what_it_was_made_with(tmp_path: Path) -> None:
    folder = tmp_path / "movie_director"
    folder.mkdir()
    path = library_for_journal(folder / "shots.journal.json")
    assert path == folder / "shots.library.json"
    book = ClipLibrary(path)
    noir = result(folder, "a.mp4", "rain on glass, black and white film noir", finished=100,
                  preset=PresetUse(name="Film Noir", prompt="rain on glass"), cast=("Anna",))
    up = result(folder, "a_upscale.mp4", "rain on glass, black and white film noir", finished=200,
                finish=FinishSpec(operation=FinishOperation.UPSCALE, source_name="a.mp4", source_strip="rain"))
    still = result(folder, "b.png", "a map", finished=150)
    assert book.add("job-a", noir) and not book.add("job-a", noir)  # once per job
    assert book.add_all([("job-up", up), ("job-b", still), ("job-a", noir)]) == 2
    entries = book.entries()
    assert [e.key for e in entries] == ["job-up", "job-b", "job-a"]  # newest first
    first = entries[-1]
    assert (first.prompt, first.preset, first.cast, first.kind) == ("rain on glass", "Film Noir", ("Anna",), "video")
    assert "look Film Noir" in first.describe() and "cast Anna" in first.describe() and "1.1 s" in first.describe()
    assert entries[0].finish == "Upscale ×2 (lanczos)" and entries[0].source == "rain"
    assert entries[1].kind == "image" and "still" in entries[1].describe()
    assert [e.key for e in search(entries, "noir anna")] == ["job-a"]
    assert [e.key for e in search(entries, "", "IMAGE")] == ["job-b"]
    stored = json.loads(path.read_text())
    assert stored["clips"][0]["result"]["video_path"] == "a.mp4"  # relative: the project folder may move


def test_the_library_follows_a_moved_project_and_a_first_save(tmp_path: Path) -> None:
    old = tmp_path / "old" / "movie_director"
    old.mkdir(parents=True)
    ClipLibrary(old / "p.library.json").add("job-a", result(old, "a.mp4", "a shot", finished=1))
    moved = tmp_path / "moved"
    (tmp_path / "old").rename(moved)
    (entry,) = ClipLibrary(moved / "movie_director" / "p.library.json").entries()
    assert entry.exists and entry.clip == moved / "movie_director" / "a.mp4"

    unsaved = tmp_path / "session"
    unsaved.mkdir()
    ClipLibrary(unsaved / "unsaved.library.json").add("job-s", result(unsaved, "s.mp4", "before saving", finished=2))
    project = tmp_path / "project" / "movie_director"
    project.mkdir(parents=True)
    (unsaved / "s.mp4").rename(project / "s.mp4")  # the first save moves the clips into the project
    book = ClipLibrary(project / "film.library.json")
    assert book.merge_from(unsaved / "unsaved.library.json", folder=project) == 1
    (entry,) = book.entries()
    assert entry.exists and entry.clip == project / "s.mp4"


def test_a_damaged_library_is_read_as_empty_and_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "p.library.json"
    path.write_text("{not json")
    book = ClipLibrary(path)
    assert book.entries() == []
    assert book.add("job-a", result(tmp_path, "a.mp4", "a shot", finished=1))
    assert len(book.entries()) == 1


class SlowClient:
    calls: list[str] = []

    def __init__(self, url: str) -> None:
        self.url = url

    def list_loras(self, model_type: str) -> LoraList:
        SlowClient.calls.append(threading.current_thread().name)
        time.sleep(0.05)
        if model_type == "down":
            raise ServerUnavailableError(self.url, "refused")
        return LoraList(model_type=model_type, supported=True, loras=("a.safetensors", "b.safetensors"))

    def close(self) -> None:
        pass


def test_lora_lists_are_asked_for_off_the_main_thread() -> None:
    lists = LoraLists(SlowClient)
    lists.request("http://x/", "t2v")
    lists.request("http://x", "t2v")  # the same question while it is asked: once
    assert lists.get("http://x", "t2v") is None and lists.asking("http://x", "t2v")
    lists.request("http://x", "down")
    lists.wait(5)
    found = lists.get("http://x", "t2v")
    assert found is not None and found.loras == ("a.safetensors", "b.safetensors")
    assert "refused" in lists.error("http://x", "down") and lists.changed() and not lists.changed()
    assert len(SlowClient.calls) == 2 and threading.main_thread().name not in SlowClient.calls
    lists.request("http://x", "t2v")  # known: not asked again unless refreshed
    lists.request("http://x", "t2v", refresh=True)
    lists.wait(5)
    assert len(SlowClient.calls) == 3
