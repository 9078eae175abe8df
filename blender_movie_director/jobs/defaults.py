"""Defaults the add-on's preferences show before the job manager is imported (it is imported on first
use: enabling the add-on must not load pydantic or the client)."""

DEFAULT_SERVER_WAIT = 600.0  # how long unsent jobs wait for an unreachable server (a real Wan2GP start)
