"""The model catalog the simulated engine serves: real Wan2GP ids, described as Wan2GP describes them.

Each entry is what server/engines/wangp_catalog.py makes of WanGP 12.60's own answers for that model
(list_model_metadata, get_model_schema, get_default_settings at 8681e9f, recorded in
tests/fake_wan2gp/recording/; tests/unit/test_wangp_catalog.py checks they still agree). vram_gb is
the rough figure of Wan2GP's docs/MODELS.md, which Wan2GP itself does not publish. The wangp engine
asks Wan2GP instead and offers every model it has.
"""

from __future__ import annotations

from .enums import MediaInput as M
from .enums import ModelCategory as C
from .enums import OutputKind as O
from .enums import TaskKind as T
from .model_info import ModelInfo

# how a model reads a control video and its mask (ModelInfo.control_choices, mask_choices), as Wan2GP offers it
_V2V = {"control_choices": ("GUV", "GVA"), "mask_choices": ("A",)}
_VACE = {"control_choices": ("UV", "PV", "OV", "DV", "SV", "LV", "CV", "MV", "V", "PDV", "PSV", "PLV", "DSV", "DLV",
                             "SLV"),
         "mask_choices": ("A", "NA", "XA", "XNA", "YA", "YNA", "WA", "WNA", "ZA", "ZNA")}
_LTXV = {"control_choices": ("PV", "DV", "EV", "V"), "mask_choices": ("A", "NA", "XA", "XNA")}
_LTX2 = {"control_choices": ("PVG", "OVG", "DVG", "EVG", "VG"), "mask_choices": ("A", "NA", "XA", "XNA")}

CATALOG: tuple[ModelInfo, ...] = (
    ModelInfo(id="t2v", **_V2V, name="Wan2.1 Text2video 14B", family="wan", family_label="Wan2.1",
              category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO, T.VIDEO_TO_VIDEO, T.CONTROL), fps=16, frames_minimum=5,
              frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK), vram_gb=12),
    ModelInfo(id="t2v_1.3B", name="Wan2.1 Text2video 1.3B", family="wan", family_label="Wan2.1",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO,), fps=16, frames_minimum=5, frames_step=4, frames_maximum=97,
              vram_gb=6),
    ModelInfo(id="t2v_2_2", **_V2V, name="Wan2.2 Text2video 14B", family="wan2_2", family_label="Wan2.2",
              category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO, T.VIDEO_TO_VIDEO, T.CONTROL), fps=16, frames_minimum=5,
              frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK), default_guidance_scale=4.0,
              default_flow_shift=12.0, vram_gb=12),
    ModelInfo(id="t2v_fusionix", **_V2V, name="Wan2.1 Text2video FusioniX 14B", family="wan", family_label="Wan2.1",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO, T.VIDEO_TO_VIDEO, T.CONTROL), fps=16, frames_minimum=5,
              frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK), default_steps=8, default_guidance_scale=1.0,
              vram_gb=12),
    ModelInfo(id="i2v", name="Wan2.1 Image2video 480p 14B", family="wan", family_label="Wan2.1",
              category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO), fps=16,
              frames_minimum=5, frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE), required_inputs=(M.IMAGE_START,),
              default_flow_shift=7.0, vram_gb=12),
    ModelInfo(id="i2v_2_2", **_V2V, name="Wan2.2 Image2video 14B", family="wan2_2", family_label="Wan2.2",
              category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO, T.CONTROL),
              fps=16, frames_minimum=5, frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK),
              required_inputs=(M.IMAGE_START,), default_guidance_scale=3.5, vram_gb=12),
    ModelInfo(id="i2v_2_2_Enhanced_Lightning_v2", **_V2V, name="Wan2.2 Image2video Enhanced Lightning v2 14B",
              family="wan2_2", family_label="Wan2.2",
              category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO, T.CONTROL),
              fps=16, frames_minimum=5, frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK),
              required_inputs=(M.IMAGE_START,), default_steps=4, default_guidance_scale=1.0, vram_gb=12),
    ModelInfo(id="flf2v_720p", name="First Last Frame to Video 720p (FLF2V) 14B", family="wan", family_label="Wan2.1",
              category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO), fps=16,
              frames_minimum=5, frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE), required_inputs=(M.IMAGE_START,),
              default_resolution="1280x720", vram_gb=12),
    ModelInfo(id="ti2v_2_2", name="Wan2.2 TextImage2video 5B", family="wan2_2", family_label="Wan2.2",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO, T.VIDEO_TO_VIDEO), fps=24, frames_minimum=5,
              frames_step=4, frames_maximum=121, sliding_window=True, media_inputs=(M.IMAGE_START, M.VIDEO_SOURCE),
              default_resolution="1280x720", default_frames=121, default_steps=50, vram_gb=8),
    ModelInfo(id="vace_14B", **_VACE, name="Vace 14B", family="wan", family_label="Wan2.1",
              category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO, T.VIDEO_TO_VIDEO, T.CONTROL), fps=16,
              frames_minimum=17, frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.IMAGE_REFS, M.VIDEO_MASK), vram_gb=12),
    ModelInfo(id="vace_1.3B", **_VACE, name="Vace 1.3B", family="wan", family_label="Wan2.1",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO, T.VIDEO_TO_VIDEO, T.CONTROL), fps=16, frames_minimum=17,
              frames_step=4, frames_maximum=97, sliding_window=True,
              media_inputs=(M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.IMAGE_REFS, M.VIDEO_MASK), vram_gb=6),
    ModelInfo(id="hunyuan", name="Hunyuan Video Text2video 720p 13B", family="hunyuan", family_label="Hunyuan Video",
              category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO,), fps=24, frames_minimum=5, frames_step=4,
              frames_maximum=97, default_guidance_scale=7.0, vram_gb=12),
    ModelInfo(id="hunyuan_i2v", name="Hunyuan Video Image2video 720p 13B", family="hunyuan",
              family_label="Hunyuan Video", category=C.IMAGE_TO_VIDEO, tasks=(T.IMAGE_TO_VIDEO, T.VIDEO_TO_VIDEO),
              fps=24, frames_minimum=5, frames_step=4, frames_maximum=97,
              media_inputs=(M.IMAGE_START, M.VIDEO_SOURCE), required_inputs=(M.IMAGE_START,),
              default_guidance_scale=7.0, vram_gb=12),
    ModelInfo(id="ltxv_distilled", **_LTXV, name="LTX Video 0.9.8 Distilled 13B", family="ltxv", family_label="LTX Video",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO, T.CONTROL),
              fps=30, frames_minimum=17, frames_step=8, frames_maximum=97, sliding_window=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.VIDEO_MASK), default_steps=6,
              vram_gb=8),
    ModelInfo(id="ltx2_distilled", **_LTX2, name="LTX-2 2.0 Distilled 19B", family="ltx2", family_label="LTX-2",
              category=C.FAST, tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO, T.CONTROL),
              fps=24, frames_minimum=17, frames_step=8, frames_maximum=481, sliding_window=True, audio_output=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.IMAGE_REFS, M.VIDEO_MASK, M.AUDIO_GUIDE),
              default_frames=241, default_steps=8, vram_gb=10),
    ModelInfo(id="ltx2_19B", **_LTX2, name="LTX-2 2.0 Dev 19B", family="ltx2", family_label="LTX-2",
              category=C.HIGH_QUALITY, tasks=(T.TEXT_TO_VIDEO, T.IMAGE_TO_VIDEO, T.FIRST_LAST_FRAME, T.VIDEO_TO_VIDEO, T.CONTROL),
              fps=24, frames_minimum=17, frames_step=8, frames_maximum=481, sliding_window=True, audio_output=True,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE, M.VIDEO_GUIDE, M.IMAGE_REFS, M.VIDEO_MASK, M.AUDIO_GUIDE),
              default_frames=241, default_steps=40, default_guidance_scale=3.0, vram_gb=12),
    ModelInfo(id="k5_lite_t2v", name="Kandinsky 5 Lite T2V SFT 5s 2B", family="kandinsky5",
              family_label="Kandinsky 5", category=C.FAST, tasks=(T.TEXT_TO_VIDEO,), fps=24, frames_minimum=5,
              frames_step=4, frames_maximum=97, default_flow_shift=10.0),
    ModelInfo(id="flux", name="Flux 1 Dev 12B", family="flux", family_label="Flux 1",
              category=C.IMAGE, tasks=(T.TEXT_TO_IMAGE, T.IMAGE_TO_IMAGE), output=O.IMAGE, fps=1,
              media_inputs=(M.IMAGE_MASK,), default_resolution="1280x720", default_frames=1, vram_gb=8),
    ModelInfo(id="z_image", name="Z-Image Turbo 6B", family="z_image", family_label="Z-Image",
              category=C.IMAGE, tasks=(T.TEXT_TO_IMAGE,), output=O.IMAGE, fps=1, default_resolution="1024x1024",
              default_frames=1, default_steps=8, default_guidance_scale=0.0),
    ModelInfo(id="flux_dev_kontext", name="Flux 1 Dev Kontext 12B", family="flux", family_label="Flux 1",
              category=C.IMAGE, tasks=(T.IMAGE_TO_IMAGE,), output=O.IMAGE, fps=1,
              media_inputs=(M.IMAGE_REFS, M.IMAGE_MASK), required_inputs=(M.IMAGE_REFS,),
              default_resolution="1280x720", default_frames=1),
    ModelInfo(id="chrono_edit", name="Wan2.1 Chrono Edit 14B", family="wan", family_label="Wan2.1",
              category=C.IMAGE, tasks=(T.IMAGE_TO_IMAGE,), output=O.IMAGE, fps=1,
              media_inputs=(M.IMAGE_START, M.IMAGE_END, M.VIDEO_SOURCE), required_inputs=(M.IMAGE_START,),
              default_frames=1, default_flow_shift=7.0),
    ModelInfo(id="ace_step_v1_5", name="Music ACE-Step v1.5 Turbo 2B", family="music", family_label="Music",
              category=C.AUDIO, tasks=(T.TEXT_TO_AUDIO,), output=O.AUDIO, fps=0, media_inputs=(M.AUDIO_GUIDE,),
              default_frames=1, default_seconds=120.0, default_steps=8, default_guidance_scale=1.0),
    ModelInfo(id="qwen3_tts_customvoice", name="TTS Qwen3 Custom Voice (12Hz) 1.7B", family="tts", family_label="TTS",
              category=C.AUDIO, tasks=(T.TEXT_TO_AUDIO,), output=O.AUDIO, fps=0, default_frames=1,
              default_seconds=30.0),
)

MODELS_BY_ID: dict[str, ModelInfo] = {m.id: m for m in CATALOG}
