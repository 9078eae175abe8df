"""Several Director servers as one: the list of servers (from the preferences) and the choice of the
server a job goes to. Pure logic, no threads, no network, no bpy: the dispatcher (dispatch.py) feeds
it snapshots.

A job goes to the least-busy healthy server that can run its model: its catalog has the model
(downloaded weights preferred), then the fewest jobs of ours in flight there, then the shortest queue
/server_status reports. A server takes a job only when it is free or about to be (its one job of ours
is nearly done), so a slow server never hoards jobs that a free one could start now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .records import ServerInfo

ABOUT_DONE = 0.8  # a server whose one running job of ours is this far along takes the next one now


@dataclass(frozen=True)
class ServerEntry:
    """One server of the list: an ordinary Director server."""

    url: str
    user: str = ""
    enabled: bool = True

    @property
    def key(self) -> str:
        return normalise_url(self.url)


def normalise_url(url: str) -> str:
    return url.strip().rstrip("/")


def server_list(first_url: str, extra: Iterable[ServerEntry | tuple[str, str, bool]] = (),
                first_user: str = "") -> list[ServerEntry]:
    """The servers to use: the single Server URL of the preferences first (the default), then the
    enabled extra entries, each URL once."""
    entries = [ServerEntry(first_url, first_user, True)]
    for item in extra:
        entries.append(item if isinstance(item, ServerEntry) else ServerEntry(*item))
    seen: set[str] = set()
    out: list[ServerEntry] = []
    for entry in entries:
        if not entry.enabled or not entry.key or entry.key in seen:
            continue
        seen.add(entry.key)
        out.append(ServerEntry(entry.key, entry.user.strip(), True))
    return out


@dataclass(frozen=True)
class ServerLoad:
    """A snapshot of one server, as the dispatcher sees it."""

    url: str
    info: ServerInfo
    ours: int = 0  # our jobs in flight there (sent or about to be, not ended)
    ours_progress: float = 0.0  # the least progress among them (0: one has not started)
    healthy: bool = True
    order: int = 0  # its place in the list (ties go to the first)

    def has_model(self, model_type: str) -> bool | None:
        """True/False from its catalog; None while the catalog is unknown."""
        if not self.info.models:
            return None
        return any(m.id == model_type for m in self.info.models)

    def has_weights(self, model_type: str) -> bool:
        return any(m.id == model_type and m.available for m in self.info.models)

    @property
    def others(self) -> int:
        """Jobs there that are not ours (another user's), from its /server_status."""
        status = self.info.status
        if status is None:
            return 0
        return max(0, (status.queue_length or 0) + (1 if status.busy else 0) - self.ours)

    @property
    def free(self) -> bool:
        total = self.ours + self.others
        return total == 0 or (total == 1 and self.ours == 1 and self.ours_progress >= ABOUT_DONE)

    def score(self, model_type: str) -> tuple[int, int, int, int]:
        return (0 if self.has_weights(model_type) else 1, self.ours + self.others, self.ours, self.order)


def able(servers: Sequence[ServerLoad], model_type: str) -> list[ServerLoad]:
    """The healthy servers whose catalog has the model ("": any, e.g. finishing a clip)."""
    return [s for s in servers if s.healthy and s.info.connected and (not model_type or s.has_model(model_type))]


def choose(servers: Sequence[ServerLoad], model_type: str) -> ServerLoad | None:
    """The server to send a job of `model_type` to now, or None (wait: every able server is busy)."""
    free = [s for s in able(servers, model_type) if s.free]
    return min(free, key=lambda s: s.score(model_type)) if free else None


def nobody_has(servers: Sequence[ServerLoad], model_type: str) -> bool:
    """Every server answered with its catalog and none has the model: waiting would not help."""
    return bool(servers) and bool(model_type) and all(s.healthy and s.info.connected and s.has_model(model_type) is False
                                 for s in servers)
