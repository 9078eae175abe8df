"""The Control panel's choices, on the scene: how the model reads the control, the 3D scene and camera
used when no strip is picked, and the strip that masks it."""

from __future__ import annotations

import bpy
from bpy.props import EnumProperty, PointerProperty, StringProperty

from ...common.control import ControlReading

READINGS = [
    (ControlReading.POSE.value, "Pose", "The model transfers the pose of the people it sees (Wan2GP estimates it)"),
    (ControlReading.DEPTH.value, "Depth", "The model follows the depth: Blender's own (Mist pass) where the model "
                                          "reads prepared depth maps, else Wan2GP estimates it"),
    (ControlReading.EDGES.value, "Edges", "The model follows the lines: Blender's own (Freestyle) where the model "
                                          "reads prepared maps, else Wan2GP finds the edges"),
    (ControlReading.AS_IS.value, "As Is", "The model takes the control as it is (video to video)"),
]


def _is_camera(_self, obj) -> bool:
    return obj.type == "CAMERA"


class MOVIE_DIRECTOR_control(bpy.types.PropertyGroup):
    reading: EnumProperty(name="Reading", items=READINGS, default=ControlReading.DEPTH.value,
                          description="How the model reads the control video")
    scene: PointerProperty(name="3D Scene", type=bpy.types.Scene,
                           description="Used when the active strip is not a scene or movie strip: its whole frame "
                                       "range becomes a shot at the playhead")
    camera: PointerProperty(name="Camera", type=bpy.types.Object, poll=_is_camera,
                            description="The camera to render it through (empty: the scene's)")
    mask_strip: StringProperty(name="Mask Strip", default="",
                               description="A movie or image strip that masks the control (white: the region the "
                                           "model makes anew); empty: no mask")


classes = (MOVIE_DIRECTOR_control,)


def register() -> None:
    bpy.types.Scene.movie_director_control = bpy.props.PointerProperty(type=MOVIE_DIRECTOR_control)


def unregister() -> None:
    del bpy.types.Scene.movie_director_control
