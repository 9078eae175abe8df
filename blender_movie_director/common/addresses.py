"""Where a Director server is and who may talk to it: the default address, the loopback rule and
the optional login from the environment — one definition for the client, the add-on and the server."""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlparse

from .errors import DirectorError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
AUTH_VARIABLE = "BMD_SERVER_AUTH"  # "user:password", read by the server and the client alike


def is_loopback(host: str) -> bool:
    """True for an address of this computer only (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback(urlparse(url).hostname or "")


def exposure(host: str, has_login: bool, insecure_no_login: bool) -> tuple[bool, str] | None:
    """Whether a server may bind `host`: None for loopback or with a login; otherwise (refused, what to
    say): refused without a login, allowed with --insecure-no-login but always warned about."""
    if is_loopback(host) or has_login:
        return None
    if not insecure_no_login:
        return True, (f"binding {host} (reachable from other computers) needs a login: set {AUTH_VARIABLE}="
                      "user:password, bind 127.0.0.1, or pass --insecure-no-login to let anyone who reaches this "
                      "address use your GPU")
    return False, (f"WARNING: {host} without a login (--insecure-no-login): anyone who can reach this address "
                   "can use your GPU, fill your disk with uploads and download every clip")


def credentials_from_env() -> tuple[str, str] | None:
    """The login in BMD_SERVER_AUTH (None when unset). A value without both parts is an error, not
    silently no login."""
    raw = os.environ.get(AUTH_VARIABLE, "")
    if not raw:
        return None
    user, _, password = raw.partition(":")
    if not user or not password:
        raise DirectorError(f"{AUTH_VARIABLE} must look like user:password", hint=f"fix or unset {AUTH_VARIABLE}")
    return user, password
