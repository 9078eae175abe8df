"""Runs in Blender's Python, without bpy: the add-on's job manager (one worker thread), the job
records it hands the UI, and the per-project journal. Testable in any Python with the client's
dependencies."""
