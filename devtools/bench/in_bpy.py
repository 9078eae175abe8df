"""Run by a bpy venv's Python: the add-on's main-thread figures in real Blender (the bpy module).

    python -m devtools.bench.in_bpy URL ROUNDS OUT.json

bpy.app.timers never fire in the bpy module, so this drives the add-on's one timer the way Blender
does: call tick(), sleep what it returns, again. Each round queues four jobs with the Generate
operator on a timeline that already holds other strips, and drives the tick until every clip is
placed. Measured on the main thread:

- every tick's cost, split into ticks that inserted a clip and ticks that did not;
- beside each insert, Blender's own new_movie (+ new_sound when the clip has sound) on the same
  file, in the same scene, right after: the floor of an insert;
- every socket operation made on the main thread from the operator to the last placed clip;
- for each clip, the time from the server's "finished" stamp to the strip on the timeline, with the
  preferences' default poll interval (the interval both the worker and the tick use).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("BLENDER_USER_RESOURCES", tempfile.mkdtemp(prefix="bmd-bench-user-"))

import bpy

from devtools.bench.sockets import main_thread_socket_calls
from devtools.blender import enable_addon

JOBS = 4
OTHER_STRIPS = 50  # a timeline with some work on it already (the tick looks through it when a placeholder changed)
STEPS = 20


def _strips(scene):
    editor = scene.sequence_editor
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def _fill(scene) -> None:
    editor = scene.sequence_editor_create()
    collection = _strips(scene)
    for n in range(OTHER_STRIPS):
        length = {"length": 20} if bpy.app.version >= (5, 0, 0) else {"frame_end": 500 + n * 25 + 20}
        collection.new_effect(name=f"other {n}", type="COLOR", channel=10 + n % 5, frame_start=500 + n * 25, **length)
    del editor


def _reference_insert(scene, path: Path, has_audio: bool) -> float:
    """Blender's own new_movie (+ new_sound) of the same file in the same scene: seconds."""
    collection = _strips(scene)
    started = time.perf_counter()
    made = [collection.new_movie(name="reference", filepath=str(path), channel=30, frame_start=1, fit_method="FIT")]
    if has_audio:
        made.append(collection.new_sound(name="reference sound", filepath=str(path), channel=31, frame_start=1))
    took = time.perf_counter() - started
    for strip in made:
        collection.remove(strip)
    return took


def run_round(addon, scene, poll_interval: float, n: int) -> dict:
    tick_module = addon.ui.tick
    manager = addon.ui.addon.manager()
    placed: list[tuple[Any, float]] = []
    original_place = tick_module._place

    def place(record):
        original_place(record)
        placed.append((record, time.time()))

    tick_module._place = place
    props = scene.movie_director
    results: dict[str, Any] = {"plain_ms": [], "insert_ms": [], "reference_ms": [], "latency_ms": [], "arrival_ms": [],
                               "placing_ms": []}
    try:
        with main_thread_socket_calls() as calls:
            for job in range(JOBS):
                props.model, props.prompt, props.use_seconds = "t2v_1.3B", f"bench round {n} job {job}", False
                props.frames, props.resolution, props.steps, props.channel = 17, "448x256", STEPS, 2 + job
                scene.frame_current = 1 + 40 * job
                if bpy.ops.movie_director.generate() != {"FINISHED"}:
                    raise RuntimeError("the Generate operator did not finish")
            deadline = time.monotonic() + 120
            mine = {r.id for r in manager.jobs() if r.label.startswith(f"bench round {n} ")}
            while True:
                before = len(placed)
                started = time.perf_counter()
                interval = tick_module.tick()
                took = (time.perf_counter() - started) * 1000
                if len(placed) > before:
                    results["insert_ms"].append(took / (len(placed) - before))
                    for record, _ in placed[before:]:
                        results["reference_ms"].append(_reference_insert(scene, Path(record.result.video_path),
                                                                         record.result.has_audio) * 1000)
                else:
                    results["plain_ms"].append(took)
                records = [manager.get(i) for i in mine]
                if all(r is not None and r.state.is_terminal for r in records) and not tick_module._waiting:
                    break
                if time.monotonic() > deadline:
                    raise TimeoutError("the round's jobs did not finish within 120 s")
                time.sleep(interval or poll_interval)
        failed = [r.error for r in records if r is not None and r.state.value != "succeeded"]
        if failed:
            raise RuntimeError(f"jobs failed: {failed}")
        for record, at in placed:
            results["latency_ms"].append((at - record.result.finished_at) * 1000)
            results["arrival_ms"].append((record.result.downloaded_at - record.result.finished_at) * 1000)
            results["placing_ms"].append((at - record.result.downloaded_at) * 1000)
        results["socket_calls"] = len(calls)
        results["socket_examples"] = calls[:5]
    finally:
        tick_module._place = original_place
    return results


def main(url: str, rounds: int, out: Path) -> None:
    addon = enable_addon(url)
    prefs = bpy.context.preferences.addons[addon.__name__].preferences
    poll_interval = type(prefs).bl_rna.properties["poll_interval"].default  # the preferences' default
    prefs.poll_interval = poll_interval
    folder = Path(tempfile.mkdtemp(prefix="bmd-bench-blend-"))
    bpy.ops.wm.read_homefile(use_empty=True)
    scene = bpy.context.scene
    scene.render.fps = 24
    scene.frame_start, scene.frame_end = 1, 250
    _fill(scene)
    bpy.ops.wm.save_as_mainfile(filepath=str(folder / "bench.blend"))
    addon.ui.tick.reset()
    total: dict[str, Any] = {"plain_ms": [], "insert_ms": [], "reference_ms": [], "latency_ms": [], "arrival_ms": [],
                             "placing_ms": [], "socket_calls": [], "socket_examples": []}
    run_round(addon, scene, poll_interval, -1)  # warm-up: the worker connects, the first clip is read
    for n in range(rounds):
        got = run_round(addon, scene, poll_interval, n)
        for key in ("plain_ms", "insert_ms", "reference_ms", "latency_ms", "arrival_ms", "placing_ms", "socket_examples"):
            total[key] += got[key]
        total["socket_calls"].append(got["socket_calls"])
    total.update(poll_interval_ms=poll_interval * 1000, jobs_per_round=JOBS, other_strips=OTHER_STRIPS,
                 blender=bpy.app.version_string, steps=STEPS)
    out.write_text(json.dumps(total))
    addon.ui.addon.shutdown_manager()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
    sys.stdout.flush()
    os._exit(0)  # the bpy module's exit can take seconds; everything is written
