"""Runs in every Python: Blender's, a terminal's and the Director server's (Wan2GP's).

Settings and their rules, model info, wire messages, enums, the one error tree. Needs only
pydantic and the standard library.
"""
