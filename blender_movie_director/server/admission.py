"""Per-client admission to gradio's queue: a token bucket for each client, before gradio keeps anything.

Every queued call (POST …/queue/join) is held by gradio, with its whole payload, until it is
answered, so a burst of junk calls from one client raised the server's memory peak by ~80 MB and
sat in front of everyone else's calls. Admission happens here, as ASGI middleware ahead of gradio's
routes: a client (its X-BMD-Client header; callers without one share the bucket of their address)
gets BURST calls at once and RATE a second after that; beyond it the call is refused with HTTP 429
and a typed error, without reading its body. The buckets are bounded (MAX_CLIENTS, the least
recently seen forgotten first); a caller inventing a new id for each call escapes its own bucket
but not the shared one that all calls draw from (GLOBAL_BURST, GLOBAL_RATE).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from ..common import protocol
from ..common.errors import InvalidRequestError
from .asgi_refusal import Receive, Scope, Send, send_refusal

BURST, RATE = 120, 20.0  # calls per client: at once, then a second
GLOBAL_BURST, GLOBAL_RATE = 600, 200.0  # all clients together
MAX_CLIENTS = 1000
GUARDED_SUFFIX = "/queue/join"

class Bucket:
    def __init__(self, burst: float, rate: float, now: float) -> None:
        self.burst, self.rate, self.tokens, self.at = burst, rate, burst, now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


class Admission:
    """Which calls may join the queue now (thread-safe; the clock is a parameter for tests)."""

    def __init__(self, burst: float = BURST, rate: float = RATE, global_burst: float = GLOBAL_BURST,
                 global_rate: float = GLOBAL_RATE, clock: Callable[[], float] = time.monotonic) -> None:
        self.burst, self.rate, self._clock = burst, rate, clock
        self._lock = threading.Lock()
        self._clients: OrderedDict[str, Bucket] = OrderedDict()
        self._all = Bucket(global_burst, global_rate, clock())
        self.refused = 0

    def admit(self, client: str) -> bool:
        with self._lock:
            now = self._clock()
            bucket = self._clients.pop(client, None) or Bucket(self.burst, self.rate, now)
            self._clients[client] = bucket  # most recently seen last
            while len(self._clients) > MAX_CLIENTS:
                self._clients.popitem(last=False)
            admitted = bucket.take(now) and self._all.take(now)
            self.refused += not admitted
            return admitted


class AdmissionMiddleware:
    """ASGI middleware: refuses a queue join over its client's bucket with HTTP 429 and a typed error."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], admission: Admission) -> None:
        self.app, self.admission = app, admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") == "http" and scope.get("method") == "POST" \
                and str(scope.get("path", "")).rstrip("/").endswith(GUARDED_SUFFIX) \
                and not self.admission.admit(_client_key(scope)):
            await send_refusal(send, 429, InvalidRequestError(
                "client_id", f"too many calls from this client (at most {self.admission.burst:g} at once, "
                             f"then {self.admission.rate:g} a second)",
                hint="wait a moment, then send again; a Director client never sends this many"),
                headers=((b"retry-after", b"1"),))
            return
        await self.app(scope, receive, send)


def _client_key(scope: Scope) -> str:
    wanted = protocol.CLIENT_ID_HEADER.lower().encode()
    for name, value in scope.get("headers", []):
        if name == wanted:
            return "id:" + value[:64].decode("latin-1")
    client = scope.get("client") or ("?", 0)
    return f"address:{client[0]}"
