"""Runs in Blender's Python and in any terminal: the typed client of a Director server.

Wan2GPClient (wan2gp_client.py) over gradio_client, the job handle, the transport, the clip
store, the terminal CLI. Needs gradio_client and pydantic, nothing else.
"""
