"""Placing a clip writes no file on Blender's main thread: the clip's library entry and its job's
"placed" flag are written by the job manager's writer thread (each is an fsync'd rewrite, a few ms
on the timer tick), and a save of the .blend waits for them."""

from __future__ import annotations

import bpy

from devtools.blender import jobs_finished
from devtools.main_thread import file_syncs_on_main_thread


def test_placing_a_clip_leaves_the_library_and_journal_writes_to_the_writer_thread(addon, scene, drive) -> None:
    from blender_movie_director.common.library import ClipLibrary, library_for_journal
    from blender_movie_director.jobs import journal

    props = scene.movie_director
    props.model, props.prompt, props.use_seconds, props.frames = "t2v_1.3B", "a harbour at noon", False, 17
    props.resolution, props.steps, props.channel = "448x256", 3, 2
    assert bpy.ops.movie_director.generate() == {"FINISHED"}
    with file_syncs_on_main_thread() as syncs:
        drive(jobs_finished(addon))
    manager = addon.ui.addon.manager()
    (record,) = manager.jobs(project=addon.ui.projects.journal_path())
    assert record.state.value == "succeeded" and addon.ui.tick.is_placed(record.id)
    assert syncs == [], "the tick wrote files on Blender's main thread"
    shown = [item.key for item in bpy.context.window_manager.movie_director_library]
    assert shown == [record.id]  # listed at once, without reading the file back

    path = addon.ui.projects.journal_path()
    manager.writes.wait()  # soon: what the writer was asked for is on disk
    assert [e.key for e in ClipLibrary(library_for_journal(path)).entries()] == [record.id]
    (written,) = journal.read(path).records
    assert written.placed and not written.placement_saved

    with file_syncs_on_main_thread() as syncs:
        bpy.ops.wm.save_mainfile()  # the save waits for the writer, then marks the placement saved
    assert journal.read(path).records[0].placement_saved
    assert any("mark_saved" in call for call in syncs)  # the recorder sees the main thread's writes
