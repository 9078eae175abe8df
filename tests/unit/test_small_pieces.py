"""Progress mapping, the error envelope, file names, and the bpy boundary."""

from __future__ import annotations

import re

import pytest

from blender_movie_director.common import protocol
from blender_movie_director.common.enums import Phase
from blender_movie_director.common.errors import GenerationFailedError, InvalidSettingsError, JobCancelledError
from blender_movie_director.common.filenames import clip_stem, slug
from blender_movie_director.common.progress import overall_progress


def test_overall_progress_only_moves_forward() -> None:
    sequence = [overall_progress(Phase.QUEUED), overall_progress(Phase.LOADING_MODEL),
                overall_progress(Phase.ENCODING_TEXT)]
    sequence += [overall_progress(Phase.INFERENCE, step, 30) for step in range(0, 31)]
    sequence += [overall_progress(p) for p in (Phase.DECODING, Phase.SAVING, Phase.DOWNLOADING, Phase.DONE)]
    assert sequence == sorted(sequence)
    assert sequence[0] == 0.0 and sequence[-1] == 1.0


@pytest.mark.parametrize("error", [
    InvalidSettingsError("video_length", "34 frames is off the grid", hint="use 33 frames"),
    GenerationFailedError("out of memory", stage="inference"),
    JobCancelledError("job1"),
])
def test_typed_errors_cross_the_wire(error) -> None:
    decoded = protocol.decode_error("Error: " + protocol.encode_error(error), "job1")
    assert type(decoded) is type(error)
    assert decoded.message == error.message
    if isinstance(error, InvalidSettingsError):
        assert decoded.field == "video_length" and decoded.hint == "use 33 frames"
    if isinstance(error, GenerationFailedError):
        assert decoded.stage == "inference"


def test_foreign_errors_are_not_ours() -> None:
    assert protocol.decode_error("some gradio error") is None


@pytest.mark.parametrize("prompt", ["../../etc/passwd", "a/b\\c", "..", "", "🎬 ümlaut", "x" * 500, "con:aux*?"])
def test_file_names_from_prompts_are_safe(prompt: str) -> None:
    name = slug(prompt)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name)
    assert ".." not in name and len(name) <= 40
    stem = clip_stem(prompt, 42, "job/../x")
    assert "/" not in stem and "\\" not in stem and len(stem) <= 100
