"""Issue 17 without servers: the server list, the choice of server, the Wan2GP queue file."""

from __future__ import annotations

import json
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from blender_movie_director.common.catalog import CATALOG
from blender_movie_director.common.messages import ServerStatus
from blender_movie_director.common.settings import parse_settings
from blender_movie_director.jobs.records import ServerInfo, Slot
from blender_movie_director.jobs.server_pool import ServerEntry, ServerLoad, choose, nobody_has, server_list
from blender_movie_director.jobs.wan2gp_queue import (
    ATTACHMENT_KEYS,
    QueueShot,
    export_queue,
    find_outputs,
    output_name,
)


def _status(busy: bool = False, queue: int = 0) -> ServerStatus:
    return ServerStatus(api_version="1", server_version="1", engine="simulated", gradio_version="5.29.0",
                        device="cpu", busy=busy, queue_length=queue, uptime_seconds=10.0)


def _load(url: str, *, models: tuple[str, ...] = ("t2v_1.3B",), missing_weights: tuple[str, ...] = (),
          ours: int = 0, progress: float = 0.0, busy: bool = False, queue: int = 0, healthy: bool = True,
          order: int = 0) -> ServerLoad:
    catalog = tuple(m.model_copy(update={"available": m.id not in missing_weights}) for m in CATALOG if m.id in models)
    info = ServerInfo(url, status=_status(busy, queue) if healthy else None, models=catalog,
                      error="" if healthy else "refused")
    return ServerLoad(url, info, ours=ours, ours_progress=progress, healthy=healthy, order=order)


def test_the_single_server_url_stays_first_and_each_url_counts_once() -> None:
    servers = server_list("http://127.0.0.1:7870/", [("http://gpu2:7870", "ann", True), ("http://gpu3:7870", "", False),
                                                      ServerEntry("http://127.0.0.1:7870")], first_user="me")
    assert servers == [ServerEntry("http://127.0.0.1:7870", "me"), ServerEntry("http://gpu2:7870", "ann")]


def test_the_least_busy_healthy_server_with_the_model_gets_the_job() -> None:
    idle, busy = _load("a", order=0, ours=1, progress=0.2), _load("b", order=1)
    assert choose([idle, busy], "t2v_1.3B").url == "b"
    # another user's queue counts as busy too
    assert choose([_load("a", busy=True, queue=1), _load("b", order=1)], "t2v_1.3B").url == "b"
    # a down server never gets one
    assert choose([_load("a", healthy=False), _load("b", order=1)], "t2v_1.3B").url == "b"
    # downloaded weights are preferred over a download
    assert choose([_load("a", missing_weights=("t2v_1.3B",)), _load("b", order=1)], "t2v_1.3B").url == "b"
    # only the server that has the model
    assert choose([_load("a", models=("t2v",)), _load("b", order=1, ours=1, progress=0.9)], "t2v_1.3B").url == "b"


def test_a_busy_server_takes_a_job_only_when_its_one_job_is_nearly_done() -> None:
    assert choose([_load("a", ours=1, progress=0.3)], "t2v_1.3B") is None  # wait: do not hoard
    assert choose([_load("a", ours=1, progress=0.85)], "t2v_1.3B").url == "a"  # about to be free
    assert choose([_load("a", ours=2, progress=0.95)], "t2v_1.3B") is None


def test_nobody_has_the_model_only_when_every_server_said_so() -> None:
    assert nobody_has([_load("a", models=("t2v",)), _load("b", models=("t2v",))], "t2v_1.3B")
    assert not nobody_has([_load("a", models=("t2v",)), _load("b", healthy=False)], "t2v_1.3B")
    assert not nobody_has([_load("a", models=())], "t2v_1.3B")  # its catalog is not known yet
    # finishing a clip (model ""): any healthy server, whatever its catalog
    assert not nobody_has([_load("a", models=("t2v",))], "")
    assert choose([_load("a", healthy=False), _load("b", models=("t2v",), order=1)], "").url == "b"


# -- the Wan2GP queue file

def _wan2gp_style_load(queue_zip: Path, media_base: Path, cache_dir: Path) -> list[dict[str, Any]]:
    """What Wan2GP's queue loader does with a queue.zip (wgp.py: _parse_queue_zip_tasks,
    _parse_task_manifest, _extract_model_type, _load_task_attachments), minus the model checks:
    extract all, read queue.json (a list of {"id", "params"}), each attachment key's file name(s)
    relative to the zip's root must exist, copied into one cache folder by base name; the task ids
    are compared as integers."""
    with zipfile.ZipFile(queue_zip) as archive:
        assert "queue.json" in archive.namelist()
        archive.extractall(media_base)
    manifest = json.loads((media_base / "queue.json").read_text(encoding="utf-8"))
    assert isinstance(manifest, list)
    tasks = []
    for task in manifest:
        params = task.get("params", {})
        assert params.get("model_type") or params.get("base_model_type")
        for key in ATTACHMENT_KEYS:
            value = params.get(key)
            if value is None:
                continue
            names = value if isinstance(value, list) else [value]
            loaded = []
            for name in names:
                assert isinstance(name, str) and name.strip() and not os.path.isabs(name)
                source = media_base / name
                assert source.exists(), f"{key}: {name} is not in the zip"
                target = cache_dir / os.path.basename(name)
                assert not target.exists(), f"{name} would overwrite another task's file in Wan2GP's cache"
                shutil.copy2(source, target)
                loaded.append(target)
            params[key] = loaded if isinstance(value, list) else loaded[0]
        tasks.append({"id": task["id"], "params": params})
    assert max([t["id"] for t in tasks] + [0]) >= 0  # ints, as Wan2GP compares them
    return tasks


def _media(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / "media" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_an_exported_queue_zip_is_what_wan2gps_loader_reads_with_its_media(tmp_path: Path) -> None:
    start = _media(tmp_path, "start.png", b"\x89PNG start")
    end = _media(tmp_path, "end.png", b"\x89PNG end")
    guide = _media(tmp_path, "guide.mp4", b"guide video")
    ref = _media(tmp_path, "ref.png", b"\x89PNG ref")
    shots = [
        QueueShot("shot-a", parse_settings({"model_type": "t2v_1.3B", "prompt": "a harbour", "seed": 7,
                                            "video_length": 33}), Slot(scene="Scene", channel=2, frame_start=1,
                                                                       frames=33), "harbour"),
        QueueShot("shot-b", parse_settings({"model_type": "flf2v_720p", "prompt": "a door opens", "seed": 8,
                                            "image_start": str(start), "image_end": str(end)}),
                  Slot(scene="Scene", channel=2, frame_start=34, frames=81), "door"),
        QueueShot("shot-c", parse_settings({"model_type": "vace_1.3B", "prompt": "a dancer", "seed": 9,
                                            "video_guide": str(guide), "image_refs": str(ref)}),
                  Slot(scene="Scene", channel=3, frame_start=1, frames=81), "dancer"),
    ]
    queue_zip = export_queue(shots, tmp_path / "out" / "queue.zip")
    (tmp_path / "x").mkdir()
    (tmp_path / "cache").mkdir()
    tasks = _wan2gp_style_load(queue_zip, tmp_path / "x", tmp_path / "cache")
    assert [t["id"] for t in tasks] == [1, 2, 3]
    a, b, c = (t["params"] for t in tasks)
    assert a["model_type"] == "t2v_1.3B" and a["prompt"] == "a harbour" and a["seed"] == 7 and a["video_length"] == 33
    assert a["output_filename"] == output_name("shot-a") and isinstance(a["settings_version"], float)
    assert b["image_start"].read_bytes() == b"\x89PNG start" and b["image_end"].read_bytes() == b"\x89PNG end"
    assert "S" in b["image_prompt_type"] and "E" in b["image_prompt_type"]
    assert c["video_guide"].read_bytes() == b"guide video"
    assert isinstance(c["image_refs"], list) and c["image_refs"][0].read_bytes() == b"\x89PNG ref"  # a list stays one
    assert "V" in c["video_prompt_type"] and "I" in c["video_prompt_type"]


def test_a_missing_media_file_is_an_error_not_a_different_shot(tmp_path: Path) -> None:
    gone = _media(tmp_path, "gone.png", b"x")
    shot = QueueShot("s", parse_settings({"model_type": "i2v", "prompt": "p", "seed": 1, "image_start": str(gone)}))
    gone.unlink()
    with pytest.raises(FileNotFoundError, match="image_start"):
        export_queue([shot], tmp_path / "q.zip")


def test_finished_outputs_come_back_at_their_shots_by_id(tmp_path: Path) -> None:
    slots = {f"shot{n}": Slot(scene="Scene", channel=2, frame_start=1 + 40 * n, frames=33) for n in range(3)}
    shots = [QueueShot(sid, parse_settings({"model_type": "t2v_1.3B", "prompt": sid, "seed": n}), slot, sid)
             for n, (sid, slot) in enumerate(slots.items())]
    queue_zip = export_queue(shots, tmp_path / "queue.zip")
    out = tmp_path / "renders"
    (out / "sub").mkdir(parents=True)
    # Wan2GP names each output by its output_filename; a taken name gets "(2)"; shot2 did not render
    (out / f"{output_name('shot1')}.mp4").write_bytes(b"one")
    (out / "sub" / f"{output_name('shot0')}.mp4").write_bytes(b"old zero")
    time.sleep(0.01)
    newer = out / f"{output_name('shot0')}(2).mp4"
    newer.write_bytes(b"zero")
    os.utime(newer, (time.time() + 5, time.time() + 5))
    (out / "2025-01-01-12h00m00s_seed3_unrelated.mp4").write_bytes(b"not ours")
    found = {f.shot_id: f for f in find_outputs(queue_zip, [out])}
    assert set(found) == {"shot0", "shot1"}
    assert found["shot0"].path == newer and found["shot0"].slot == slots["shot0"]
    assert found["shot1"].path.read_bytes() == b"one" and found["shot1"].slot == slots["shot1"]


def test_a_shot_list_exported_keeps_each_shots_slot_and_tags_and_comes_back_with_them(tmp_path: Path) -> None:
    """The Shots list's export (ui/wan2gp_queue_ops.shots_to_export): each shot by its shot id, with its
    slot (scene frames) and the tags that make the placed clip that shot's."""
    end = _media(tmp_path, "end.png", b"\x89PNG end")
    start = _media(tmp_path, "start.png", b"\x89PNG start")
    shots = [QueueShot("a1b2c3", parse_settings({"model_type": "t2v_1.3B", "prompt": "Wide shot", "seed": 3,
                                                 "video_length": 25}),
                       Slot(scene="Edit", channel=2, frame_start=1, frames=36), "Wide shot",
                       tags={"bmd_shot": "a1b2c3", "bmd_model": "t2v_1.3B"}),
             QueueShot("d4e5f6", parse_settings({"model_type": "flf2v_720p", "prompt": "A door", "seed": 4,
                                                 "image_start": str(start), "image_end": str(end)}),
                       Slot(scene="Edit", channel=2, frame_start=37, frames=30), "A door",
                       tags={"bmd_shot": "d4e5f6", "bmd_model": "flf2v_720p"})]
    queue_zip = export_queue(shots, tmp_path / "shots_queue.zip")
    with zipfile.ZipFile(queue_zip) as archive:
        manifest = json.loads(archive.read("queue.json"))
        info = json.loads(archive.read("bmd_shots.json"))
        assert archive.read(manifest[1]["params"]["image_end"]) == b"\x89PNG end"
    assert [t["params"]["output_filename"] for t in manifest] == ["bmd_a1b2c3", "bmd_d4e5f6"]
    assert manifest[0]["params"]["video_length"] == 25  # the model's frames; the slot is 36 scene frames
    assert [(s["shot_id"], s["slot"]["frame_start"], s["slot"]["frames"], s["tags"]["bmd_shot"]) for s in info["shots"]] \
        == [("a1b2c3", 1, 36, "a1b2c3"), ("d4e5f6", 37, 30, "d4e5f6")]
    out = tmp_path / "renders"
    out.mkdir()
    (out / "bmd_d4e5f6.mp4").write_bytes(b"door")
    found = find_outputs(queue_zip, [out])
    assert [(f.shot_id, f.slot.frame_start, f.slot.frames, f.tags) for f in found] == [
        ("d4e5f6", 37, 30, {"bmd_shot": "d4e5f6", "bmd_model": "flf2v_720p"})]


def test_a_job_fails_with_the_reason_when_no_server_of_the_list_answers(tmp_path: Path) -> None:
    from blender_movie_director.common.enums import JobState
    from blender_movie_director.jobs.dispatch import ServerPool
    from tests.waiting import wait_until

    pool = ServerPool([ServerEntry("http://127.0.0.1:9"), ServerEntry("http://127.0.0.1:7")], poll_interval=0.02,
                      connect_grace=1.0)
    try:
        record = pool.submit(parse_settings({"model_type": "t2v_1.3B", "prompt": "p", "seed": 1}),
                             Slot(scene="Scene", channel=2, frame_start=1, frames=17), tmp_path)
        assert pool.get(record.id).waiting  # held, saying why
        wait_until(lambda: pool.get(record.id).state.is_terminal, 30, "the job to fail")
        failed = pool.get(record.id)
        assert failed.state is JobState.FAILED and "answered" in failed.error and "127.0.0.1:9" in failed.error
        assert "Retry" in failed.error_hint and pool.dispatch_log == []
    finally:
        pool.stop()
