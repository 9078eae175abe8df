"""A small 3D scene for the control-video tests and the demo: a cube crossing the frame left to right
while the camera dollies in, and where the cube's centre is in the picture at any (sub-)frame.

bpy and the standard library only: the bpy suites import it (devtools.in_blender.cube_scene) and the
real-program tier runs it inside Debian's Blender.
"""

from __future__ import annotations

import bpy
from bpy_extras.object_utils import world_to_camera_view

CUBE = "Moving Cube"
CAMERA = "Dolly Camera"


def build(name: str = "Cube Scene", frames: int = 48, fps: int = 24, travel: float = 4.0,
          size: tuple[int, int] = (832, 480)):
    """A scene of its own (not the one being edited): the cube moves `travel` units along x over
    `frames` frames at `fps`, the camera moves in a little; linear keys, so motion is even. `size` is
    its render size: a scene strip shows the scene at that size, so give it the edit's."""
    scene = bpy.data.scenes.new(name)
    scene.render.fps, scene.render.fps_base = fps, 1.0
    scene.render.resolution_x, scene.render.resolution_y = size
    scene.render.resolution_percentage = 100
    scene.frame_start, scene.frame_end = 1, frames
    world = bpy.data.worlds.new(name)
    world.color = (0.05, 0.05, 0.05)
    scene.world = world

    mesh = bpy.data.meshes.new(CUBE)
    s = 0.6
    verts = [(x, y, z) for x in (-s, s) for y in (-s, s) for z in (-s, s)]
    faces = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    mesh.from_pydata(verts, [], faces)
    mesh.update()
    cube = bpy.data.objects.new(CUBE, mesh)
    scene.collection.objects.link(cube)
    cube.rotation_euler = (0.4, 0.3, 0.5)
    for frame, x in ((1, -travel / 2), (frames, travel / 2)):
        cube.location = (x, 0.0, 0.0)
        cube.keyframe_insert("location", frame=frame)

    camera_data = bpy.data.cameras.new(CAMERA)
    camera_data.lens = 35
    camera = bpy.data.objects.new(CAMERA, camera_data)
    scene.collection.objects.link(camera)
    camera.rotation_euler = (1.5708, 0.0, 0.0)  # looking along +y at the cube's path
    for frame, y in ((1, -9.0), (frames, -8.0)):  # a slow dolly in
        camera.location = (0.0, y, 0.0)
        camera.keyframe_insert("location", frame=frame)
    scene.camera = camera

    light_data = bpy.data.lights.new("Key", "SUN")
    light = bpy.data.objects.new("Key", light_data)
    light.rotation_euler = (0.8, 0.2, 0.4)
    scene.collection.objects.link(light)

    for obj in (cube, camera):
        action = obj.animation_data.action
        for curve in _fcurves(action):
            for key in curve.keyframe_points:
                key.interpolation = "LINEAR"
    return scene


def _fcurves(action):
    """An action's F-curves: `action.fcurves` up to 4.x, its layered channelbags on 5.0."""
    if hasattr(action, "fcurves"):
        return list(action.fcurves)
    found = []
    for layer in action.layers:
        for strip in layer.strips:
            for bag in strip.channelbags:
                found.extend(bag.fcurves)
    return found


def cube_at(scene, time: float) -> tuple[float, float]:
    """Where the cube's centre is in the camera's picture at scene frame `time` (sub-frames too): x from
    the left, y from the top, both 0–1."""
    whole = int(time // 1)
    current = scene.frame_current
    depsgraph = scene.view_layers[0].depsgraph  # a scene in no window is evaluated there, not in its objects
    scene.frame_set(whole, subframe=time - whole)
    cube = scene.objects[CUBE].evaluated_get(depsgraph)
    point = world_to_camera_view(scene, scene.camera.evaluated_get(depsgraph), cube.matrix_world.translation)
    scene.frame_set(current)
    return float(point.x), 1.0 - float(point.y)
