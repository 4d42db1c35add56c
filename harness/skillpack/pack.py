"""Where the skill pack's files live, in the repository and in a built skill folder.

The repository keeps ``skill/SKILL.md`` and a top-level ``references/``; the built skill is
``python-backend-architecture/SKILL.md`` + ``python-backend-architecture/references/``. Both are
described by a :class:`PackLayout`, whose :meth:`PackLayout.files` maps each file's path inside the
built skill (``SKILL.md``, ``references/caching.md``) to the file on disk, so links written for the
built layout resolve the same way in the repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError

SKILL_NAME = "python-backend-architecture"
MARKER_NAME = ".skill-eval.json"
SKILL_FILE = "SKILL.md"
REFERENCES = "references"


@dataclass(frozen=True)
class PackLayout:
    root: Path
    skill_md: Path
    references_dir: Path
    folder_name: str

    @classmethod
    def from_root(cls, root: Path) -> PackLayout:
        """The repository layout (``root/skill/SKILL.md``) or a built folder (``root/SKILL.md``)."""
        root = root.resolve()
        if (root / "skill" / SKILL_FILE).is_file():
            return cls(root, root / "skill" / SKILL_FILE, root / REFERENCES, SKILL_NAME)
        if (root / SKILL_FILE).is_file():
            return cls(root, root / SKILL_FILE, root / REFERENCES, root.name)
        raise HarnessError(
            f"{root}: no skill/{SKILL_FILE} or {SKILL_FILE} found (not a skill pack)"
        )

    def files(self) -> dict[str, Path]:
        """Path inside the built skill -> file on disk, sorted by path."""
        mapping = {SKILL_FILE: self.skill_md}
        if self.references_dir.is_dir():
            for path in sorted(self.references_dir.rglob("*")):
                relative = path.relative_to(self.references_dir)
                if path.is_file() and not _ignored(relative):
                    mapping[f"{REFERENCES}/{relative.as_posix()}"] = path
        return dict(sorted(mapping.items()))

    def display(self, path: Path) -> str:
        """``path`` relative to the pack root, for messages."""
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


def _ignored(relative: Path) -> bool:
    return any(part.startswith(".") or part == "__pycache__" for part in relative.parts)


def find_pack_root(start: Path | None = None) -> Path:
    """The repository holding the skill: ``start`` (default: the working directory) or a parent,
    else the checkout this package was installed from."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "skill" / SKILL_FILE).is_file():
            return candidate
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "skill" / SKILL_FILE).is_file():
        return checkout
    raise HarnessError(
        f"no skill/{SKILL_FILE} in {here} or its parents; run from the repository or pass --root"
    )
