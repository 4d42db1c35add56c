"""File-tree helpers shared by every stage: copy, overlay, hash and compare trees."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

# Never part of a repository's content: caches, virtual environments and VCS metadata.
IGNORED_DIRS = frozenset(
    {
        ".git",
        "__pycache__",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".venv",
        "venv",
        "node_modules",
        ".import_linter_cache",
        "ordersvc.egg-info",
    }
)
IGNORED_SUFFIXES = (".pyc", ".pyo")


def iter_files(root: Path) -> Iterator[Path]:
    """Relative paths of the regular files under ``root`` (sorted, ignoring caches)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        base = Path(dirpath)
        for name in sorted(filenames):
            if name.endswith(IGNORED_SUFFIXES):
                continue
            path = base / name
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root)


def copy_tree(src: Path, dest: Path) -> None:
    """Copy the content files of ``src`` into ``dest`` (created), skipping caches and links."""
    dest.mkdir(parents=True, exist_ok=True)
    for rel in iter_files(src):
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src / rel, target)


def remove_path(path: Path) -> None:
    """Remove whatever is at ``path`` (file, link, fifo or folder), if anything; never follow
    a link."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink() or path.exists():
        path.unlink()


def apply_overlay(overlay: Path, dest: Path, delete: Iterable[str] = ()) -> None:
    """Remove ``delete`` paths from ``dest``, then copy the overlay's files over it."""
    for rel in delete:
        remove_path(dest / rel)
    if overlay.is_dir():
        copy_tree(overlay, dest)


def hash_trees(*roots: Path, replace: dict[Path, bytes] | None = None) -> str:
    """A sha256 over the relative paths and bytes of every file under the given roots;
    ``replace`` hashes other bytes in place of a file's own (by absolute path)."""
    digest = hashlib.sha256()
    replace = replace or {}
    for index, root in enumerate(roots):
        digest.update(f"root:{index}\0".encode())
        if not root.exists():
            continue
        for rel in iter_files(root):
            digest.update(rel.as_posix().encode() + b"\0")
            data = replace.get(root / rel)
            digest.update(
                hashlib.sha256((root / rel).read_bytes() if data is None else data).digest()
            )
    return digest.hexdigest()


def read_text_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        return None
    except UnicodeDecodeError:
        return path.read_bytes().decode("utf-8", errors="replace")
