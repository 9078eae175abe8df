"""Where a downloaded clip is kept: moved into the job's output folder with its settings sidecar,
or into a rescue folder when that folder cannot take it (full, read-only). A finished clip is never
dropped, and a half-copied file is never left behind as if it were a clip."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from ..common.atomic import write_json_atomically
from ..common.errors import ClipNotSavedError, ServerReplyError
from ..common.filenames import slug
from ..common.media_check import is_audio_header, is_image_header, is_video_header
from ..common.messages import GenerateReply, JobResult

RESCUE_VARIABLE = "BMD_RESCUE_DIR"
_unsaved: set[Path] = set()  # downloads no folder could take: kept where they are (close() leaves them)


def rescue_dir() -> Path:
    """Where a clip goes when its folder cannot take it ($BMD_RESCUE_DIR, else the temp folder's)."""
    return Path(os.environ.get(RESCUE_VARIABLE) or Path(tempfile.gettempdir()) / "movie_director_rescued")


def unsaved_clips() -> set[Path]:
    """Clips that could be saved nowhere and stay in their download folder (the user was told where)."""
    return {p for p in _unsaved if p.exists()}


def remove_download_folder(folder: Path) -> None:
    """A client's download folder, but never a clip that could be saved nowhere else."""
    keep = {p for p in unsaved_clips() if Path(p).is_relative_to(folder)}
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in sorted(Path(folder).rglob("*"), reverse=True):
        if path in keep or any(Path(k).is_relative_to(path) for k in keep):
            continue
        try:
            path.rmdir() if path.is_dir() else path.unlink()
        except OSError:
            pass


def looks_like_media(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return is_video_header(head) or is_image_header(head) or is_audio_header(head)


def keep_clip(downloaded: Path, output_name: str, output_dir: Path) -> tuple[Path, str]:
    """Move the clip into `output_dir` (else the rescue folder). Returns where it went and a note for
    the user when it is not where they asked. Raises ClipNotSavedError when no folder could take it
    (the download is then left where it is, and the error says where)."""
    name = _safe_name(output_name, downloaded.suffix)
    failures: list[str] = []
    for folder in (Path(output_dir), rescue_dir()):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            target = _free_path(folder / name)
            shutil.move(str(downloaded), target)
        except OSError as exc:
            failures.append(f"could not save into {folder}: {exc.strerror or exc}")
            _remove_half_copy(downloaded, folder / name)
            continue
        note = "" if not failures else f"{failures[0]}; the clip was kept in {folder}"
        return target, note
    _unsaved.add(downloaded)
    raise ClipNotSavedError("; ".join(failures), kept_at=downloaded)


def store_clip(downloaded: Path, reply: GenerateReply, output_dir: Path, submitted_at: float) -> JobResult:
    """Check a downloaded clip, keep it (keep_clip) and write its sidecar: the finished job's JobResult."""
    if not downloaded.is_file() or downloaded.stat().st_size == 0:
        raise ServerReplyError(f"the clip {reply.output_name} did not arrive (empty or missing download)")
    if not looks_like_media(downloaded):
        raise ServerReplyError(f"{reply.output_name} is not a video, an image or a sound file")
    target, note = keep_clip(downloaded, reply.output_name, output_dir)
    return write_sidecar(JobResult(**reply.model_dump(), video_path=target, sidecar_path=target.with_suffix(".json"),
                                   submitted_at=submitted_at, downloaded_at=time.time(), note=note))


def write_sidecar(result: JobResult) -> JobResult:
    """The clip's settings as JSON beside it; a sidecar that cannot be written becomes a note."""
    if result.sidecar_path is None:
        return result
    try:
        write_json_atomically(result.sidecar_path, result.model_dump(mode="json"), indent=2)
    except OSError as exc:
        note = (result.note + " " if result.note else "") + f"no settings sidecar: {exc.strerror or exc}"
        return result.model_copy(update={"sidecar_path": None, "note": note})
    return result


def move_clip(result: JobResult, target: Path) -> JobResult:
    """Move a kept clip to `target` (a file path; a free name beside it if taken) with its sidecar,
    which is rewritten to name the new place. Raises OSError when the clip cannot be moved (it stays
    where it was, and no half copy is left at the target)."""
    source, target = Path(result.video_path), Path(target)
    if target.exists() and target.resolve() == source.resolve():
        return result
    target.parent.mkdir(parents=True, exist_ok=True)
    target = _free_path(target)
    try:
        shutil.move(str(source), target)
    except OSError:
        _remove_half_copy(source, target)
        raise
    old_sidecar = result.sidecar_path
    moved = write_sidecar(result.model_copy(update={
        "video_path": target, "sidecar_path": target.with_suffix(".json") if old_sidecar else None}))
    if old_sidecar is not None and moved.sidecar_path is not None and Path(old_sidecar) != moved.sidecar_path:
        Path(old_sidecar).unlink(missing_ok=True)
    return moved


def copy_clip(source: Path, folder: Path) -> Path:
    """A copy of a kept clip in `folder` (a hard link where the disk allows), with its sidecar (rewritten
    to name the copy): a project saved as another one keeps its own clips. A file of that name and size already there (an earlier Save As)
    is taken as the copy. Raises OSError when it cannot be copied (no half copy is left)."""
    source, folder = Path(source), Path(folder)
    target = folder / source.name
    if target.is_file() and target.stat().st_size == source.stat().st_size:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    target = _free_path(target)
    try:
        os.link(source, target)  # same disk: no time, no space; clips are never written in place
    except OSError:
        try:
            shutil.copyfile(source, target)
        except OSError:
            target.unlink(missing_ok=True)
            raise
    sidecar = source.with_suffix(".json")
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            data.update(video_path=str(target), sidecar_path=str(target.with_suffix(".json")))
            write_json_atomically(target.with_suffix(".json"), data, indent=2)
        except (OSError, ValueError, AttributeError):
            pass  # the clip is what the strip needs; its settings stay beside the original
    return target


def _remove_half_copy(downloaded: Path, target: Path) -> None:
    """On a full disk shutil.move may leave a partial copy while the download survives."""
    if downloaded.exists() and target.exists():
        try:
            target.unlink()
        except OSError:
            pass  # a read-only folder: there is no half copy in it either


def _safe_name(name: str, suffix: str) -> str:
    stem = Path(name).stem
    return f"{slug(stem, 100)}{suffix or Path(name).suffix}"


def _free_path(path: Path) -> Path:
    candidate, n = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}({n}){path.suffix}")
        n += 1
    return candidate
