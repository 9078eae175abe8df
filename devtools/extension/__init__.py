"""Building the installable Blender extension: lock the wheels, fetch them, stage, build, validate.

scripts/build_extension.py is the command line; the tests in tests/packaging use the same functions.
"""
