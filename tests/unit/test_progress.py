"""Overall progress across passes and windows (common/progress.py), and how a job handle shows it."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from blender_movie_director.client.job import GenerationJob
from blender_movie_director.common.enums import JobState, Phase
from blender_movie_director.common.progress import Stage, decode_desc, encode_desc, inference_end, overall_progress
from blender_movie_director.common.settings import GenerationSettings


def test_stages_share_the_bar_in_order() -> None:
    one = [overall_progress(Phase.INFERENCE, s, 8) for s in range(9)]
    two = [overall_progress(Phase.INFERENCE, s, t, Stage(p, 2)) for p, t in ((1, 8), (2, 3)) for s in range(t + 1)]
    windows = [overall_progress(Phase.INFERENCE, s, 4, Stage(p, 2, w, 3)) for w in (1, 2, 3) for p in (1, 2)
               for s in range(5)]
    for values in (one, two, windows):
        assert values == sorted(values) and values[0] == overall_progress(Phase.INFERENCE, 0, 1)
        assert values[-1] == pytest.approx(inference_end())
    assert overall_progress(Phase.INFERENCE, 8, 8, Stage(1, 2)) == overall_progress(Phase.INFERENCE, 0, 3, Stage(2, 2))
    assert Stage(3, 2).passes == 3 and Stage(0, 0).label == "" and Stage(2, 2, 1, 3).label == "window 1/3, pass 2/2"


@pytest.mark.parametrize("stage", [None, Stage(), Stage(2, 2), Stage(1, 2, 2, 3), Stage(1, 1, 3, 4)])
def test_the_description_carries_the_stage(stage: Stage | None) -> None:
    text = encode_desc(Phase.INFERENCE, stage)
    phase, back = decode_desc(text)
    assert phase is Phase.INFERENCE and (back or Stage()) == (stage or Stage())
    assert text == "inference" if stage is None or stage.single else text.startswith("inference ")
    assert decode_desc("loading_model") == (Phase.LOADING_MODEL, None)
    assert decode_desc("something new") == (None, None)


class FakeGradioJob:
    def __init__(self) -> None:
        self.update = SimpleNamespace(code=SimpleNamespace(name="PROCESSING"), progress_data=[], rank=None,
                                      queue_size=None, eta=None)

    def done(self) -> bool:
        return False

    def status(self):
        return self.update

    def step(self, index: int, length: int, desc: str) -> None:
        self.update.progress_data = [SimpleNamespace(index=index, length=length, desc=desc, unit="steps",
                                                     progress=None)]


def test_a_job_handle_never_shows_progress_going_back_and_its_eta_covers_every_pass() -> None:
    gradio_job = FakeGradioJob()
    job = GenerationJob(SimpleNamespace(), "unit-progress", GenerationSettings(model_type="ltx2_distilled",
                                                                                prompt="x"), gradio_job, None)
    shown = []
    for desc, total in (("inference pass 1/2", 8), ("inference pass 2/2", 3)):
        for index in range(total + 1):
            gradio_job.step(index, total, desc)
            shown.append(job.status())
            time.sleep(0.001)
    gradio_job.step(0, 3, "inference")  # an old server's words for the same: never a step back
    shown.append(job.status())
    assert all(s.state is JobState.RUNNING for s in shown)
    progress = [s.progress for s in shown]
    assert progress == sorted(progress) and progress[-1] == pytest.approx(inference_end())
    assert [s.stage for s in shown][:2] == ["pass 1/2", "pass 1/2"] and shown[-2].stage == "pass 2/2"
    etas = [s.eta_seconds for s in shown[1:9]]
    assert all(e is not None and e > 0 for e in etas)
    # halfway through pass 1 a quarter of denoising is done: what is left is about three times that
    middle = shown[4]
    elapsed_share = (middle.progress - shown[0].progress) / (inference_end() - shown[0].progress)
    assert 0.2 < elapsed_share < 0.3
