"""A control video and its mask reach Wan2GP (the fake WanGP 12.60 checkout, through the launcher and the
wangp engine) with the letters the film maker's reading asks for, as uploads in their own slots; the
catalog the client gets says how each model reads a control, as Wan2GP publishes it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blender_movie_director.client.wan2gp_client import Wan2GPClient
from blender_movie_director.common.control import plan, readings_for
from blender_movie_director.launcher import process as launcher
from blender_movie_director.server.engines.render import read_clip_metadata
from tests.conftest import wan2gp_copy
from tests.recorded import recorded_models

pytestmark = pytest.mark.server

SHOT = {"prompt": "a red cube slides across a marble table", "resolution": "448x256", "video_length": 17,
        "num_inference_steps": 2}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wan2GPClient]:
    base = tmp_path_factory.mktemp("wangp-control")
    root = wan2gp_copy(base)
    config = launcher.LaunchConfig(python=launcher.find_wan2gp_python(root), state_dir=base / "state",
                                   output_dir=base / "state" / "outputs", port=0, wan2gp_dir=root,
                                   wan2gp_args=["--profile", "4", "--attention", "sdpa"])
    server = launcher.start_server(config, wait_timeout=90)
    try:
        with Wan2GPClient(server.url, output_dir=base / "clips") as client:
            yield client
    finally:
        server.stop()


def test_the_catalog_says_how_each_model_reads_a_control(client: Wan2GPClient) -> None:
    models = {m.id: m for m in client.list_models()}
    for model_id in ("vace_14B", "vace_1.3B", "ltx2_22B_distilled", "t2v", "lucy_edit"):
        values = recorded_models()[model_id]["metadata"]["setting_values"]["video_prompt_type"]
        offered = [c["value"] for key in ("guide_preprocessing", "guide_custom_choices")
                   for c in ((values.get(key) or {}).get("choices") or []) if "V" in c["value"]]
        assert list(models[model_id].control_choices) == list(dict.fromkeys(offered)), model_id
    assert [r.value for r in readings_for(models["vace_1.3B"])] == ["pose", "depth", "edges", "as_is"]
    assert [r.value for r in readings_for(models["t2v"])] == ["as_is"]


def test_a_control_and_its_mask_reach_wan2gp_with_the_readings_letters(client: Wan2GPClient) -> None:
    models = {m.id: m for m in client.list_models()}
    vace = models["vace_1.3B"]
    source = client.generate({**SHOT, "model_type": "t2v_1.3B"}, timeout=60).video_path
    mask = client.generate({**SHOT, "model_type": "t2v_1.3B", "prompt": "a white square"}, timeout=60).video_path
    inpaint = plan(vace, "as_is", masked=True)
    result = client.generate({**SHOT, "model_type": vace.id, "video_guide": source, "video_mask": mask,
                              "extra": {"video_prompt_type": inpaint.letters}}, timeout=60)
    used = read_clip_metadata(result.video_path)
    assert used["video_prompt_type"] == "MVA"  # inpaint inside the mask, as VACE's own choice says
    assert Path(used["video_guide"]).name == source.name and Path(used["video_mask"]).name == mask.name

    depth = plan(vace, "depth")  # Blender's own depth: the raw format, no estimator
    result = client.generate({**SHOT, "model_type": vace.id, "video_guide": source,
                              "extra": {"video_prompt_type": depth.letters}}, timeout=60)
    assert read_clip_metadata(result.video_path)["video_prompt_type"] == "V"

    ltx = models["ltx2_22B_distilled"]  # reads depth by estimating it (its control LoRA comes with "D")
    estimated = plan(ltx, "depth")
    assert estimated.letters == "DVG" and estimated.estimated
