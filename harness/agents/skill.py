"""Stage the skill for a trial: a private copy of SKILL.md + references/, and its metadata."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from harness.agents.base import SkillBundle
from harness.errors import HarnessError
from harness.paths import REPO_ROOT
from harness.skillpack.build import skill_content_hash
from harness.skillpack.pack import SKILL_NAME, PackLayout


def assemble_source(skill_dir: Path | None, dest: Path) -> Path:
    """The skill folder to evaluate: ``--skill-dir`` as given, or the repository's pack."""
    if skill_dir is not None:
        if not (skill_dir / "SKILL.md").is_file():
            raise HarnessError(f"--skill-dir {skill_dir}: no SKILL.md in that folder")
        return skill_dir.resolve()
    folder = dest / SKILL_NAME
    shutil.rmtree(folder, ignore_errors=True)
    for relative, source in PackLayout.from_root(REPO_ROOT).files().items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    return folder


def read_frontmatter(skill_md: Path) -> tuple[dict[str, str], str]:
    text = skill_md.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise HarnessError(f"{skill_md}: no YAML frontmatter")
    head, sep, body = text[4:].partition("\n---\n")
    if not sep:
        raise HarnessError(f"{skill_md}: unterminated YAML frontmatter")
    meta = yaml.safe_load(head)
    if not isinstance(meta, dict) or not {"name", "description"} <= set(meta):
        raise HarnessError(f"{skill_md}: frontmatter needs name and description")
    return {str(k): str(v) for k, v in meta.items()}, body.lstrip("\n")


def stage(source: Path, dest_parent: Path) -> SkillBundle:
    """Copy the skill folder under ``dest_parent`` (per trial, so no trial sees another's)."""
    meta, body = read_frontmatter(source / "SKILL.md")
    folder = dest_parent / meta["name"]
    shutil.copytree(source, folder, dirs_exist_ok=True)
    return SkillBundle(
        name=meta["name"],
        description=meta["description"],
        body=body,
        folder=folder,
        content_hash=skill_content_hash(source),
    )
