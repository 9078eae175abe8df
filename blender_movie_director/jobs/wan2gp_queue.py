"""A shot list as a Wan2GP queue file, and its finished outputs back at their shots.

Wan2GP saves its queue as a zip ("Save Queue" in its web UI; `python wgp.py --process queue.zip`
runs one headless, docs/CLI.md): a `queue.json` manifest, a list of `{"id": <int>, "params": {...}}`
whose params are its Export-Settings keys, and the media beside it. Its loader extracts the zip,
reads queue.json, and for every attachment key (below) reads a file name relative to the zip's root
(a list stays a list); task ids are integers. We write exactly that, naming attachments like Wan2GP
does (`task<id>_<key>_<n><ext>`: its loader copies them into one cache folder by base name, so the
names must differ between tasks).

Which output is which shot: every task gets `output_filename` = `bmd_<shot id>` (a literal template,
no placeholders), so Wan2GP saves it as `bmd_<shot id>.mp4` (or `bmd_<shot id>(2).mp4` if that name
is taken). `bmd_shots.json` in the zip (Wan2GP ignores it) keeps each shot's id, slot, label and tags
(for a shot of the Shots list: its shot id and model, so the placed clip counts as that shot's), so
`find_outputs` can place every finished clip at its shot's slot.

No bpy, no network: the add-on calls these from an operator; a render farm only needs the zip.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..common.settings import GenerationSettings
from .records import Slot

QUEUE_MANIFEST = "queue.json"
SHOTS_MANIFEST = "bmd_shots.json"
OUTPUT_PREFIX = "bmd_"
# the params Wan2GP's queue loader reads as media files (wgp.py's attachment keys)
ATTACHMENT_KEYS = ("image_start", "image_end", "image_refs", "image_guide", "image_mask", "video_guide",
                   "video_guide2", "video_mask", "video_source", "audio_guide", "audio_guide2", "audio_source",
                   "replace_voice_sample", "replace_voice_sample2", "custom_guide")
# the settings version Wan2GP stamps on what it saves (as of the version this was written against);
# an older stamp makes its loader "upgrade" settings that are already current
WAN2GP_SETTINGS_VERSION = 2.74
OUTPUT_EXTENSIONS = (".mp4", ".mkv", ".webm", ".mov", ".png", ".jpg", ".jpeg", ".webp", ".wav", ".mp3", ".flac")


@dataclass(frozen=True)
class QueueShot:
    """One shot to export: its id (the job's or the shot strip's), settings (a concrete seed), slot."""

    shot_id: str
    settings: GenerationSettings
    slot: Slot | None = None
    label: str = ""
    tags: dict[str, str] = field(default_factory=dict)  # custom properties the placed clip gets


@dataclass(frozen=True)
class FoundOutput:
    shot_id: str
    path: Path
    slot: Slot | None
    label: str
    tags: dict[str, str] = field(default_factory=dict)


def output_name(shot_id: str) -> str:
    """The file name (without extension) Wan2GP saves this shot's output as."""
    return OUTPUT_PREFIX + re.sub(r"[^A-Za-z0-9_-]", "_", shot_id)


def task_params(shot: QueueShot) -> dict[str, Any]:
    """The shot's settings as the params of a Wan2GP queue task (media still as local paths)."""
    params = shot.settings.to_wan2gp()
    for key in ("negative_prompt", "activated_loras", "loras_multipliers"):
        if not params.get(key):  # empty: the model's own
            params.pop(key, None)
    _media_letters(params)
    params["output_filename"] = output_name(shot.shot_id)
    params["settings_version"] = WAN2GP_SETTINGS_VERSION
    return params


def _media_letters(params: dict[str, Any]) -> None:
    """The prompt-type letters Wan2GP's web UI sets for the media a task carries (its queue loader
    takes them as saved; only its Python API infers them): start/end image, a video to continue,
    reference images, a control video and its mask."""
    def add(key: str, letters: str) -> None:
        value = str(params.get(key) or "")
        value += "".join(letter for letter in letters if letter not in value)
        if value:
            params[key] = value

    if params.get("video_source"):
        add("image_prompt_type", "V")
    elif params.get("image_start"):
        add("image_prompt_type", "S")
    if params.get("image_end"):
        add("image_prompt_type", "E")
    if params.get("image_refs"):
        add("video_prompt_type", "I")
    if params.get("video_guide") or params.get("image_guide"):
        add("video_prompt_type", "V")
    if params.get("video_mask") or params.get("image_mask"):
        add("video_prompt_type", "A")
    if params.get("audio_guide"):
        add("audio_prompt_type", "A")


def export_queue(shots: Sequence[QueueShot], path: str | Path) -> Path:
    """Write `shots` as a Wan2GP queue.zip with their media inside. A missing media file is an error
    (Wan2GP would silently drop it and render a different shot)."""
    if not shots:
        raise ValueError("nothing to export: no shots")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest: list[dict[str, Any]] = []
    shots_info: list[dict[str, Any]] = []
    files: dict[str, Path] = {}  # name in the zip -> file on disk
    names_of: dict[Path, str] = {}  # a file used twice is stored once
    for task_id, shot in enumerate(shots, start=1):
        params = task_params(shot)
        for key in ATTACHMENT_KEYS:
            value = params.get(key)
            if value is None:
                continue
            items = value if isinstance(value, list) else [value]
            stored = []
            for index, item in enumerate(items):
                source = Path(str(item)).expanduser().resolve()
                if not source.is_file():
                    raise FileNotFoundError(f"shot {shot.label or shot.shot_id}: its {key} {source} is missing")
                name = names_of.get(source) or f"task{task_id}_{key}_{index}{source.suffix}"
                names_of[source] = name
                files[name] = source
                stored.append(name)
            params[key] = stored if isinstance(value, list) else stored[0]
        manifest.append({"id": task_id, "params": params})
        shots_info.append({"id": task_id, "shot_id": shot.shot_id, "output_name": output_name(shot.shot_id),
                           "label": shot.label, "slot": shot.slot.model_dump() if shot.slot else None,
                           "tags": dict(shot.tags)})
    partial = path.with_name(path.name + ".part")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(QUEUE_MANIFEST, json.dumps(manifest, indent=4))
        archive.writestr(SHOTS_MANIFEST, json.dumps({"version": 1, "shots": shots_info}, indent=2))
        for name, source in files.items():
            archive.write(source, arcname=name)
    partial.replace(path)
    return path


def read_shots(queue_zip: str | Path) -> list[dict[str, Any]]:
    """The shots an exported queue holds (from its bmd_shots.json)."""
    with zipfile.ZipFile(queue_zip) as archive:
        data = json.loads(archive.read(SHOTS_MANIFEST))
    return list(data.get("shots", []))


def find_outputs(queue_zip: str | Path, output_dirs: Iterable[str | Path]) -> list[FoundOutput]:
    """Each exported shot's finished output in `output_dirs` (Wan2GP's --output-dir, searched with its
    sub-folders): the newest file named for the shot. Shots with no output yet are left out."""
    candidates: dict[str, list[Path]] = {}
    for folder in output_dirs:
        for file in Path(folder).rglob(f"{OUTPUT_PREFIX}*"):
            if file.is_file() and file.suffix.lower() in OUTPUT_EXTENSIONS:
                stem = re.sub(r"\(\d+\)$", "", file.stem)  # bmd_x(2): the name was taken
                candidates.setdefault(stem, []).append(file)
    found = []
    for shot in read_shots(queue_zip):
        files = candidates.get(str(shot["output_name"]))
        if not files:
            continue
        slot = Slot.model_validate(shot["slot"]) if shot.get("slot") else None
        newest = max(files, key=lambda f: f.stat().st_mtime)
        tags = {str(k): str(v) for k, v in dict(shot.get("tags") or {}).items()}
        found.append(FoundOutput(str(shot["shot_id"]), newest, slot, str(shot.get("label", "")), tags))
    return found
