"""Operators, one concern per module."""

from . import (
    extend,
    first_last_frame,
    from_strips,
    generate,
    generate_from_text_strips,
    image_to_video,
    manage_jobs,
    regenerate,
    server,
    shots,
    variations,
)

MODULES = (generate, generate_from_text_strips, image_to_video, from_strips, regenerate, manage_jobs, server, shots,
           first_last_frame, extend, variations)
classes = tuple(cls for module in MODULES for cls in module.classes)
