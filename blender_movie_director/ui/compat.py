"""Blender 4.2 → 5.0 differences in the sequencer API, in one place."""

from __future__ import annotations

from collections.abc import Iterable

import bpy


def strips(editor: bpy.types.SequenceEditor):
    """Top-level strips: `strips` on 4.4+, `sequences` on 4.2 (an empty collection is falsy)."""
    return editor.strips if hasattr(editor, "strips") else editor.sequences


def all_strips(editor: bpy.types.SequenceEditor):
    return editor.strips_all if hasattr(editor, "strips_all") else editor.sequences_all


def new_effect(editor, name: str, kind: str, channel: int, frame_start: int, length: int):
    """new_effect takes `length` on 5.0 and `frame_end` before."""
    collection = strips(editor)
    try:
        return collection.new_effect(name=name, type=kind, channel=channel, frame_start=frame_start, length=length)
    except TypeError:
        return collection.new_effect(name=name, type=kind, channel=channel, frame_start=frame_start,
                                     frame_end=frame_start + length)


def selected_strips(context: bpy.types.Context) -> Iterable:
    found = getattr(context, "selected_strips", None)
    if found is None:
        found = getattr(context, "selected_sequences", None)
    if found is None:  # no sequencer in this context (scripts, bpy module): read the flags
        editor = context.scene.sequence_editor
        found = [s for s in all_strips(editor) if s.select] if editor else []
    return list(found)


def active_strip(context: bpy.types.Context):
    editor = context.scene.sequence_editor
    if editor is None:
        return None
    return getattr(editor, "active_strip", None)
