"""How a model reads a control video (common/control.py), from what Wan2GP 12.60 says each model offers,
and the simulated engine honouring it (server/engines/control.py): its frames follow the control."""

from __future__ import annotations

import copy
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from blender_movie_director.common.catalog import MODELS_BY_ID
from blender_movie_director.common.control import (
    ControlReading,
    ControlRender,
    guide_process,
    plan,
    readings_for,
    takes_mask,
)
from blender_movie_director.common.errors import InvalidSettingsError
from blender_movie_director.server.engines.control import ControlledPainter, decode_frames
from blender_movie_director.server.engines.render import FramePainter
from blender_movie_director.server.engines.wangp_catalog import model_info_from
from tests.recorded import recorded_parts

R = ControlReading


def recorded(model_type: str):
    model = model_info_from(*copy.deepcopy(recorded_parts(model_type)))
    assert model is not None
    return model


def test_each_model_says_how_it_reads_a_control_as_wan2gp_publishes_it() -> None:
    vace = recorded("vace_14B")
    assert {"UV", "PV", "DV", "SV", "V", "MV"} <= set(vace.control_choices) and "A" in vace.mask_choices
    assert recorded("ltx2_22B_distilled").control_choices[:5] == ("PVG", "OVG", "DVG", "EVG", "VG")
    assert recorded("t2v").control_choices == ("GUV", "GVA")
    assert recorded("t2v_1.3B").control_choices == ()  # takes no control video


def test_vace_reads_blenders_own_depth_and_lines_as_prepared_maps() -> None:
    vace = recorded("vace_14B")
    assert readings_for(vace) == (R.POSE, R.DEPTH, R.EDGES, R.AS_IS)
    depth = plan(vace, "depth")
    assert (depth.letters, depth.render, depth.estimated) == ("V", ControlRender.DEPTH, False)
    lines = plan(vace, "edges")
    assert (lines.letters, lines.render) == ("V", ControlRender.LINES)
    pose = plan(vace, "pose")  # Blender has no pose map: Wan2GP estimates it from the shaded picture
    assert (pose.letters, pose.render, pose.estimated) == ("PV", ControlRender.SHADED, True)
    assert plan(vace, "as_is").letters == "UV"
    # a video (not a 3D scene) has no Blender depth: the estimator reads it
    assert plan(vace, "depth", from_scene=False).letters == "DV"
    assert plan(vace, "edges", from_scene=False).letters == "SV"


def test_ltx2_estimates_depth_and_edges_with_its_control_lora() -> None:
    ltx2 = recorded("ltx2_22B_distilled")
    depth = plan(ltx2, "depth")
    assert (depth.letters, depth.render, depth.estimated) == ("DVG", ControlRender.SHADED, True)
    assert plan(ltx2, "edges").letters == "EVG" and plan(ltx2, "as_is").letters == "VG"
    assert plan(ltx2, "as_is", masked=True).letters == "MVGA"  # inpaint the masked area


def test_a_mask_adds_its_letter_and_inpaints_where_the_model_can() -> None:
    vace, t2v = recorded("vace_14B"), recorded("t2v")
    assert plan(vace, "as_is", masked=True).letters == "MVA"
    assert plan(vace, "depth", masked=True).letters == "VA"
    assert plan(t2v, "as_is", masked=True).letters == "GVA" and takes_mask(t2v)


def test_what_a_model_cannot_do_is_refused_naming_what_it_offers() -> None:
    with pytest.raises(InvalidSettingsError, match="does not read a control video as depth") as refused:
        plan(recorded("t2v"), "depth")
    assert "As Is" in refused.value.hint
    with pytest.raises(InvalidSettingsError, match="does not take a control video"):
        plan(recorded("t2v_1.3B"), "as_is")
    with pytest.raises(InvalidSettingsError, match="does not take a mask"):
        plan(recorded("vista4d"), "as_is", masked=True)


def test_the_simulated_catalog_reads_controls_like_wan2gp() -> None:
    for model_id in ("vace_14B", "vace_1.3B", "ltx2_19B", "ltxv_distilled", "t2v"):
        ours, theirs = MODELS_BY_ID[model_id], recorded(model_id)
        for reading in readings_for(theirs):
            assert plan(ours, reading) == plan(theirs, reading), (model_id, reading)


def test_letters_say_which_process_runs() -> None:
    assert [guide_process(x) for x in ("V", "UV", "DV", "PVG", "EVG", "SV", "MVA", "GUV")] == [
        "raw", "raw", "depth", "pose", "edges", "shapes", "inpaint", "raw"]


# ---------------------------------------------------------------- the simulated engine follows the control

W, H, N = 160, 96, 12


def square_video(path: Path, fps: int = 16) -> Path:
    """A white square moving left to right on black, one position per frame."""
    frames = np.zeros((N, H, W, 3), np.uint8)
    for i in range(N):
        x = 10 + i * 10
        frames[i, 30:60, x:x + 30] = 255
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{W}x{H}", "-r", str(fps), "-i", "-", "-c:v", "libx264", "-crf", "10", "-pix_fmt",
                    "yuv420p", str(path)], input=frames.tobytes(), check=True)
    return path


def painted(painter: FramePainter, index: int) -> np.ndarray:
    return np.frombuffer(painter.paint(index), np.uint8).reshape(H, W, 3).astype(np.float32).mean(axis=2)


@pytest.mark.parametrize("letters", ["V", "DV", "SV"])
def test_the_simulated_clip_follows_the_control_frame_by_frame(tmp_path: Path, letters: str) -> None:
    control = square_video(tmp_path / "square.mp4")
    base = FramePainter(W, H, N, 7, "a white box slides right", title="test")
    clip = ControlledPainter(base, control, letters, 16.0)
    for i in range(N):
        ys, xs = np.nonzero(painted(clip, i) > 100)
        expected_x = 10 + i * 10 + 15
        assert abs(xs.mean() - expected_x) < 3 and abs(ys.mean() - 45) < 3, (letters, i, xs.mean())


def test_a_mask_keeps_the_control_outside_and_makes_the_inside_anew(tmp_path: Path) -> None:
    control = square_video(tmp_path / "square.mp4")
    mask = np.zeros((N, H, W, 3), np.uint8)
    mask[:, :, W // 2:] = 255
    mask_path = tmp_path / "mask.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{W}x{H}", "-r", "16", "-i", "-", "-c:v", "libx264", "-crf", "10", "-pix_fmt",
                    "yuv420p", str(mask_path)], input=mask.tobytes(), check=True)
    base = FramePainter(W, H, N, 7, "inpaint", title="test")
    clip = ControlledPainter(base, control, "MVA", 16.0, mask_path)
    source = decode_frames(control, W, H, 16.0, N).astype(np.float32).mean(axis=3)
    for i in range(N):
        frame = painted(clip, i)
        assert np.abs(frame[:, : W // 2 - 4] - source[i, :, : W // 2 - 4]).mean() < 3
        assert np.abs(frame[:, W // 2 + 4:] - painted(base, i)[:, W // 2 + 4:]).mean() < 3


def test_a_short_control_holds_its_last_frame(tmp_path: Path) -> None:
    control = square_video(tmp_path / "square.mp4")
    frames = decode_frames(control, W, H, 16.0, N + 5)
    assert len(frames) == N + 5 and np.array_equal(frames[-1], frames[N - 1])
