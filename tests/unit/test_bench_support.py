"""What the benchmark relies on: its report (ratios per round, targets, the table, --compare), the
simulated engine's padded output, and a job handle that says when it is done."""

from __future__ import annotations

import json
import threading
from concurrent.futures import Future
from pathlib import Path

import imageio_ffmpeg

from blender_movie_director.client.job import GenerationJob
from blender_movie_director.common.catalog import MODELS_BY_ID
from blender_movie_director.common.settings import GenerationSettings, SimulationOptions
from blender_movie_director.server.engines.simulated import SimulatedEngine
from devtools.bench.report import Figure, compare, condition, table, write_json


def test_ratio_is_the_median_of_per_round_ratios_and_targets_get_a_verdict() -> None:
    # round 2 was hit by noise on both sides: per-round ratios keep it from skewing the result
    figure = Figure("connect", "connect", "ms", [10.0, 100.0, 11.0], "bare", [10.0, 95.0, 10.0], [condition("ratio <= 1.5")])
    assert round(figure.ratio() or 0, 3) == 1.053
    assert figure.verdict() == "ok"
    insert = Figure("insert", "insert", "ms", [5.0, 6.0, 7.0], "new_movie", [1.0, 1.5, 2.0], [condition("over <= 1")])
    assert insert.over() == 4.5 and insert.verdict() == "MISSED"
    tick = Figure("tick", "tick", "ms", [0.05, 0.06, 0.9], target=[condition("max < 1"), condition("median < 0.1")])
    assert tick.verdict() == "ok"
    assert Figure("pool", "pool", "jobs/min", status="not available yet").verdict() == "—"


def test_table_json_and_compare(tmp_path: Path) -> None:
    before = [Figure("one_job", "one job", "ms", [100.0, 110.0], "bare", [100.0, 100.0], [condition("ratio <= 1.02")])]
    write_json(tmp_path / "old.json", before, {"quick": True})
    saved = json.loads((tmp_path / "old.json").read_text())
    assert saved["figures"][0]["summary"]["verdict"] == "MISSED" and saved["figures"][0]["target"] == ["ratio <= 1.02×"]
    now = [Figure("one_job", "one job", "ms", [90.0, 95.0], "bare", [100.0, 100.0], [condition("ratio <= 1.02")]),
           Figure("new", "a new figure", "ms", status="not available yet")]
    text = table(now)
    assert "one job" in text and "ok" in text and "not available yet" in text
    compared = compare(tmp_path / "old.json", now)
    assert "-12 %" in compared and "1.050×" in compared and "0.925×" in compared


def test_padded_output_is_bigger_and_still_a_clip(tmp_path: Path) -> None:
    settings = GenerationSettings(model_type="t2v_1.3B", prompt="padded", resolution="320x320", video_length=5, seed=5,
                                  num_inference_steps=1).resolved_for(MODELS_BY_ID["t2v_1.3B"])
    engine = SimulatedEngine(step_seconds=0, load_seconds=0)
    plain = engine.submit("unit-pad-0", settings, {}, tmp_path / "plain", None).result(30).path
    padded = engine.submit("unit-pad-1", settings, {}, tmp_path / "padded",
                           SimulationOptions(pad_output_mb=3)).result(30).path
    assert padded.stat().st_size - plain.stat().st_size == 3 * 1024 * 1024
    assert imageio_ffmpeg.count_frames_and_secs(str(padded))[0] == 5  # a player skips the trailing free box


def test_a_job_says_when_it_is_done() -> None:
    future: Future = Future()
    job = GenerationJob(client=None, job_id="unit-done-1", settings=None, gradio_job=future,  # type: ignore[arg-type]
                        output_dir=Path("."))
    woke = threading.Event()
    job.when_done(woke.set)
    assert not woke.is_set()
    future.set_result(("clip.mp4", "{}"))
    assert woke.is_set()
    late = threading.Event()
    job.when_done(late.set)  # already done: called at once
    assert late.is_set()
