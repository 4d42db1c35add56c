"""Install the built skill where a coding agent looks for skills, and remove it again.

Each install writes a marker (``.skill-eval.json``) holding the content hash, so uninstall only
removes a folder this tool put there and nobody has edited since. Copies go to a temporary
sibling directory first and are renamed into place, so a failure never leaves half a skill.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from harness.errors import HarnessError
from harness.skillpack.build import (
    FILE_MODE,
    folder_files,
    make_staging_dir,
    replace_dir,
    skill_content_hash,
)
from harness.skillpack.pack import MARKER_NAME

Scope = Literal["project", "user"]
SCOPES: tuple[Scope, ...] = ("project", "user")

# agent -> (skills directory under the project, skills directory under $HOME)
AGENT_DIRS = MappingProxyType(
    {
        "claude-code": (".claude/skills", ".claude/skills"),
        "codex": (".agents/skills", ".agents/skills"),
        "cursor": (".cursor/skills", ".cursor/skills"),
        "gemini": (".gemini/skills", ".gemini/skills"),
        "opencode": (".opencode/skills", ".config/opencode/skills"),
        "goose": (".agents/skills", ".agents/skills"),
        "agents": (".agents/skills", ".agents/skills"),
    }
)
AGENTS = tuple(AGENT_DIRS)

InstallAction = Literal["installed", "updated", "replaced", "unchanged"]
UninstallAction = Literal["removed", "absent"]


@dataclass(frozen=True)
class InstallResult:
    path: Path
    action: InstallAction
    content_hash: str


@dataclass(frozen=True)
class UninstallResult:
    path: Path
    action: UninstallAction


def home_dir() -> Path:
    """$HOME, read from the environment each time (tests point it at a temporary directory)."""
    home = os.environ.get("HOME")
    if not home:
        raise HarnessError("HOME is not set; cannot find the user-scope skills directory")
    return Path(home)


def skills_dir(agent: str, scope: str, project_dir: Path | None = None) -> Path:
    """The directory that holds ``agent``'s skills for ``scope``."""
    if agent not in AGENT_DIRS:
        raise HarnessError(f"--agent {agent!r}: choose one of {', '.join(AGENTS)}")
    project_rel, user_rel = AGENT_DIRS[agent]
    if scope == "project":
        return (project_dir or Path.cwd()).resolve() / project_rel
    if scope == "user":
        return home_dir() / user_rel
    raise HarnessError(f"--scope {scope!r}: choose project or user")


def read_marker(folder: Path) -> dict[str, str] | None:
    """The install marker in ``folder``, or None when it is absent or unreadable."""
    try:
        data = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("content_hash"), str):
        return None
    return {str(k): str(v) for k, v in data.items()}


def _marker_text(name: str, content_hash: str, source: Path) -> str:
    marker = {
        "installed_by": "skill-eval",
        "name": name,
        "content_hash": content_hash,
        "source": str(source),
    }
    return json.dumps(marker, indent=2, sort_keys=True) + "\n"


def _write_marker(folder: Path, name: str, content_hash: str, source: Path) -> None:
    handle, temporary = tempfile.mkstemp(prefix=f".{MARKER_NAME}.", dir=folder)
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(_marker_text(name, content_hash, source))
    Path(temporary).chmod(FILE_MODE)
    os.replace(temporary, folder / MARKER_NAME)


def install_skill(source: Path, destination_parent: Path, *, force: bool = False) -> InstallResult:
    """Copy the built skill folder ``source`` into ``destination_parent``.

    Identical content is a no-op. Our own earlier install (marker present, content unedited) is
    updated in place. Anything else at the destination is only replaced with ``force``.
    """
    if not source.is_dir():
        raise HarnessError(f"{source}: built skill folder not found; run `skill-eval skill build`")
    name = source.name
    target = destination_parent / name
    new_hash = skill_content_hash(source)
    action: InstallAction = "installed"
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        if not force:
            raise HarnessError(
                f"{target} exists and is not a skill folder; pass --force to replace it"
            )
        action = "replaced"
    elif target.is_dir():
        current = skill_content_hash(target)
        marker = read_marker(target)
        if current == new_hash:
            if marker is None or marker.get("content_hash") != new_hash:
                _write_marker(target, name, new_hash, source)
            return InstallResult(target, "unchanged", new_hash)
        ours = marker is not None and marker.get("content_hash") == current
        if not ours and not force:
            why = (
                "not installed by skill-eval" if marker is None else "edited since it was installed"
            )
            raise HarnessError(
                f"{target} already holds a different skill ({why}); pass --force to replace it"
            )
        action = "updated" if ours else "replaced"
    destination_parent.mkdir(parents=True, exist_ok=True)
    staging = make_staging_dir(destination_parent, name)
    try:
        for relative, path in folder_files(source).items():
            copy = staging / relative
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)
        _write_marker(staging, name, new_hash, source)
        replace_dir(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return InstallResult(target, action, new_hash)


def uninstall_skill(target: Path, *, force: bool = False) -> UninstallResult:
    """Remove the installed skill folder ``target`` if this tool installed it (or ``force``)."""
    if not target.exists() and not target.is_symlink():
        return UninstallResult(target, "absent")
    if target.is_symlink() or not target.is_dir():
        if not force:
            raise HarnessError(f"refusing to remove {target}: not a skill folder; pass --force")
        target.unlink()
        return UninstallResult(target, "removed")
    if not force:
        marker = read_marker(target)
        if marker is None:
            raise HarnessError(
                f"refusing to remove {target}: not installed by skill-eval (no {MARKER_NAME}); "
                "pass --force"
            )
        if marker.get("content_hash") != skill_content_hash(target):
            raise HarnessError(
                f"refusing to remove {target}: its files changed since install; pass --force"
            )
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.del-", dir=target.parent))
    aside.rmdir()
    target.rename(aside)
    shutil.rmtree(aside)
    return UninstallResult(target, "removed")
