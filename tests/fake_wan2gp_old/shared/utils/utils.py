"""Fake old Wan2GP: shared/ exists (utils, attention…), but the API module does not yet."""
