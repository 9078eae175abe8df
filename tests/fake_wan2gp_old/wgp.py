"""Fake of an old Wan2GP (v9.82, December 2025): a web UI and --process, but no shared/api.py.

The Director server must refuse it at start, naming the first version with the Python API.
"""

WanGP_version = "9.82"
target_mmgp_version = "3.6.9"

raise SystemExit("the fake old Wan2GP is only inspected, never run")
