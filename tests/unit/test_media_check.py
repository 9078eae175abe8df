from __future__ import annotations

import os
from pathlib import Path

import pytest

from blender_movie_director.common.enums import MediaInput
from blender_movie_director.common.errors import InvalidSettingsError
from blender_movie_director.common.media_check import check_media_file


@pytest.mark.parametrize(("media", "content", "name", "problem"), [
    (MediaInput.IMAGE_START, None, "missing.png", "does not exist"),
    (MediaInput.IMAGE_START, b"", "empty.png", "is empty"),
    (MediaInput.IMAGE_START, b"hello, not an image", "text.png", "is not an image"),
    (MediaInput.IMAGE_END, b"\x00\x00\x00\x18ftypisom" + b"\0" * 16, "clip.png", "is not an image"),
    (MediaInput.VIDEO_SOURCE, b"\x89PNG\r\n\x1a\n" + b"\0" * 16, "still.mp4", "is not a video"),
])
def test_bad_media_is_refused_naming_the_field(tmp_path: Path, media: MediaInput, content: bytes | None,
                                               name: str, problem: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InvalidSettingsError) as caught:
        check_media_file(media, path)
    assert caught.value.field == media.value
    assert problem in caught.value.message


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettingsError, match="is not a file"):
        check_media_file(MediaInput.IMAGE_START, tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n")
    path.chmod(0)
    with pytest.raises(InvalidSettingsError, match="not readable"):
        check_media_file(MediaInput.IMAGE_START, path)


def test_good_files_pass(tmp_path: Path) -> None:
    image, video = tmp_path / "a.jpg", tmp_path / "b.mp4"
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 16)
    video.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\0" * 16)
    check_media_file(MediaInput.IMAGE_START, image)
    check_media_file(MediaInput.VIDEO_SOURCE, video)
