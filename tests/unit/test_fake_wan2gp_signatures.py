"""The fake Wan2GP's public API against a real shared/api.py, parsed (never imported).

Where a real one comes from, first found: $WAN2GP_DIR/shared/api.py, else the Wan2GP git mirror at
$WAN2GP_MIRROR (default /work/.mirror/deepbeepmeep+Wan2GP/repo) extracted with `git archive HEAD`.
Without either the check is skipped, and says so. Compared: every public top-level function, every
public class with its decorators, dataclass fields (names and defaults) and public methods
(parameter names, kinds and defaults). Annotations are not compared.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

FAKE_API = Path(__file__).resolve().parents[1] / "fake_wan2gp" / "shared" / "api.py"
MIRROR = Path(os.environ.get("WAN2GP_MIRROR", "/work/.mirror/deepbeepmeep+Wan2GP/repo"))


def real_api(tmp_path: Path) -> tuple[Path, str]:
    if os.environ.get("WAN2GP_DIR"):
        path = Path(os.environ["WAN2GP_DIR"]).expanduser() / "shared" / "api.py"
        if path.is_file():
            return path, f"$WAN2GP_DIR ({path})"
    if MIRROR.is_dir() and shutil.which("git"):
        archive = tmp_path / "api.tar"
        done = subprocess.run(["git", "-C", str(MIRROR), "archive", "-o", str(archive), "HEAD", "shared/api.py"],
                              capture_output=True, text=True)
        if done.returncode == 0:
            with tarfile.open(archive) as tar:
                tar.extractall(tmp_path, filter="data")
            commit = subprocess.run(["git", "-C", str(MIRROR), "rev-parse", "HEAD"], capture_output=True,
                                    text=True).stdout.strip()
            return tmp_path / "shared" / "api.py", f"mirror {MIRROR} at {commit}"
    pytest.skip("no real Wan2GP shared/api.py on this machine (set WAN2GP_DIR to a Wan2GP checkout to compare)")


def _params(args: ast.arguments) -> list[tuple[str, str, str | None]]:
    positional = [*args.posonlyargs, *args.args]
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    found = [(a.arg, "positional", ast.unparse(d) if d is not None else None) for a, d in zip(positional, defaults, strict=False)]
    if args.vararg:
        found.append((args.vararg.arg, "*args", None))
    found += [(a.arg, "keyword", ast.unparse(d) if d is not None else None)
              for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=False)]
    if args.kwarg:
        found.append((args.kwarg.arg, "**kwargs", None))
    return found


def public_surface(path: Path) -> dict[str, object]:
    surface: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
            surface[f"def {node.name}"] = _params(node.args)
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            surface[f"class {node.name}"] = [ast.unparse(d) for d in node.decorator_list]
            for item in node.body:
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    default = ast.unparse(item.value) if item.value is not None else None
                    surface[f"{node.name}.{item.target.id} (field)"] = default
                elif isinstance(item, ast.FunctionDef) and (not item.name.startswith("_") or item.name == "__init__"):
                    surface[f"{node.name}.{item.name}"] = ([ast.unparse(d) for d in item.decorator_list],
                                                           _params(item.args))
    return surface


def test_fake_has_the_real_public_api(tmp_path: Path) -> None:
    path, source = real_api(tmp_path)
    real, fake = public_surface(path), public_surface(FAKE_API)
    missing = sorted(set(real) - set(fake))
    different = {name: {"real": real[name], "fake": fake[name]} for name in real if name in fake
                 and real[name] != fake[name]}
    extra = sorted(set(fake) - set(real))
    assert not missing and not different and not extra, (
        f"fake_wan2gp/shared/api.py differs from {source}:\nmissing {missing}\ndifferent {different}\nextra {extra}")
    assert len(real) > 80, f"suspiciously small public API in {source}: {len(real)} names"
