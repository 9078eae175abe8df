import bpy

from ...common.errors import DirectorError
from .. import compat, shots
from ._common import SceneOperator


class MOVIE_DIRECTOR_OT_generate_from_text_strips(SceneOperator, bpy.types.Operator):
    """Turn each selected text strip into a shot: its text is the prompt, its place and length the slot"""

    bl_idname = "movie_director.generate_from_text_strips"
    bl_label = "Generate from Text Strips"

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        return super().poll(context) and context.scene.sequence_editor is not None

    def execute(self, context: bpy.types.Context) -> set[str]:
        texts = sorted((s for s in compat.selected_strips(context) if s.type == "TEXT"),
                       key=lambda s: (s.frame_final_start, s.channel))
        if not texts:
            self.report({"WARNING"}, "Select one or more text strips: each becomes a shot")
            return {"CANCELLED"}
        queued, failed = [], []
        for strip in texts:  # each becomes a shot of the Shots list, its clip exactly the strip's length
            try:
                shots.queue_shot(context.scene, strip)
                queued.append(strip.name)
            except DirectorError as error:
                failed.append(f"{strip.name}: {error}")
        for line in failed:
            self.report({"WARNING"}, line)
        level = {"INFO"} if not failed else {"WARNING"}
        self.report(level, f"Queued {len(queued)} shot(s) from text strips" + (f", {len(failed)} refused" if failed else ""))
        return {"FINISHED"} if queued else {"CANCELLED"}


classes = (MOVIE_DIRECTOR_OT_generate_from_text_strips,)
