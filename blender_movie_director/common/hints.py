"""What to do, worded for where the user is: a terminal (flags, scripts) or Blender (buttons and
preferences). The add-on sets the audience to "blender" when it registers; a hint shown in Blender
never names a script, `make`, or an environment variable as the thing to do."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .enums import MediaInput

Audience = Literal["terminal", "blender"]
_audience: list[Audience] = ["terminal"]

_HINTS: dict[str, dict[Audience, str]] = {
    "start_server": {
        "terminal": "start it with `python scripts/launch_wan2gp.py --simulate` (or your Wan2GP launcher), then try again",
        "blender": "press Start Server in the Director panel (or start your server), then try again",
    },
    "restart_server": {
        "terminal": "restart the server (`python scripts/launch_wan2gp.py --stop`, then start it again)",
        "blender": "restart the server (Stop Server, then Start Server in the Director panel)",
    },
    "server_python": {
        "terminal": "pass --python /path/to/wan2gp/venv/bin/python, set BMD_SERVER_PYTHON, or run `make setup`",
        "blender": "set Server Python in the add-on's preferences to a Python with gradio 5.29 (Wan2GP's own "
                   "Python has it), or untick Simulated Engine and set Wan2GP Folder",
    },
    "no_gradio": {
        "terminal": "use Wan2GP's own Python (--python): Wan2GP pins gradio 5.29, which the Director server runs on; "
                    "or run `make setup` for the simulated engine",
        "blender": "set Server Python in the add-on's preferences to Wan2GP's own Python (it has gradio 5.29)",
    },
    "wan2gp_python": {
        "terminal": "pass it with --python, e.g. --python ~/miniconda3/envs/wan2gp/bin/python "
                    "(in a terminal where Wan2GP runs: `python -c 'import sys; print(sys.executable)'`)",
        "blender": "set Server Python in the add-on's preferences to the python of Wan2GP's environment",
    },
    "python_missing": {
        "terminal": "give the python executable of Wan2GP's environment with --python",
        "blender": "fix Server Python in the add-on's preferences (or leave it empty to search)",
    },
    "login": {
        "terminal": "set BMD_SERVER_AUTH=user:password (the server's login)",
        "blender": "fill in User and Password in the add-on's preferences",
    },
    "no_login": {
        "terminal": "unset BMD_SERVER_AUTH (or drop auth=...): this server takes no login",
        "blender": "clear User and Password in the add-on's preferences: this server takes no login",
    },
    "wrong_login": {
        "terminal": "check the user and password in BMD_SERVER_AUTH=user:password against the server's",
        "blender": "check User and Password in the add-on's preferences against the server's login",
    },
    "pick_model_for_input": {
        "terminal": "pick a model that takes it (`python -m blender_movie_director models` lists what each takes), "
                    "or leave the input out",
        "blender": "pick a model that takes it (the Model list shows what each takes), or leave the input out",
    },
    "input_image_start": {
        "terminal": "give the first frame: --image-start FILE (image_start=path in Python)",
        "blender": "select an image strip (or put the playhead on a frame) and press Image to Video",
    },
    "input_image_end": {
        "terminal": "give the last frame too: --image-end FILE (image_end=path in Python)",
        "blender": "select two image strips, the first frame and the last, and press Generate from Strips",
    },
    "input_image_refs": {
        "terminal": "give the person, object or place to show: --image-ref FILE (image_refs=path in Python)",
        "blender": "select the image strip of the person, object or place to show and press Generate from Strips",
    },
    "input_video_source": {
        "terminal": "give the clip to continue: --video-source FILE (video_source=path in Python)",
        "blender": "select the movie strip to continue and press Generate from Strips",
    },
    "input_video_guide": {
        "terminal": "give the video to follow: --video-guide FILE (video_guide=path in Python)",
        "blender": "select the movie strip to follow (the control video) and press Generate from Strips",
    },
    "input_video_mask": {
        "terminal": "give the mask of the area to change: --video-mask FILE (video_mask=path in Python)",
        "blender": "select the control video's movie strip and, as a second movie strip, its mask, then press "
                   "Generate from Strips",
    },
    "input_image_guide": {
        "terminal": "give the image to follow: --image-guide FILE (image_guide=path in Python)",
        "blender": "select the image strip to follow (the control image) and press Generate from Strips",
    },
    "input_image_mask": {
        "terminal": "give the mask of the area to change: --image-mask FILE (image_mask=path in Python)",
        "blender": "select the control image's strip and, as a second image strip, its mask, then press "
                   "Generate from Strips",
    },
    "input_audio_guide": {
        "terminal": "give the voice or sound track: --audio FILE (audio_guide=path in Python)",
        "blender": "select a sound strip (a voice or music) and press Generate from Strips",
    },
    "port_taken": {
        "terminal": "the port is taken: pass another --port (0 picks a free one), or stop what uses it",
        "blender": "the port is taken: change the port in Server URL (preferences), or stop what uses it",
    },
}


def set_audience(audience: Audience) -> None:
    _audience[0] = audience


def audience() -> Audience:
    return _audience[0]


def hint(key: str) -> str:
    return _HINTS[key][_audience[0]]


def input_hint(media: MediaInput) -> str:
    """Where to get an input a model needs, worded for the audience."""
    return hint(f"input_{media.value}")


def input_hint_everywhere(media: MediaInput) -> str:
    """Both wordings, for a message whose reader may be in Blender or in a terminal (the server's)."""
    entry = _HINTS[f"input_{media.value}"]
    return f"in Blender, {entry['blender']}; from a terminal, {entry['terminal']}"
