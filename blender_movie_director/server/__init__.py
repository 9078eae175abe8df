"""Runs in Wan2GP's Python (gradio 5.29, torch) — never in Blender's.

The Director server (app.py), its job registry and its engines (simulated, wangp). It ships inside
the extension's zip because Start Server runs it from the extension's folder, in another Python.
"""
