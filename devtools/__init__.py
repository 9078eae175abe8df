"""Helpers for the demo and the tests (not part of the add-on)."""
