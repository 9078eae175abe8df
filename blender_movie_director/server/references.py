"""Several reference images for one generation (a cast of several, several views of one person).

/generate_refs is /generate with one more upload after the media slots, `image_refs_more` (several
files): the first reference image stays in the `image_refs` slot, further ones come there. /generate
itself keeps its inputs (a caller of its documented ten values is unaffected). Each file is an upload
of this server, checked like the others; a path in the request is refused. Wan2GP gets them as one
list (settings.to_wan2gp).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from ..common.enums import MediaInput
from ..common.errors import InvalidRequestError, InvalidSettingsError
from ..common.messages import GenerateRequest
from ..common.protocol import GENERATE_WITH_REFERENCES, MORE_REFERENCES_SLOT
from ..common.settings import MAX_REFERENCE_IMAGES
from .uploads import MediaLimits, check_upload


def uploads_of(value: Any, request: GenerateRequest) -> tuple[Path, ...]:
    """The further reference images uploaded with a request (none: ())."""
    if request.settings.image_refs_more:
        raise InvalidSettingsError(MORE_REFERENCES_SLOT, "a path in the request is refused: send the files as "
                                   f"uploads in the {MORE_REFERENCES_SLOT} slot",
                                   hint="Wan2GPClient.submit() uploads the files you name")
    if value is None or value == "" or value == []:
        return ()
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
        raise InvalidRequestError(MORE_REFERENCES_SLOT, "must be uploaded files")
    if len(values) > MAX_REFERENCE_IMAGES - 1:
        raise InvalidSettingsError(MORE_REFERENCES_SLOT, f"{len(values) + 1} reference images; the limit is "
                                   f"{MAX_REFERENCE_IMAGES}", hint="show the model fewer people or views")
    return tuple(Path(v) for v in values)


def attach(request: GenerateRequest, paths: tuple[Path, ...]) -> GenerateRequest:
    if not paths:
        return request
    return request.model_copy(update={"settings": request.settings.model_copy(update={"image_refs_more": paths})})


def check(paths: tuple[Path, ...], limits: MediaLimits, upload_root: Path | None) -> None:
    for path in paths:
        try:
            check_upload(MediaInput.IMAGE_REFS, path, limits, upload_root)
        except InvalidSettingsError as error:
            raise InvalidSettingsError(MORE_REFERENCES_SLOT, error.message.removeprefix("image_refs: "),
                                       hint=error.hint) from None


def register(service: Any, trigger: Any, text_in: Any, slots: list[Any], video: Any, text_out: Any) -> None:
    """/generate_refs: the same job as /generate (same function, same GPU queue) with further references."""
    more = gr.File(visible=False, label=MORE_REFERENCES_SLOT, type="filepath", file_count="multiple")
    trigger.click(service.generate, [text_in, *slots, more], [video, text_out],
                  api_name=GENERATE_WITH_REFERENCES.strip("/"), concurrency_limit=1, concurrency_id="gpu")
