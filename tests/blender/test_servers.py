"""Issue 17 in Blender: the list of servers in the preferences, the Server panel listing every one,
and the server a clip came from on its strip (bmd_server)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import bpy
import pytest

from devtools.blender import ADDON, jobs_finished
from devtools.recording_layout import RecordingLayout
from tests.conftest import start_test_server
from tests.waiting import wait_until


@pytest.fixture
def second_server(tmp_path: Path):
    server = start_test_server(tmp_path / "second", step_seconds=0.01)
    yield server
    server.stop()


@pytest.fixture
def prefs(addon):
    prefs = bpy.context.preferences.addons[ADDON].preferences
    yield prefs
    prefs.servers.clear()
    addon.ui.servers.shutdown()
    addon.ui.addon.shutdown_manager()


def test_the_server_url_stays_first_and_the_list_adds_enabled_servers(addon, scene, prefs, server) -> None:
    assert addon.ui.servers.configured() == [addon.jobs.server_pool.ServerEntry(server.url)]
    assert not addon.ui.servers.several()
    assert bpy.ops.movie_director.add_server() == {"FINISHED"}
    prefs.servers[0].url, prefs.servers[0].user = "http://127.0.0.1:7871/", "ann"
    bpy.ops.movie_director.add_server()
    prefs.servers[1].url, prefs.servers[1].enabled = "http://127.0.0.1:7872", False
    bpy.ops.movie_director.add_server()
    prefs.servers[2].url = server.url  # the first one again: counted once
    bpy.ops.movie_director.add_server()
    prefs.servers[3].url = "http://192.0.2.10:7870"  # another machine: not while Blender's online access is off
    assert not bpy.app.online_access  # the bpy module runs offline
    urls = [(e.url, e.user) for e in addon.ui.servers.configured()]
    assert urls == [(server.url, prefs.server_user), ("http://127.0.0.1:7871", "ann")]
    prefs.server_index = 1
    assert bpy.ops.movie_director.remove_server() == {"FINISHED"}
    assert [e.url for e in prefs.servers] == ["http://127.0.0.1:7871/", server.url, "http://192.0.2.10:7870"]
    layout = RecordingLayout()
    addon.ui.servers.draw_preferences(layout, prefs)
    assert "movie_director.add_server" in layout.operators()


def test_the_server_panel_lists_every_server_with_its_state(addon, scene, prefs, server, second_server) -> None:
    bpy.ops.movie_director.add_server()
    prefs.servers[0].url = second_server.url
    bpy.ops.movie_director.add_server()
    prefs.servers[1].url = "http://127.0.0.1:9"  # nobody there
    addon.ui.addon.shutdown_manager()
    layout = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_PT_server.draw(SimpleNamespace(layout=layout), bpy.context)  # before anything is asked
    assert "not asked yet" in " ".join(layout.texts())
    assert bpy.ops.movie_director.connect_servers() == {"FINISHED"}
    servers = addon.ui.servers
    wait_until(lambda: [i.connected for i in servers.infos()][:2] == [True, True] and servers.infos()[2].error,
               60, "every server to answer (or not)")
    layout = RecordingLayout()
    bpy.types.MOVIE_DIRECTOR_PT_server.draw(SimpleNamespace(layout=layout), bpy.context)
    text = " ".join(layout.texts())
    assert server.url in text and second_server.url in text and "http://127.0.0.1:9" in text
    assert text.count("simulated · ") >= 2 and "idle" in text and "waiting" in text
    assert "down: " in text


def test_a_clip_says_which_server_made_it(addon, scene, drive, server) -> None:
    props = scene.movie_director
    props.model, props.prompt, props.use_seconds, props.frames = "t2v_1.3B", "a fox", False, 17
    props.resolution, props.steps, props.channel = "448x256", 2, 2
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    drive(jobs_finished(addon))
    editor = scene.sequence_editor
    strips = list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)
    (strip,) = [s for s in strips if "bmd_model" in s]
    assert strip["bmd_server"] == server.url


def test_generate_with_two_servers_spreads_the_shots_and_places_each_at_its_slot(addon, scene, drive, prefs, server,
                                                                                  second_server) -> None:
    addon.ui.addon.shutdown_manager()
    bpy.ops.movie_director.add_server()
    prefs.servers[0].url = second_server.url
    props = scene.movie_director
    props.model, props.use_seconds, props.frames, props.resolution, props.channel = "t2v_1.3B", False, 17, "448x256", 2
    props.steps = 20
    try:
        for n in range(4):
            props.prompt = f"shot {n}"
            scene.frame_current = 1 + 40 * n
            assert bpy.ops.movie_director.generate() == {"FINISHED"}
        manager = addon.ui.addon.manager()
        assert isinstance(manager, addon.jobs.dispatch.ServerPool)
        drive(jobs_finished(addon), timeout=120)
        editor = scene.sequence_editor
        strips = list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)
        made = sorted((s for s in strips if "bmd_model" in s), key=lambda s: s.frame_final_start)
        assert [s["bmd_prompt"] for s in made] == [f"shot {n}" for n in range(4)]
        assert [s.frame_final_start for s in made] == [1 + 40 * n for n in range(4)]
        assert {s["bmd_server"] for s in made} == {server.url, second_server.url}
        assert len(manager.dispatch_log) == 4  # each sent once
    finally:
        addon.ui.addon.shutdown_manager()


def test_jobs_exported_as_a_wan2gp_queue_come_back_at_their_slots(addon, scene, drive, tmp_path: Path) -> None:
    import zipfile

    from blender_movie_director.jobs.wan2gp_queue import output_name

    props = scene.movie_director
    props.model, props.use_seconds, props.frames, props.resolution, props.channel = "t2v_1.3B", False, 17, "448x256", 3
    props.steps = 2
    for n in range(2):
        props.prompt, scene.frame_current = f"farm shot {n}", 1 + 50 * n
        bpy.ops.movie_director.generate()
    drive(jobs_finished(addon))
    ops = addon.ui.wan2gp_queue_ops
    records = ops.jobs_to_export(only_waiting=False)
    assert len(records) == 2
    assert bpy.ops.movie_director.export_wan2gp_queue(filepath=str(tmp_path / "queue.zip"), only_waiting=False) \
        == {"FINISHED"}
    with zipfile.ZipFile(tmp_path / "queue.zip") as archive:
        assert "queue.json" in archive.namelist()
    # what `wgp.py --process queue.zip --output-dir renders` leaves: one file per shot, named for it
    renders = tmp_path / "renders"
    renders.mkdir()
    for record in records:
        (renders / f"{output_name(record.id)}.mp4").write_bytes(Path(record.result.video_path).read_bytes())
    assert bpy.ops.movie_director.import_wan2gp_outputs(queue_file=str(tmp_path / "queue.zip"),
                                                        directory=str(renders)) == {"FINISHED"}
    editor = scene.sequence_editor
    strips = list(editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all)
    farm = {s["bmd_job_id"]: s for s in strips if s.get("bmd_server") == ops.FARM_SERVER}
    assert set(farm) == {r.id for r in records}
    for record in records:
        assert farm[record.id].frame_final_start == record.slot.frame_start
        assert farm[record.id].channel >= record.slot.channel
    assert ops.import_outputs(tmp_path / "queue.zip", renders) == []  # placed once
