"""Load and validate tasks; every error names the file and the field at fault."""

from __future__ import annotations

import difflib
from pathlib import Path

import yaml
from pydantic import ValidationError

from harness.errors import HarnessError
from harness.paths import suite_dir
from harness.task.model import Task, TaskSpec
from harness.workspace.tree import hash_trees


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "(top level)"
    if err["type"] == "missing":
        return f"missing field '{field}'"
    if err["type"] == "extra_forbidden":
        return f"unknown field '{field}'"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"field '{field}': {err['msg']}{more}"


def parse_spec(task_yaml: Path) -> TaskSpec:
    where = _display(task_yaml)
    try:
        raw = yaml.safe_load(task_yaml.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"{where}: file not found") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise HarnessError(f"{where}:{line} invalid YAML") from None
    if not isinstance(raw, dict):
        raise HarnessError(f"{where}: expected a mapping of fields at the top level")
    try:
        return TaskSpec.model_validate(raw)
    except ValidationError as exc:
        raise HarnessError(f"{where}: {_first_error(exc)}") from None


def _check_layout(spec: TaskSpec, folder: Path) -> None:
    where = _display(folder / "task.yaml")
    if spec.id != folder.name:
        raise HarnessError(f"{where}: field 'id' is {spec.id!r} but the folder is {folder.name!r}")
    for part, delete in (("setup", spec.setup_delete), ("solution", spec.solution_delete)):
        overlay, patch = folder / part, folder / f"{part}.patch"
        if overlay.is_dir() and patch.is_file():
            raise HarnessError(f"{_display(folder)}: both '{part}/' and '{part}.patch'; keep one")
        if patch.is_file() and delete:
            raise HarnessError(
                f"{where}: field '{part}_delete' is set but {part}.patch carries its own deletions"
            )
    if not (folder / "solution").is_dir() and not (folder / "solution.patch").is_file():
        raise HarnessError(
            f"{_display(folder)}: missing the reference solution ('solution.patch' or 'solution/')"
        )
    hidden = folder / "hidden"
    if spec.mutation is None and not any(hidden.glob("test_*.py")):
        raise HarnessError(f"{_display(hidden)}: no hidden tests (test_*.py)")
    for negative in spec.negatives:
        path = folder / "negatives" / negative.name
        patch = path.with_name(f"{negative.name}.patch")
        if path.is_dir() and patch.is_file():
            raise HarnessError(
                f"{where}: negative {negative.name!r} is both {_display(path)}/ and"
                f" {_display(patch)}; keep one"
            )
        if patch.is_file() and negative.delete:
            raise HarnessError(
                f"{where}: negative {negative.name!r} has field 'delete' but is a patch,"
                " which carries its own deletions"
            )
        if not path.is_dir() and not patch.is_file() and not negative.delete:
            raise HarnessError(
                f"{where}: field 'negatives' names {negative.name!r}"
                f" but neither {_display(patch)} nor {_display(path)}/ exists"
            )
    for probe in spec.quality:
        test_file = folder / "quality" / probe.file
        if not test_file.is_file():
            raise HarnessError(
                f"{where}: quality probe {probe.name!r} names {probe.test!r}"
                f" but {_display(test_file)} is missing"
            )
        if f"def {probe.function}(" not in test_file.read_text(encoding="utf-8"):
            raise HarnessError(
                f"{where}: quality probe {probe.name!r} names {probe.test!r}"
                f" but {_display(test_file)} defines no {probe.function}()"
            )
        known = {n.name for n in spec.negatives} | {
            p.stem for p in (folder / "alternatives").glob("*.patch")
        }
        unknown = [name for name in probe.fails_on if name not in known]
        if unknown:
            raise HarnessError(
                f"{where}: quality probe {probe.name!r} field 'fails_on' names {unknown[0]!r},"
                " which is neither a negative nor an alternatives/ patch"
            )
    if spec.mutation is not None:
        for mutant in spec.mutation.mutants:
            if not (folder / "mutants" / mutant).is_dir():
                raise HarnessError(
                    f"{where}: field 'mutation.mutants' names {mutant!r} "
                    f"but {_display(folder / 'mutants' / mutant)} is missing"
                )


def load_task(ref: str | Path, suite: Path | None = None) -> Task:
    """Load a task by id (looked up in the suite) or by folder path."""
    root = suite or suite_dir()
    candidate = Path(ref)
    folder = candidate if candidate.is_dir() else root / "tasks" / str(ref)
    if not (folder / "task.yaml").is_file():
        names = [p.name for p in _task_folders(root)]
        close = difflib.get_close_matches(str(ref), names, n=1, cutoff=0.6)
        if close:
            raise HarnessError(f"unknown task {str(ref)!r}; did you mean {close[0]!r}?")
        known = ", ".join(names) or "none"
        raise HarnessError(f"unknown task {str(ref)!r} (tasks in {_display(root)}: {known})")
    folder = folder.resolve()
    spec = parse_spec(folder / "task.yaml")
    _check_layout(spec, folder)
    fixture = root / spec.fixture
    if not fixture.is_dir():
        raise HarnessError(
            f"{_display(folder / 'task.yaml')}: field 'fixture' names {spec.fixture!r}"
            f" but {_display(fixture)} is missing"
        )
    # What blind solvers measured is about the task, not part of it: recording it must not
    # change the task's identity (trial keys, the validation ledger).
    spec_bytes = spec.model_dump_json(exclude={"measured"}).encode()
    content_hash = hash_trees(fixture, folder, replace={folder / "task.yaml": spec_bytes})
    return Task(spec=spec, folder=folder, fixture=fixture, content_hash=content_hash)


def _task_folders(root: Path) -> list[Path]:
    tasks = root / "tasks"
    if not tasks.is_dir():
        return []
    return sorted(p for p in tasks.iterdir() if (p / "task.yaml").is_file())


def load_suite(ids: list[str] | None = None, suite: Path | None = None) -> list[Task]:
    """Every task of the suite (or the named ones), validated."""
    root = suite or suite_dir()
    if ids:
        return [load_task(i, root) for i in ids]
    return [load_task(p, root) for p in _task_folders(root)]
