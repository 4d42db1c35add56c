"""Build the skill: ``dist/python-backend-architecture/`` and a deterministic zip of it.

The zip's root folder is ``python-backend-architecture/`` (the Claude API custom-skill upload
format). Entries are sorted and carry a fixed timestamp and mode, so the same sources always give
the same bytes. :func:`skill_content_hash` identifies a skill folder's content; the run store
records it, and install uses it to tell our skill from someone else's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.errors import HarnessError
from harness.skillpack.lint import Finding, LintOptions, lint
from harness.skillpack.pack import MARKER_NAME, SKILL_NAME, PackLayout

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
DIR_MODE = 0o755
FILE_MODE = 0o644


class LintFailedError(HarnessError):
    """The build was refused because the pack has lint findings."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        self.findings = list(findings)
        super().__init__(
            f"skill lint found {len(self.findings)} problem(s); "
            "fix them (skill-eval skill lint) or build with --no-lint"
        )


@dataclass(frozen=True)
class BuildResult:
    folder: Path
    zip_path: Path
    content_hash: str
    zip_sha256: str


def _digest(entries: Iterable[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for relative, data in sorted(entries):
        encoded = relative.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def folder_files(folder: Path) -> dict[str, Path]:
    """Regular files under ``folder`` by relative POSIX path, without the install marker."""
    files: dict[str, Path] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not path.is_symlink() and relative != MARKER_NAME:
            files[relative] = path
    return files


def skill_content_hash(folder: Path) -> str:
    """sha256 over the sorted relative paths and bytes of the skill folder's files.

    The install marker (``.skill-eval.json``) is left out, so an installed copy hashes the same
    as the build it came from.
    """
    if not folder.is_dir():
        raise HarnessError(f"{folder}: not a skill folder")
    return _digest((rel, path.read_bytes()) for rel, path in folder_files(folder).items())


def source_content_hash(root: Path) -> str:
    """The content hash a build of the pack at ``root`` would have."""
    files = PackLayout.from_root(root).files()
    return _digest((rel, path.read_bytes()) for rel, path in files.items())


def default_out_dir(root: Path) -> Path:
    return root / "dist"


def is_stale(root: Path, out_dir: Path | None = None) -> bool:
    """True when the built folder is missing or differs from the sources."""
    folder = (out_dir or default_out_dir(root)) / SKILL_NAME
    if not folder.is_dir() or not (folder.parent / f"{SKILL_NAME}.zip").is_file():
        return True
    return skill_content_hash(folder) != source_content_hash(root)


def build_skill(
    root: Path,
    out_dir: Path | None = None,
    *,
    run_lint: bool = True,
    lint_options: LintOptions | None = None,
) -> BuildResult:
    """Lint (unless told not to), then write the skill folder and its zip under ``out_dir``."""
    layout = PackLayout.from_root(root)
    if run_lint:
        findings = lint(layout.root, lint_options)
        if findings:
            raise LintFailedError(findings)
    out = (out_dir or default_out_dir(layout.root)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    folder = out / SKILL_NAME
    staging = make_staging_dir(out, SKILL_NAME)
    try:
        for relative, source in layout.files().items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        replace_dir(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    zip_path = out / f"{SKILL_NAME}.zip"
    write_zip(folder, zip_path)
    return BuildResult(
        folder=folder,
        zip_path=zip_path,
        content_hash=skill_content_hash(folder),
        zip_sha256=hashlib.sha256(zip_path.read_bytes()).hexdigest(),
    )


def make_staging_dir(parent: Path, name: str) -> Path:
    """A private temporary sibling for building ``parent/name``, with ordinary permissions."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=parent))
    staging.chmod(DIR_MODE)
    return staging


def replace_dir(new: Path, target: Path) -> None:
    """Put directory ``new`` at ``target`` (same parent), replacing what was there.

    The old directory is renamed aside first and deleted last, so ``target`` is never half
    written: it is the old tree or the new one.
    """
    aside: Path | None = None
    if target.exists() or target.is_symlink():
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        aside.rmdir()
        target.rename(aside)
    try:
        new.rename(target)
    except OSError:
        if aside is not None:
            aside.rename(target)
        raise
    if aside is not None:
        if aside.is_dir() and not aside.is_symlink():
            shutil.rmtree(aside, ignore_errors=True)
        else:
            aside.unlink(missing_ok=True)


def write_zip(folder: Path, zip_path: Path) -> None:
    """A deterministic zip of ``folder`` whose entries all start with ``folder.name + '/'``."""
    files = folder_files(folder)
    directories = {folder.name}
    for relative in files:
        parts = relative.split("/")[:-1]
        directories.update("/".join([folder.name, *parts[: i + 1]]) for i in range(len(parts)))
    handle, temporary = tempfile.mkstemp(prefix=f".{zip_path.name}.", dir=zip_path.parent)
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w") as archive:
            for directory in sorted(directories):
                info = zipfile.ZipInfo(f"{directory}/", date_time=ZIP_DATE)
                info.create_system = 3
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            for relative, path in files.items():
                info = zipfile.ZipInfo(f"{folder.name}/{relative}", date_time=ZIP_DATE)
                info.create_system = 3
                info.external_attr = 0o100644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes(), compresslevel=9)
        Path(temporary).chmod(FILE_MODE)
        os.replace(temporary, zip_path)
    finally:
        Path(temporary).unlink(missing_ok=True)
