"""Driving a Wan2GP SessionJob (engines/wangp_job.py) against a scripted stand-in, in-process."""

from __future__ import annotations

import queue
import threading
import time
from types import SimpleNamespace

import pytest

from blender_movie_director.common.enums import Phase
from blender_movie_director.common.errors import GenerationFailedError, JobCancelledError
from blender_movie_director.server.engines.base import EngineJob
from blender_movie_director.server.engines.wangp_job import drive, hint_for, raise_for_result


def progress(phase: str, step=None, total=None, status: str = "") -> SimpleNamespace:
    return SimpleNamespace(phase=phase, current_step=step, total_steps=total, status=status, progress=0)


def error(message: str, stage: str) -> SimpleNamespace:
    return SimpleNamespace(message=message, stage=stage, cancelled=stage == "cancelled")


def result(success: bool, files=(), errors=()) -> SimpleNamespace:
    errors = list(errors)
    return SimpleNamespace(success=success, generated_files=list(files), errors=errors,
                           cancelled=bool(errors) and all(e.cancelled for e in errors))


class ScriptedJob:
    """Plays events like a SessionJob: a thread puts them; cancel() may end the script early."""

    def __init__(self, script, *, on_cancel=None, pace: float = 0.0) -> None:
        self._queue: queue.Queue = queue.Queue()
        self.closed_flag = threading.Event()
        self.done = threading.Event()
        self.cancel_calls = 0
        self._cancelled = threading.Event()
        self._result = None
        self.events = self
        threading.Thread(target=self._play, args=(script, on_cancel, pace), daemon=True).start()

    def _play(self, script, on_cancel, pace) -> None:
        played = []
        for kind, data in script:
            if self._cancelled.is_set() and on_cancel is not None:
                break
            played.append((kind, data))
            self._queue.put(SimpleNamespace(kind=kind, data=data))
            time.sleep(pace)
        if self._cancelled.is_set() and on_cancel is not None:
            for kind, data in on_cancel:
                played.append((kind, data))
                self._queue.put(SimpleNamespace(kind=kind, data=data))
        self._result = next((data for kind, data in reversed(played) if kind == "completed"), None)
        self.closed_flag.set()
        self._queue.put(None)
        self.done.set()

    # SessionStream
    def get(self, timeout=None):
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None

    @property
    def closed(self) -> bool:
        return self.closed_flag.is_set()

    # SessionJob
    def cancel(self) -> None:
        self.cancel_calls += 1
        self._cancelled.set()

    def result(self, timeout=None):
        assert self.done.wait(timeout), "the scripted job never ended"
        return self._result


def run(session_job) -> tuple[EngineJob, list]:
    def work(job: EngineJob):
        found = drive(job, session_job)
        raise_for_result(job, found)
        return found

    job = EngineJob("unit-wangp", work).start()
    return job, list(job.events())


def test_events_become_phases_and_steps_each_phase_once() -> None:
    done = result(True, ["/out/clip.mp4"])
    script = [("started", {"tasks": 1}), ("status", "Loading model Wan2.1 Text2video 1.3B..."),
              ("status", "Model loaded"), ("progress", progress("encoding_text")),
              ("progress", progress("encoding_text")),
              *[("progress", progress("inference", i, 4)) for i in range(4)],
              ("progress", progress("decoding", 4, 4)), ("stream", "New video saved"), ("output", None),
              ("completed", done)]
    job, events = run(ScriptedJob(script))
    assert job.result(5) is done
    phases = [e.phase for e in events if e.kind == "phase"]
    assert phases == [Phase.LOADING_MODEL, Phase.ENCODING_TEXT, Phase.DECODING, Phase.SAVING]
    assert [(e.step, e.total_steps) for e in events if e.kind == "step"] == [(0, 4), (1, 4), (2, 4), (3, 4)]
    assert any(e.kind == "log" and "Model loaded" in e.message for e in events)


def test_cancel_reaches_wan2gp_and_we_wait_for_its_end() -> None:
    steps = [("progress", progress("inference", i, 500)) for i in range(500)]
    ended = [("error", error("Generation was cancelled", "cancelled")),
             ("completed", result(False, errors=[error("Generation was cancelled", "cancelled")]))]
    session_job = ScriptedJob([("started", {"tasks": 1}), *steps], on_cancel=ended, pace=0.005)
    job = EngineJob("unit-wangp", lambda j: raise_for_result(j, drive(j, session_job)) or None).start()
    for event in job.events():
        if event.kind == "step" and event.step == 3:
            job.cancel()
    with pytest.raises(JobCancelledError):
        job.result(5)
    assert session_job.cancel_calls == 1 and session_job.done.is_set()


def test_a_failure_of_ours_still_stops_wan2gp_first() -> None:
    session_job = ScriptedJob([("progress", progress("inference", "not a number", 4)),
                               *[("progress", progress("inference", i, 4)) for i in range(50)]],
                              on_cancel=[("completed", result(False, errors=[error("x", "cancelled")]))], pace=0.01)
    job, _ = run(session_job)
    with pytest.raises(ValueError):
        job.result(5)
    assert session_job.cancel_calls == 1 and session_job.done.is_set(), "the GPU lock would be freed too early"


def test_wan2gp_errors_become_typed_errors_with_its_stage() -> None:
    job = EngineJob("unit-wangp", lambda j: None)
    hub = "An error happened while trying to locate the file on the Hub and we cannot find the requested files"
    with pytest.raises(GenerationFailedError) as caught:
        raise_for_result(job, result(False, errors=[error(hub, "generation")]))
    assert caught.value.stage == "generation" and "weights" in caught.value.hint
    with pytest.raises(GenerationFailedError) as caught:
        raise_for_result(job, result(False, errors=[error("No model_type specified", "validation")]))
    assert caught.value.stage == "validation"
    with pytest.raises(GenerationFailedError) as caught:  # "success" without a file is not a clip
        raise_for_result(job, result(True))
    assert caught.value.stage == "output"
    with pytest.raises(JobCancelledError):
        raise_for_result(job, result(False, errors=[error("Generation was cancelled", "cancelled")]))
    assert "memory" in hint_for("CUDA out of memory. Tried to allocate 2 GiB")


def staged(phase: str, step: int, total: int, status: str, raw: str = "") -> SimpleNamespace:
    return SimpleNamespace(phase=phase, current_step=step, total_steps=total, status=status, raw_phase=raw,
                           progress=0)


def steps_of(script) -> list[tuple[int, int, str]]:
    _, events = run(ScriptedJob([*script, ("completed", result(True, ["/out/clip.mp4"]))]))
    return [(e.step, e.total_steps, e.stage.label if e.stage else "") for e in events if e.kind == "step"]


def test_ltx2_passes_each_count_from_zero_and_say_which_they_are() -> None:
    # as wgp.py words them: "Denoising First Phase", "VAE Decoding" on every pass's last step,
    # "Denoising Second Phase"; shared/api.py calls both phase "inference" (it looks for "first pass")
    first = [("progress", staged("inference", i, 4, f"Denoising First Phase | 0:0{i} / 0:04", "Denoising First "
                                 "Phase")) for i in range(4)]
    end_of_first = ("progress", staged("decoding", 4, 4, "VAE Decoding | 0:04 / 0:04", "Denoising Second Phase"))
    second = [("progress", staged("inference", i, 3, f"Denoising Second Phase | 0:0{i}", "Denoising Second Phase"))
              for i in range(3)]
    last = ("progress", staged("decoding", 3, 3, "VAE Decoding | 0:03 / 0:03", "VAE Decoding"))
    found = steps_of([*first, end_of_first, *second, last])
    assert found == [(0, 4, "pass 1/2"), (1, 4, "pass 1/2"), (2, 4, "pass 1/2"), (3, 4, "pass 1/2"),
                     (4, 4, "pass 1/2"), (0, 3, "pass 2/2"), (1, 3, "pass 2/2"), (2, 3, "pass 2/2")]


def test_a_count_that_starts_again_unannounced_is_another_pass_and_windows_are_followed() -> None:
    found = steps_of([("progress", staged("inference", i, 3, "Denoising")) for i in (0, 1, 2)]
                     + [("progress", staged("inference", i, 3, "Denoising")) for i in (0, 1)])
    assert [label for *_, label in found] == ["", "", "", "pass 2/2", "pass 2/2"]
    windows = steps_of([("progress", staged("inference", i, 2, f"Sliding Window {w}/2 - Denoising | 0:01"))
                        for w in (1, 2) for i in (0, 1)])
    assert [label for *_, label in windows] == ["window 1/2", "window 1/2", "window 2/2", "window 2/2"]


def test_wan_2_2_noise_phases_are_one_count() -> None:
    found = steps_of([("progress", staged("inference", i, 4, f"Denoising | Phase {1 + i // 2}/2 "
                                          f"{'High' if i < 2 else 'Low'} Noise | 0:0{i}", "Denoising"))
                      for i in range(4)])
    assert found == [(0, 4, ""), (1, 4, ""), (2, 4, ""), (3, 4, "")]


@pytest.mark.parametrize(("message", "expected"), [
    ("You must provide a Start Image", "add a start image"),
    ("You must provide an End Image", "add an end image"),
    ("You must provide at least one Reference Image", "add a reference image"),
    ("You must provide an Image Reference", "add a reference image"),
    ("You must provide a Control Video", "add a control video"),
    ("You must provide a Control Image", "add a control image"),
    ("You must provide a Video Mask", "add a video mask"),
    ("You must provide a Source Video file to continue", "add a video to continue"),
    ("You must provide an Audio Source", "add an audio track"),
    ("This model doesn't accept a Start Image", "this model does not take that input"),
])
def test_wan2gp_refusals_say_what_to_add(message: str, expected: str) -> None:
    hint = hint_for(message, "validation")
    assert hint.startswith(expected) and "Retry" not in hint
    job = EngineJob("unit-wangp", lambda j: None)
    with pytest.raises(GenerationFailedError) as caught:
        raise_for_result(job, result(False, errors=[error(message, "validation")]))
    assert caught.value.hint == hint


def test_an_unknown_refusal_still_never_says_press_retry() -> None:
    hint = hint_for("Something Wan2GP has never said before", "validation")
    assert "refused" in hint and "Retry" not in hint
    assert hint_for("Something Wan2GP has never said before", "generation") == ""  # the default hint applies
