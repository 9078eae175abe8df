"""The model picker and the inputs each action supplies, in real Blender, against the simulated server."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import bpy
import pytest

from blender_movie_director.common.enums import MediaInput, ModelGroup, OutputKind
from devtools.blender import ADDON, jobs_finished
from devtools.recording_layout import RecordingLayout


def strips(scene) -> list:
    editor = scene.sequence_editor
    if editor is None:
        return []
    return list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)


def collection(scene):
    editor = scene.sequence_editor_create()
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def png(tmp_path: Path, name: str = "still") -> Path:
    image = bpy.data.images.new(name, 64, 48)
    image.filepath_raw = str(tmp_path / f"{name}.png")
    image.file_format = "PNG"
    image.save()
    return tmp_path / f"{name}.png"


def connected(addon, drive, server) -> None:
    """Connected to this session's simulated server (another test may have left the URL elsewhere)."""
    bpy.context.preferences.addons[ADDON].preferences.server_url = server.url
    assert bpy.ops.movie_director.connect() == {"FINISHED"}
    manager = addon.ui.addon.manager()
    drive(lambda: manager.server.url == server.url and manager.server.connected and bool(manager.server.models))
    addon.ui.tick.tick()


def test_the_picker_offers_each_action_the_models_whose_inputs_it_supplies(addon, scene, drive, server) -> None:
    connected(addon, drive, server)
    properties = addon.ui.properties
    for group in ModelGroup:
        found = properties.search_models(group, "")
        assert found, group
        for model_id, text in found:
            model = properties.model_info(model_id)
            assert group in model.groups and model.family_name in text
    image_to_video = [properties.model_info(i) for i, _ in properties.search_models(ModelGroup.IMAGE_TO_VIDEO, "")]
    assert all(m.works_from({MediaInput.IMAGE_START}) for m in image_to_video)
    assert "t2v_1.3B" not in {m.id for m in image_to_video}  # it takes no start image
    wan22 = [i for i, _ in properties.search_models(ModelGroup.TEXT_TO_VIDEO, "wan2.2")]
    assert "t2v_2_2" in wan22 and all(properties.model_info(i).family == "wan2_2" for i in wan22)
    assert [i for i, _ in properties.search_models(ModelGroup.TEXT_TO_VIDEO, "text2video 1.3b")] == ["t2v_1.3B"]
    props = scene.movie_director
    props.model = "t2v_1.3B"
    props.model_group = ModelGroup.AUDIO.value  # the model follows "What" when it does not do it
    assert properties.model_info(props.model).output == OutputKind.AUDIO  # the add-on has its own copy of the enums
    props.model_group = ModelGroup.IMAGE_TO_VIDEO.value
    assert properties.model_info(props.model).works_from({MediaInput.IMAGE_START})
    layout = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_PT_generate.draw(SimpleNamespace(layout=layout), bpy.context)
    assert {"model_group", "model"} <= set(layout.props())
    assert "movie_director.generate_from_strips" in layout.operators()
    shown = " ".join(layout.texts())
    assert properties.model_info(props.model).family_name in shown and "downloaded" in shown


def test_a_model_that_needs_a_start_image_says_where_to_get_one(addon, scene, drive, server) -> None:
    connected(addon, drive, server)
    props = scene.movie_director
    props.model_group, props.model, props.prompt = ModelGroup.IMAGE.value, "chrono_edit", "one second later"
    with pytest.raises(RuntimeError) as refused:  # the operator's ERROR report, as bpy.ops raises it
        bpy.ops.movie_director.generate()
    assert "image_start: chrono_edit needs a start image — select an image strip" in str(refused.value)
    assert "Image to Video" in str(refused.value) and "Retry" not in str(refused.value)
    manager = addon.ui.addon.manager()
    assert not [r for r in manager.jobs() if r.settings.model_type == "chrono_edit"], "nothing may be queued"


def test_generate_from_strips_hands_an_image_strip_to_a_reference_model(addon, scene, drive, server, tmp_path: Path) -> None:
    connected(addon, drive, server)
    props = scene.movie_director
    props.model_group, props.model, props.prompt = ModelGroup.IMAGE.value, "flux_dev_kontext", "the same, as a poster"
    props.resolution = "MODEL_DEFAULT"
    reference = collection(scene).new_image("reference", str(png(tmp_path)), 2, 30)
    reference.select = True
    assert bpy.ops.movie_director.generate_from_strips() == {"FINISHED"}
    drive(jobs_finished(addon))
    record = next(r for r in addon.ui.addon.manager().jobs() if r.settings.model_type == "flux_dev_kontext")
    assert record.settings.image_refs is not None and Path(record.settings.image_refs).name == "still.png"
    placed = [s for s in strips(scene) if s.get("bmd_model") == "flux_dev_kontext"]
    assert len(placed) == 1 and placed[0].type == "IMAGE" and placed[0].channel == 3
    assert placed[0].frame_final_start == 30


def test_a_sound_model_lands_as_a_sound_strip(addon, scene, drive, server) -> None:
    connected(addon, drive, server)
    props = scene.movie_director
    props.model_group, props.prompt = ModelGroup.AUDIO.value, "[Verse] rain on a paper boat"
    props.model, props.use_seconds, props.seconds, props.channel = "ace_step_v1_5", True, 2.0, 4
    scene.frame_current = 12
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    record = next(r for r in addon.ui.addon.manager().jobs() if r.settings.model_type == "ace_step_v1_5")
    assert record.result is not None and record.result.video_path.suffix == ".wav"
    assert record.settings.duration_seconds == 2.0
    made = [s for s in strips(scene) if s.get("bmd_job_id") == record.id and not s.get("bmd_placeholder")]
    if not bpy.app.build_options.audaspace:  # the bpy 4.2 module cannot add sound strips at all
        pytest.skip("this bpy build has no Audaspace: sound strips are impossible")
    assert [s.type for s in made] == ["SOUND"], "sound only: no movie, no image"
    (sound,) = made
    assert (sound.frame_final_start, sound.channel, sound["bmd_model"]) == (12, 4, "ace_step_v1_5")
    assert sound.frame_final_duration == pytest.approx(48, abs=2)  # 2 s at 24 fps, as long as the sound
