"""The shared `journal.json` of versions before one journal per .blend (journal VERSION 1): one file in
the clips folder (`//movie_director/journal.json`) for every .blend that wrote there. The first .blend
opened from that folder takes it over, once, so no job of it is lost:

- a clip it had placed (in whichever .blend) is marked placed and saved: never placed again;
- a finished clip not yet placed, and every unfinished job, become this .blend's (asked about on the
  server on loading, like any unfinished job of a crash);
- the old file is renamed `journal.migrated-to-<name>.json`, so no other .blend takes the same jobs.

No bpy here.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..common.errors import JournalCorrupt
from . import journal

LEGACY_NAME = "journal.json"


def migrate(into: Path) -> int:
    """Take over the legacy journal in the folder of `into` (a .blend's journal). Returns the number of
    jobs taken (0: none there, or it could not be read: then it is moved aside as corrupt)."""
    into = Path(into)
    legacy = into.parent / LEGACY_NAME
    if not legacy.is_file():
        return 0
    try:
        old = journal.read(legacy)
        present = journal.read(into)
    except JournalCorrupt:
        return 0
    known = {r.id for r in present.records}
    taken = [r.model_copy(update={"project": into, "placement_saved": r.placed})
             for r in old.records if r.id not in known]
    journal.write(into, [*present.records, *taken], [*present.unreadable, *old.unreadable])
    os.replace(legacy, legacy.with_name(f"journal.migrated-to-{into.name.removesuffix(journal.SUFFIX)}.json"))
    return len(taken)
