"""The one version number of the add-on, the client and the server (blender_manifest.toml and
pyproject.toml are checked against it by tests/unit/test_layout.py)."""

__version__ = "0.1.0"
