"""Runs in the Python that starts a Director server (Blender's, for Start Server, or a terminal's,
for scripts/launch_wan2gp.py): picks the server's Python, starts, watches and stops the process.
Standard library and the client's probe only; the server itself runs in another Python."""
