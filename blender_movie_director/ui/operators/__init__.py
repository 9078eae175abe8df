"""Operators, one concern per module."""

from . import from_strips, generate, generate_from_text_strips, image_to_video, manage_jobs, regenerate, server, shots

MODULES = (generate, generate_from_text_strips, image_to_video, from_strips, regenerate, manage_jobs, server, shots)
classes = tuple(cls for module in MODULES for cls in module.classes)
