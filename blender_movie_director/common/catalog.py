"""The model catalog the simulated engine serves: real Wan2GP ids with their real rules.

Read off Wan2GP at 8681e9f (2026-08-21): fps and frame grids from each family's handler
(`models/*/..._handler.py` query_model_def: frames_minimum / frames_steps), one-window maxima from
`shared/api.py::_model_frames_maximum` (the handler's default sliding window, else 97), defaults
from `defaults/<id>.json` over `models/_settings.json` (832x480, 81 frames, 30 steps, cfg 5).
The wangp engine asks Wan2GP itself instead.
"""

from __future__ import annotations

from .enums import MediaInput as M
from .enums import ModelCategory as C
from .enums import ModelFamily as F
from .enums import OutputKind
from .enums import TaskKind as T
from .model_info import ModelInfo

_WAN = dict(family=F.WAN, fps=16, frames_minimum=5, frames_step=4, frames_maximum=97)
_WAN_I2V = dict(_WAN, tasks=(T.IMAGE_TO_VIDEO,), media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE),
                required_inputs=(M.IMAGE_START,), sliding_window=True)
_VACE = dict(family=F.VACE, fps=16, frames_minimum=17, frames_step=4, frames_maximum=97, sliding_window=True,
             tasks=(T.CONTROL, T.TEXT_TO_VIDEO), category=C.CONTROL,
             media_inputs=(M.VIDEO_GUIDE, M.IMAGE_START, M.VIDEO_SOURCE))
_LTX2 = dict(family=F.LTX_2, fps=24, frames_minimum=17, frames_step=8, frames_maximum=241, sliding_window=True,
             tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO), audio_output=True,
             media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE),
             default_resolution="1280x720", default_frames=241, default_guidance_scale=3.0)

CATALOG: tuple[ModelInfo, ...] = (
    ModelInfo(id="t2v", name="Wan2.1 Text2video 14B", category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO,),
              media_inputs=(M.VIDEO_SOURCE,), sliding_window=True, vram_gb=12, **_WAN),
    ModelInfo(id="t2v_1.3B", name="Wan2.1 Text2video 1.3B", category=C.FAST, tasks=(T.TEXT_TO_VIDEO,),
              media_inputs=(M.VIDEO_SOURCE,), vram_gb=6, **_WAN),
    ModelInfo(id="t2v_2_2", name="Wan2.2 Text2video 14B", category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO,),
              media_inputs=(M.VIDEO_SOURCE,), sliding_window=True, default_guidance_scale=4, default_flow_shift=12,
              vram_gb=12, **_WAN),
    ModelInfo(id="t2v_fusionix", name="Wan2.1 Text2video FusioniX 14B", category=C.FAST, tasks=(T.TEXT_TO_VIDEO,),
              media_inputs=(M.VIDEO_SOURCE,), default_steps=8, default_guidance_scale=1, vram_gb=12, **_WAN),
    ModelInfo(id="i2v", name="Wan2.1 Image2video 480p 14B", category=C.IMAGE_TO_VIDEO, vram_gb=12, **_WAN_I2V),
    ModelInfo(id="i2v_2_2", name="Wan2.2 Image2video 14B", category=C.IMAGE_TO_VIDEO, default_guidance_scale=3.5,
              vram_gb=12, **_WAN_I2V),
    ModelInfo(id="i2v_2_2_Enhanced_Lightning_v2", name="Wan2.2 Image2video Enhanced Lightning v2 14B",
              category=C.IMAGE_TO_VIDEO, default_steps=4, default_guidance_scale=1, vram_gb=12, **_WAN_I2V),
    ModelInfo(id="flf2v_720p", name="First Last Frame to Video 720p (FLF2V) 14B", category=C.IMAGE_TO_VIDEO,
              default_resolution="1280x720", vram_gb=12,
              **{**_WAN_I2V, "tasks": (T.FIRST_LAST_FRAME,), "required_inputs": (M.IMAGE_START, M.IMAGE_END)}),
    ModelInfo(id="ti2v_2_2", name="Wan2.2 TextImage2video 5B", family=F.WAN_2_2_5B, category=C.FAST,
              tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO), fps=24, frames_minimum=5, frames_step=4,
              frames_maximum=121, sliding_window=True, media_inputs=(M.IMAGE_START, M.VIDEO_SOURCE),
              default_resolution="1280x720", default_frames=121, default_steps=50, vram_gb=8),
    ModelInfo(id="vace_14B", name="Vace 14B", vram_gb=12, **_VACE),
    ModelInfo(id="vace_1.3B", name="Vace 1.3B", vram_gb=6, **_VACE),
    ModelInfo(id="hunyuan", name="Hunyuan Video Text2video 720p 13B", family=F.HUNYUAN, category=C.HIGH_QUALITY,
              tasks=(T.TEXT_TO_VIDEO,), fps=24, frames_minimum=5, frames_step=4, frames_maximum=129,
              sliding_window=True, default_frames=97, vram_gb=12),
    ModelInfo(id="hunyuan_i2v", name="Hunyuan Video Image2video 720p 13B", family=F.HUNYUAN,
              category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO,), fps=24, frames_minimum=5, frames_step=4,
              frames_maximum=129, media_inputs=(M.IMAGE_START,), required_inputs=(M.IMAGE_START,),
              default_frames=97, vram_gb=12),
    ModelInfo(id="ltxv_distilled", name="LTX Video 0.9.8 Distilled 13B", family=F.LTX_VIDEO, category=C.FAST,
              tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO), fps=30, frames_minimum=17, frames_step=8,
              frames_maximum=257, sliding_window=True, media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE),
              default_frames=97, default_steps=6, default_guidance_scale=1, vram_gb=8),
    ModelInfo(id="ltx2_distilled", name="LTX-2 2.0 Distilled 19B", category=C.FAST, default_steps=8, vram_gb=10,
              **_LTX2),
    ModelInfo(id="ltx2_19B", name="LTX-2 2.0 Dev 19B", category=C.HIGH_QUALITY, default_steps=40, vram_gb=12,
              **_LTX2),
    ModelInfo(id="flux", name="Flux 1 Dev 12B", family=F.FLUX, category=C.IMAGE, tasks=(T.TEXT_TO_IMAGE,),
              output=OutputKind.IMAGE, fps=1, default_resolution="1280x720", default_frames=1, default_steps=30,
              default_guidance_scale=2.5, vram_gb=8),
)

MODELS_BY_ID: dict[str, ModelInfo] = {m.id: m for m in CATALOG}
