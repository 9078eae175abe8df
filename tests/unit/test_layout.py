"""The layout's rules, enforced: the path of a file says which Python runs it, imports go one way.

    common/    every Python (pydantic, stdlib)          client/    Blender's Python and terminals
    jobs/      Blender's Python, without bpy            launcher/  the Python that starts a server
    server/    Wan2GP's Python (gradio, numpy, torch)   ui/        Blender (bpy)
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "blender_movie_director"
NAME = PACKAGE.name

# which rooms each room may import from (its own included)
ALLOWED = {
    "common": {"common"},
    "client": {"common", "client"},
    "jobs": {"common", "client", "jobs"},
    "launcher": {"common", "client", "launcher"},
    "server": {"common", "server"},
    "ui": {"common", "client", "jobs", "launcher", "ui"},
    "": {"", "common", "client", "ui"},  # __init__ (version; register → ui) and __main__ (the terminal CLI)
}
# third-party packages that pin a module to one room
ONLY_IN = {"bpy": "ui", "addon_utils": "ui", "gradio": "server", "numpy": "server", "PIL": "server",
           "torch": "server", "imageio_ffmpeg": "server"}


def modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(package modules, top-level third-party names) a module imports, anywhere in it."""
    is_package = path.name == "__init__.py"
    here = name.split(".") if name else []
    base = here if is_package else here[:-1]
    ours, theirs = set(), set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                (ours.add(alias.name[len(NAME) + 1:]) if alias.name.startswith(NAME + ".")
                 else theirs.add(alias.name.split(".")[0]))
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if (node.module or "").startswith(NAME):
                    ours.add((node.module or "")[len(NAME) + 1:])
                else:
                    theirs.add((node.module or "").split(".")[0])
                continue
            target = base[: len(base) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            for alias in node.names:
                full = ".".join([*target, alias.name])
                ours.add(full if full in MODULES else ".".join(target))
    return ours, theirs


MODULES = modules()
GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def room(module: str) -> str:
    first = module.split(".")[0] if module else ""
    return first if first in ALLOWED and first else ""


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_only_to_allowed_rooms(module: str) -> None:
    ours, theirs = GRAPH[module]
    wrong = sorted(m for m in ours if room(m) not in ALLOWED[room(module)])
    assert wrong == [], f"{module} ({room(module) or 'top'}) imports {wrong}"
    pinned = sorted(f"{name} (belongs in {place}/)" for name, place in ONLY_IN.items()
                    if name in theirs and room(module) != place)
    assert pinned == [], f"{module} imports {pinned}"


def test_no_import_cycles() -> None:
    """Depth-first search over every import (lazy and TYPE_CHECKING ones too)."""
    edges = {m: {t for t in GRAPH[m][0] if t in MODULES and t != m} for m in MODULES}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    # a package's __init__ importing its own submodules is not a cycle of code
    cycles = [c for c in cycles if not any(a and b.startswith(a + ".") for a, b in itertools.pairwise(c))]
    assert cycles == []


def test_every_room_says_which_python_runs_it() -> None:
    for name in ALLOWED:
        if name:
            doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text())) or ""
            assert "Python" in doc, f"{name}/__init__.py should say which Python runs it"


def test_client_side_imports_with_only_gradio_client_and_pydantic() -> None:
    """Blender's Python has neither gradio nor numpy nor PIL: block them and import every module of
    the client-side rooms."""
    blocked = sorted(ONLY_IN)
    client_side = sorted(m for m in MODULES if room(m) in ("common", "client", "jobs", "launcher"))
    script = textwrap.dedent(f"""
        import importlib, importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {blocked!r}:
                    raise ImportError("blocked: " + name)
        sys.meta_path.insert(0, Block())
        for name in {client_side!r}:
            importlib.import_module("{NAME}." + name if name else "{NAME}")
        from {NAME}.client.wan2gp_client import Wan2GPClient
        Wan2GPClient("http://127.0.0.1:9")
        print("imported", len({client_side!r}))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == f"imported {len(client_side)}"


def test_one_version_number() -> None:
    import tomllib

    from blender_movie_director import __version__

    manifest = tomllib.loads((REPO / "blender_manifest.toml").read_text())
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert manifest["version"] == __version__
    assert "version" in project.get("dynamic", []) and "version" not in project
