"""The task format: ``evals/tasks/<id>/task.yaml`` and the folders beside it.

A task folder holds:

- ``task.yaml``: validated by :class:`TaskSpec` (unknown or missing fields are errors);
- ``setup.patch``: a unified diff onto the fixture that forms the starting repository (or
  ``setup/``, an overlay of whole files);
- ``hidden/``: the hidden tests, copied to ``tests/hidden/`` only at scoring time;
- ``solution.patch``: the reference solution, a diff onto the starting repository (or
  ``solution/``, an overlay);
- ``negatives/<name>.patch``: known-bad solutions, each a unified diff (``git diff`` format,
  ``a/``/``b/`` prefixes) onto the start or the solution, so it shows just what is wrong;
  ``negatives/<name>/``, an overlay of whole files, is accepted too;
- ``mutants/<name>/`` (mutation tasks only): broken implementations the agent's tests must catch;
- ``equivalents/<name>/`` (mutation tasks only): rewrites that keep every behaviour, which the
  agent's tests must still pass (a test of how the code is written fails them);
- ``alternatives/<name>.patch``: known-good solutions that differ from the reference (another
  design, more tests, changed test helpers), each a diff onto the start; ``validate`` requires
  every one to be resolved, so the scorer cannot drift into rejecting honest work;
- ``quality/quality_*.py``: the quality probes' tests (``quality:`` in task.yaml names each one),
  installed beside the hidden tests at scoring time and run apart from them: they measure how
  good a solution is, never whether it is resolved.

``fixture:`` names the starting service, a folder beside ``tasks/`` (default ``fixture``).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CheckName = Literal[
    "tamper",
    "ruff",
    "mypy",
    "layers",
    "tests",
    "suppressions",
    "interference",
    "mutation",
    "quality",
]
FailingCheck = Literal["ruff", "mypy", "layers", "tests", "mutation"]

_ID = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REFERENCE = re.compile(r"^[a-z0-9-]+\.md#[a-z0-9-]+$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _relative_paths(paths: list[str]) -> list[str]:
    for path in paths:
        parts = Path(path).parts
        if not path or Path(path).is_absolute() or ".." in parts:
            raise ValueError(f"{path!r} must be a relative path inside the repository")
    return paths


class TimeLimits(_Strict):
    agent_seconds: int = Field(default=1800, gt=0, le=4 * 3600)
    tests_seconds: int = Field(default=120, gt=0, le=1800)


class NegativeSpec(_Strict):
    name: str = Field(pattern=_ID.pattern)
    rejected_by: FailingCheck
    base: Literal["start", "solution"] = "solution"
    description: str = Field(min_length=10)
    delete: list[str] = []

    _check_delete = field_validator("delete")(_relative_paths)


class MutationSpec(_Strict):
    """The agent writes tests at ``test_paths``; they must pass, and fail on every mutant."""

    test_paths: list[str] = Field(min_length=1)
    mutants: list[str] = Field(min_length=1)
    # behaviour-preserving rewrites the tests must still pass: they judge what, not how
    equivalents: list[str] = []
    min_tests: int = Field(default=1, ge=1)

    _check_paths = field_validator("test_paths")(_relative_paths)


_PROBE_TEST = re.compile(r"^quality_[a-z0-9_]+\.py::test_[A-Za-z0-9_]+$")
_FIXTURE = re.compile(r"^fixture(-[a-z0-9]+)*$")


class ProbeSpec(_Strict):
    """A quality probe: a production property the ticket's context calls for, checked by one test.

    It never decides ``resolved``. ``fails_on`` names the recorded solutions (alternatives) and
    negatives known to fail it: ``validate`` proves the probe can pass (the reference passes it)
    and can fail (each of them fails it), and that each alternative fails exactly its probes.
    """

    name: str = Field(pattern=_ID.pattern)
    rationale: str = Field(min_length=10, max_length=240)
    reference: str = Field(pattern=_REFERENCE.pattern)
    test: str = Field(pattern=_PROBE_TEST.pattern)
    fails_on: list[str] = Field(min_length=1)

    @property
    def file(self) -> str:
        return self.test.partition("::")[0]

    @property
    def function(self) -> str:
        return self.test.partition("::")[2]


class ArmMeasure(_Strict):
    attempts: int = Field(ge=1)
    resolved: int = Field(ge=0)
    quality: float | None = Field(default=None, ge=0, le=1)  # mean over resolved attempts

    @model_validator(mode="after")
    def _at_most_attempts(self) -> ArmMeasure:
        if self.resolved > self.attempts:
            raise ValueError("resolved cannot exceed attempts")
        return self


class MeasuredDifficulty(_Strict):
    """What blind solvers achieved on the task: the suite's measured difficulty."""

    date: datetime.date
    solvers: str = Field(min_length=5)
    baseline: ArmMeasure
    skill: ArmMeasure


class TaskSpec(_Strict):
    id: str = Field(pattern=_ID.pattern)
    title: str = Field(min_length=5, max_length=120)
    difficulty: Literal["easy", "medium", "hard"]
    prompt: str = Field(min_length=50)
    references: list[str] = Field(min_length=1)
    time_limits: TimeLimits = TimeLimits()
    setup_delete: list[str] = []
    solution_delete: list[str] = []
    protected: list[str] = []
    negatives: list[NegativeSpec] = Field(min_length=2)
    mutation: MutationSpec | None = None
    fixture: str = Field(default="fixture", pattern=_FIXTURE.pattern)
    quality: list[ProbeSpec] = []
    measured: MeasuredDifficulty | None = None

    _check_paths = field_validator("setup_delete", "solution_delete", "protected")(_relative_paths)

    @field_validator("references")
    @classmethod
    def _reference_anchors(cls, value: list[str]) -> list[str]:
        for ref in value:
            if not _REFERENCE.match(ref):
                raise ValueError(f"{ref!r} must look like 'caching.md#invalidation'")
        return value

    @model_validator(mode="after")
    def _unique_negatives(self) -> TaskSpec:
        names = [n.name for n in self.negatives]
        if len(names) != len(set(names)):
            raise ValueError("negative names must be unique")
        probes = [p.name for p in self.quality]
        if len(probes) != len(set(probes)):
            raise ValueError("quality probe names must be unique")
        tests = [p.test for p in self.quality]
        if len(tests) != len(set(tests)):
            raise ValueError("each quality probe needs its own test")
        return self


@dataclass(frozen=True)
class Task:
    """A loaded task: its validated spec, where it lives, and its content hash."""

    spec: TaskSpec
    folder: Path
    fixture: Path
    content_hash: str

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def setup_dir(self) -> Path:
        return self.folder / "setup"

    @property
    def hidden_dir(self) -> Path:
        return self.folder / "hidden"

    @property
    def setup_patch(self) -> Path:
        return self.folder / "setup.patch"

    @property
    def solution_dir(self) -> Path:
        return self.folder / "solution"

    @property
    def solution_patch(self) -> Path:
        return self.folder / "solution.patch"

    def negative_dir(self, name: str) -> Path:
        return self.folder / "negatives" / name

    def negative_patch(self, name: str) -> Path:
        return self.folder / "negatives" / f"{name}.patch"

    def alternative_patches(self) -> list[Path]:
        folder = self.folder / "alternatives"
        return sorted(folder.glob("*.patch")) if folder.is_dir() else []

    def mutant_dir(self, name: str) -> Path:
        return self.folder / "mutants" / name

    def equivalent_dir(self, name: str) -> Path:
        return self.folder / "equivalents" / name

    @property
    def quality_dir(self) -> Path:
        return self.folder / "quality"

    def quality_files(self) -> list[Path]:
        folder = self.quality_dir
        return sorted(folder.glob("quality_*.py")) if folder.is_dir() else []

    def hidden_test_files(self) -> list[Path]:
        if not self.hidden_dir.is_dir():
            return []
        return sorted(p for p in self.hidden_dir.rglob("*.py") if p.is_file())
