"""True timing arithmetic: a shot's slot is scene time; the model is asked for the frames that cover it."""

from __future__ import annotations

import itertools

import pytest

from blender_movie_director.common import shot_timing
from blender_movie_director.common.catalog import MODELS_BY_ID

WAN = MODELS_BY_ID["t2v_1.3B"]  # 16 fps, 4n+1, one window of 97, no sliding window
WAN_14B = MODELS_BY_ID["t2v"]  # the same grid, with sliding windows
LTXV = MODELS_BY_ID["ltxv_distilled"]  # 30 fps, 8n+1 from 17


def test_two_seconds_of_wan_in_a_24_fps_scene() -> None:
    timing = shot_timing.for_seconds(WAN, 2.0, 24)
    assert (timing.slot_frames, timing.model_frames) == (48, 33)
    assert timing.describe() == "2.0 s = 33 frames at 16 fps → 48 frames at 24 fps"
    assert timing.fits and timing.windows == 1
    assert timing.speed == pytest.approx(33 / 16 / 2.0)


@pytest.mark.parametrize(("fps", "slot", "frames"), [(24, 48, 33), (25, 50, 33), (30, 60, 33), (24, 37, 25)])
def test_the_model_is_asked_for_the_frames_on_its_grid_nearest_the_slots_time(fps, slot, frames) -> None:
    timing = shot_timing.for_slot(WAN, slot, fps)
    assert timing.model_frames == frames and WAN.is_valid_frame_count(frames)
    assert abs(frames / 16 - slot / fps) <= 2 / 16  # half a grid step of 4 frames at most


def test_a_clip_asked_in_frames_fills_its_real_time() -> None:
    assert shot_timing.for_model_frames(WAN, 17, 24).slot_frames == 26  # 1.0625 s: 25.5 rounds half up
    assert shot_timing.for_model_frames(LTXV, 57, 24).slot_frames == 46  # 1.9 s of 30 fps in a 24 fps scene


def test_too_long_for_one_window_says_so_and_splits() -> None:
    timing = shot_timing.for_slot(WAN, 150, 24)  # 6.25 s: 101 frames, one window is 97
    assert timing.model_frames == 101 and not timing.fits
    assert "97" in timing.too_long_message and "sliding window" in timing.too_long_message
    lengths = shot_timing.split_lengths(150, 24, WAN)
    assert lengths == [75, 75] and sum(lengths) == 150
    assert all(shot_timing.for_slot(WAN, n, 24).fits for n in lengths)


def test_a_model_with_sliding_windows_makes_a_long_shot_in_one_job() -> None:
    timing = shot_timing.for_slot(WAN_14B, 150, 24)
    assert timing.fits and timing.model_frames == 101 and timing.windows == 2
    assert "2 sliding windows" in timing.describe()


@pytest.mark.parametrize(("n", "s"), [(33, 48), (57, 46), (49, 48), (17, 10), (97, 200)])
def test_the_placed_clip_maps_first_to_first_and_last_to_last(n, s) -> None:
    shown = [shot_timing.source_frame_at(t, n, s) for t in range(s)]
    assert shown[0] == 0 and shown[-1] == n - 1
    assert shown == sorted(shown)  # never goes back
    assert max(b - a for a, b in itertools.pairwise(shown)) <= -(-(n - 1) // (s - 1)) + 1  # evenly
