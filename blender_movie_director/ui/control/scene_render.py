"""A 3D scene rendered as a control video: fast, at the model's frame rate and size, read three ways.

- shaded: Workbench, solid shading, no shadows, cavity, outline or depth of field: the picture, for a
  pose or depth estimator, or to be taken as it is;
- depth: Blender's own depth, the Mist pass (Cycles, one sample, no bounces), linear between the
  nearest and the farthest the scene's objects come over the shot: near white, far and empty black;
- lines: Blender's own lines, Freestyle (silhouettes, borders, creases, contours) white on black.

Frame i of the video shows the scene at frame `first + i * step` (sub-frames included), so a clip of
N frames covering a scene strip's S frames lines up frame for frame once it is retimed over them.
Frames are rendered one by one to PNG and encoded by Blender's own sequencer to an H.264 mp4.

Runs two ways, with bpy and the standard library only (no imports from the add-on):
- as a script in a background Blender: `blender -b SCENE.blend --python scene_render.py -- SPEC.json`,
  printing `BMD-CONTROL <done>/<total>` after each frame (the add-on shows it in the Jobs panel);
- inside the add-on (`render(spec)`), where Blender runs as a module and has no program to start:
  on a copy of the scene, removed afterwards, so the user's scene is left as it was.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import bpy
from mathutils import Vector

PROGRESS_PREFIX = "BMD-CONTROL "
WORK_NAME = "BMD control"
DEPTH_MARGIN = 0.02  # of the depth range, on either side: nothing in the shot is clipped to white or black


def render(spec: dict[str, Any], progress: Callable[[int, int], None] = lambda done, total: None) -> list[Path]:
    """Render the videos `spec` asks for (a control and maybe its mask), all over the same times;
    returns their paths.

    spec: width, height, fps (the model's), frames, first (scene frame of video frame 0), step (scene
    frames per video frame), work_dir (scratch folder), and videos: a list of {scene (name), camera
    (object name, "" for the scene's), render ("shaded", "depth", "lines", or "sequencer": the scene's
    strips as they play), output (the .mp4 to write), and optionally its own first and step}."""
    count = int(spec["frames"])
    videos = spec["videos"]
    total = len(videos) * (count + 1)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    outputs = []
    for number, video in enumerate(videos):
        first, every = float(video.get("first", spec["first"])), float(video.get("step", spec["step"]))
        times = [first + i * every for i in range(count)]
        outputs.append(_render_one(video, times, int(spec["width"]), int(spec["height"]), float(spec["fps"]),
                                   Path(spec["work_dir"]) / f"frames_{number}", step))
    return outputs


def _render_one(video: dict[str, Any], times: list[float], width: int, height: int, fps: float, frames_dir: Path,
                step: Callable[[], None]) -> Path:
    source = bpy.data.scenes[video["scene"]]
    kind = video["render"]
    output = Path(video["output"])
    frames_dir.mkdir(parents=True, exist_ok=True)
    made: list[Any] = []  # data made here, removed at the end (the user's file keeps nothing of it)
    scene = source.copy()  # a copy shares the objects, with render settings of its own
    made.append(scene)
    scene.name = WORK_NAME
    try:
        if kind == "sequencer":  # the strips as they play (a movie, a mask), timeline frame for frame
            _common_settings(scene, width, height, raw=False)
            scene.render.use_sequencer = True
            scene.render.engine = "BLENDER_WORKBENCH"
        else:
            camera = bpy.data.objects[video["camera"]] if video.get("camera") else source.camera
            if camera is None:
                raise ValueError(f"scene '{source.name}' has no camera: set one (Scene properties › Camera)")
            scene.camera = camera
            _common_settings(scene, width, height, raw=kind in ("depth", "lines"))
            if kind == "depth":
                _depth_settings(scene, camera, times, made)
            elif kind == "lines":
                _lines_settings(scene, height, made)
            else:
                _shaded_settings(scene)
        for index, time in enumerate(times):
            whole = math.floor(time)
            scene.frame_set(whole, subframe=time - whole)
            scene.render.filepath = str(frames_dir / f"frame_{index:05d}.png")
            _quiet_render(scene, write_still=True)
            step()
        _encode(frames_dir, len(times), width, height, fps, output, made)
        step()
    finally:
        _remove(made)
        shutil.rmtree(frames_dir, ignore_errors=True)
    return output


# ---------------------------------------------------------------- settings


def _common_settings(scene, width: int, height: int, raw: bool) -> None:
    r = scene.render
    r.resolution_x, r.resolution_y, r.resolution_percentage = width, height, 100
    r.pixel_aspect_x = r.pixel_aspect_y = 1.0
    r.use_border = False
    r.use_motion_blur = False
    r.use_sequencer = False  # the 3D scene's own strips (if any) are not the control
    r.use_compositing = False
    r.film_transparent = False
    r.use_freestyle = False
    r.image_settings.file_format = "PNG"
    r.image_settings.color_mode = "RGB"
    r.image_settings.color_depth = "8"
    r.use_file_extension = True
    r.use_overwrite = True
    view = scene.view_settings
    for transform in ("Raw", "Standard") if raw else ("Standard",):  # a map's values as rendered: 0.5 mid-grey
        try:
            view.view_transform = transform
            break
        except TypeError:
            continue
    view.look = "None"
    view.exposure, view.gamma = 0.0, 1.0
    view.use_curve_mapping = False


def _shaded_settings(scene) -> None:
    scene.render.engine = "BLENDER_WORKBENCH"
    shading = scene.display.shading
    shading.light = "STUDIO"
    shading.show_shadows = False
    shading.show_cavity = False
    shading.show_object_outline = False
    shading.use_dof = False
    shading.show_specular_highlight = True
    scene.display.render_aa = "FXAA"


def _cycles_fast(scene) -> None:
    scene.render.engine = "CYCLES"
    cycles = scene.cycles
    cycles.device = "CPU"
    cycles.samples = 1
    cycles.use_adaptive_sampling = False
    cycles.use_denoising = False  # Debian's Blender has no OpenImageDenoise
    cycles.max_bounces = 0
    cycles.filter_width = 0.01  # each pixel sampled at its centre: exact, not blurred by the pixel filter


def _depth_settings(scene, camera, times: list[float], made: list) -> None:
    """The Mist pass over the nearest and farthest distance the scene's objects come to the camera."""
    _cycles_fast(scene)
    near, far = depth_range(scene, camera, times)
    world = scene.world.copy() if scene.world is not None else bpy.data.worlds.new(WORK_NAME)
    made.append(world)
    scene.world = world
    mist = world.mist_settings
    mist.start, mist.depth, mist.falloff = near, max(far - near, 1e-3), "LINEAR"
    for layer in scene.view_layers:
        layer.use_pass_mist = True
    scene.render.use_compositing = True
    _mist_compositor(scene, made)


def depth_range(scene, camera, times: list[float]) -> tuple[float, float]:
    """(near, far): distances from the camera to the closest point of the objects' bounding boxes and
    to their farthest corner, over the given times; a margin either side."""
    near, far = math.inf, 0.0
    depsgraph = scene.view_layers[0].depsgraph  # a scene in no window: its objects are evaluated there only
    for time in (times[0], times[len(times) // 2], times[-1]) if len(times) > 2 else times:
        whole = math.floor(time)
        scene.frame_set(whole, subframe=time - whole)
        eye = camera.evaluated_get(depsgraph).matrix_world.translation
        for original in scene.objects:
            if original.type not in ("MESH", "CURVE", "SURFACE", "META", "FONT", "VOLUME", "CURVES", "POINTCLOUD",
                                     "GPENCIL", "GREASEPENCIL") or original.hide_render:
                continue
            obj = original.evaluated_get(depsgraph)
            corners = [obj.matrix_world @ Vector(corner) for corner in obj.bound_box]
            far = max(far, *((c - eye).length for c in corners))
            local_eye = obj.matrix_world.inverted_safe() @ eye
            lows = [min(c[i] for c in obj.bound_box) for i in range(3)]
            highs = [max(c[i] for c in obj.bound_box) for i in range(3)]
            closest = Vector([min(max(local_eye[i], lows[i]), highs[i]) for i in range(3)])
            near = min(near, (obj.matrix_world @ closest - eye).length)
    if not math.isfinite(near) or far <= 0.0:  # nothing to see: any range will do
        return camera.data.clip_start, camera.data.clip_end
    span = max(far - near, 1e-3)
    return max(0.0, near - DEPTH_MARGIN * span), far + DEPTH_MARGIN * span


def _mist_compositor(scene, made: list) -> None:
    """Render Layers' Mist, inverted (near white), as the composite: 4.2–4.5 the scene's own node tree,
    5.0 a compositing node group of its own."""
    if hasattr(scene, "compositing_node_group"):  # 5.0+
        tree = bpy.data.node_groups.new(WORK_NAME, "CompositorNodeTree")
        made.append(tree)
        tree.interface.new_socket("Image", in_out="OUTPUT", socket_type="NodeSocketColor")
        scene.compositing_node_group = tree
        output = tree.nodes.new("NodeGroupOutput")
    else:
        scene.use_nodes = True
        tree = scene.node_tree
        tree.nodes.clear()
        output = tree.nodes.new("CompositorNodeComposite")
    layers = tree.nodes.new("CompositorNodeRLayers")
    layers.scene = scene
    invert = tree.nodes.new("CompositorNodeInvert")
    tree.links.new(layers.outputs["Mist"], invert.inputs["Color"])
    tree.links.new(invert.outputs[0], output.inputs[0])


def _lines_settings(scene, height: int, made: list) -> None:
    """Freestyle lines, white, over a black world with every surface black."""
    _cycles_fast(scene)
    world = bpy.data.worlds.new(WORK_NAME)
    made.append(world)
    world.color = (0.0, 0.0, 0.0)
    if world.node_tree is not None:  # 5.0 worlds always use nodes: their Background node is the colour
        for node in world.node_tree.nodes:
            if node.type == "BACKGROUND":
                node.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
    elif hasattr(world, "use_nodes"):
        world.use_nodes = False
    scene.world = world
    black = bpy.data.materials.new(WORK_NAME)
    made.append(black)
    if black.node_tree is None:  # 4.x; 5.0 materials always have their nodes
        black.use_nodes = True
    nodes = black.node_tree.nodes
    nodes.clear()
    emission = nodes.new("ShaderNodeEmission")
    emission.inputs["Color"].default_value = (0.0, 0.0, 0.0, 1.0)
    out = nodes.new("ShaderNodeOutputMaterial")
    black.node_tree.links.new(emission.outputs[0], out.inputs["Surface"])
    render = scene.render
    render.use_freestyle = True
    render.line_thickness_mode = "ABSOLUTE"
    render.line_thickness = max(1.0, height / 240)
    for layer in scene.view_layers:
        layer.material_override = black
        layer.use_freestyle = True
        settings = layer.freestyle_settings
        settings.mode = "EDITOR"
        if not len(settings.linesets):
            settings.linesets.new("BMD lines")
        for lineset in settings.linesets:
            lineset.show_render = True
            lineset.select_by_visibility, lineset.visibility = True, "VISIBLE"
            lineset.select_by_edge_types = True
            for edge in ("select_silhouette", "select_border", "select_crease", "select_contour",
                         "select_external_contour"):
                setattr(lineset, edge, True)
            style = lineset.linestyle.copy() if lineset.linestyle is not None else bpy.data.linestyles.new(WORK_NAME)
            made.append(style)
            style.color = (1.0, 1.0, 1.0)
            style.alpha = 1.0
            style.thickness = max(1.0, height / 240)
            lineset.linestyle = style


# ---------------------------------------------------------------- frames → mp4


def _encode(frames_dir: Path, count: int, width: int, height: int, fps: float, output: Path, made: list) -> None:
    """The numbered PNGs as an H.264 mp4 at `fps`, by Blender's sequencer (no other encoder needed)."""
    encode = bpy.data.scenes.new(WORK_NAME + " encode")
    made.append(encode)
    r = encode.render
    r.resolution_x, r.resolution_y, r.resolution_percentage = width, height, 100
    whole = round(fps)
    r.fps, r.fps_base = whole, whole / fps if fps else 1.0
    encode.frame_start, encode.frame_end = 1, count
    encode.view_settings.view_transform = "Standard"
    editor = encode.sequence_editor_create()
    strips = editor.strips if hasattr(editor, "strips") else editor.sequences
    first = frames_dir / "frame_00000.png"
    strip = strips.new_image(name="frames", filepath=str(first), channel=1, frame_start=1)
    for index in range(1, count):
        strip.elements.append(f"frame_{index:05d}.png")
    r.use_sequencer = True
    r.use_compositing = False
    if hasattr(r.image_settings, "media_type"):  # 5.0: a movie is a media type before it is a format
        r.image_settings.media_type = "VIDEO"
    r.image_settings.file_format = "FFMPEG"
    r.ffmpeg.format = "MPEG4"
    r.ffmpeg.codec = "H264"
    r.ffmpeg.constant_rate_factor = "HIGH"
    r.ffmpeg.ffmpeg_preset = "GOOD"
    r.ffmpeg.audio_codec = "NONE"
    output.parent.mkdir(parents=True, exist_ok=True)
    partial = output.with_name(output.stem + ".partial.mp4")
    partial.unlink(missing_ok=True)
    r.filepath = str(partial)
    r.use_file_extension = False
    _quiet_render(encode, animation=True)
    if not partial.is_file():
        raise RuntimeError(f"Blender wrote no video at {partial}")
    os.replace(partial, output)


def _quiet_render(scene, **kwargs: Any) -> None:
    """Render `scene` (not the context's) without Blender's per-frame chatter on stdout."""
    fd = sys.stdout.fileno() if hasattr(sys.stdout, "fileno") else None
    saved = os.dup(fd) if fd is not None else None
    try:
        if saved is not None:
            sys.stdout.flush()
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)
        with bpy.context.temp_override(scene=scene):  # the frame rendered is the context scene's
            result = bpy.ops.render.render(scene=scene.name, **kwargs)
    finally:
        if saved is not None:
            os.dup2(saved, fd)
            os.close(saved)
    if "FINISHED" not in result:
        raise RuntimeError(f"Blender's render of {scene.name} returned {result}")


def _remove(made: list) -> None:
    collections = {"Scene": bpy.data.scenes, "World": bpy.data.worlds, "Material": bpy.data.materials,
                   "FreestyleLineStyle": bpy.data.linestyles, "CompositorNodeTree": bpy.data.node_groups}
    for block in reversed(made):
        try:
            collections[type(block).__name__].remove(block)
        except (KeyError, ReferenceError, RuntimeError):
            pass


# ---------------------------------------------------------------- as a script in a background Blender


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[argv.index("--") + 1]).read_text())

    def report(done: int, total: int) -> None:
        print(f"{PROGRESS_PREFIX}{done}/{total}", flush=True)

    report(0, len(spec["videos"]) * (int(spec["frames"]) + 1))
    render(spec, report)
    print(f"{PROGRESS_PREFIX}done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
