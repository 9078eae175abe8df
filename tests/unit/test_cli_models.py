"""`python -m blender_movie_director models`: every model, what it does, needs and takes, its weights."""

from __future__ import annotations

import copy

from blender_movie_director.client.cli import model_lines, parse_args
from blender_movie_director.server.engines.wangp_catalog import model_info_from
from tests.recorded import recorded_models, recorded_parts


def test_every_recorded_model_is_listed_with_its_inputs_and_weights() -> None:
    models = [model_info_from(*copy.deepcopy(recorded_parts(i))) for i in recorded_models()]
    models = [m.model_copy(update={"available": m.id == "t2v_2_2"}) for m in models if m is not None]
    lines = model_lines(models)
    rows = {line.split()[0]: line for line in lines if line.startswith("  ")}
    assert len(rows) == 217
    assert lines[-1].startswith("217 models (192 video and image, 25 sound), 1 downloaded; by family: Wan2.1 50, "
                                "Wan2.2 32, LTX-2 25")
    assert "needs start image" in rows["chrono_edit"] and "not downloaded" in rows["chrono_edit"]
    assert "needs reference image" in rows["flux_dev_kontext"]
    assert "Wan2.2" in rows["t2v_2_2"] and " downloaded " in rows["t2v_2_2"]
    assert "takes video to continue, control video, video mask" in rows["t2v_2_2"]
    assert "a prompt only" in rows["t2v_1.3B"] and "sound, 120 s by default" in rows["ace_step_v1_5"]
    headings = [line for line in lines if not line.startswith("  ")][:-1]
    assert headings == ["Text to Video (77)", "Image to Video (23)", "Control / Edit (44)", "Images (48)",
                        "Audio (25)"]


def test_the_models_command_filters() -> None:
    args = parse_args(["models", "--group", "image_to_video", "--family", "wan2_2", "--downloaded"])
    assert (args.group, args.family, args.downloaded) == ("image_to_video", "wan2_2", True)
    args = parse_args(["generate", "--prompt", "x", "--model", "flux_dev_kontext", "--image-ref", "a.png",
                       "--audio", "v.wav", "--out", "o.jpg"])
    assert (str(args.image_refs), str(args.audio_guide)) == ("a.png", "v.wav")
