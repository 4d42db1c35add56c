"""References no benchmark task exercises yet, each exempted with a reason.

``validate`` requires every reference to be cited by some task (``reference_coverage``). A
reference written before any task can exercise it (django.md: no task starts from a Django
repository) is listed in the suite's ``unexercised.yaml`` as ``file: one-line reason``. Exempt
references are reported as such; an exemption for a file that does not exist, or for a reference
a task does exercise, is a problem of its own, so the list cannot go stale.

This lives outside ``harness/validity.py`` on purpose: that module is hashed into the validation
ledger, and an exemption says nothing about whether a task can tell right from wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness.errors import HarnessError

EXEMPTIONS_FILE = "unexercised.yaml"
_NO_TASK = ": no task exercises it"


def load_exemptions(path: Path) -> dict[str, str]:
    """``reference file name -> reason`` from ``path``; no file means no exemptions."""
    if not path.is_file():
        return {}
    try:
        data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot parse"
        raise HarnessError(f"{path}: invalid YAML{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HarnessError(f"{path}: must map reference file names to reasons")
    exemptions: dict[str, str] = {}
    for name, reason in data.items():
        if not isinstance(name, str) or not name.endswith(".md") or "/" in name:
            raise HarnessError(f"{path}: {name!r}: a key is a file name in references/, like x.md")
        if not isinstance(reason, str) or not reason.strip() or "\n" in reason.strip():
            raise HarnessError(f"{path}: {name!r}: the reason must be one non-empty line")
        exemptions[name] = reason.strip()
    return exemptions


def apply_exemptions(
    by_file: Mapping[str, list[str]],
    problems: list[str],
    exemptions: Mapping[str, str],
    source: Path,
) -> tuple[list[str], list[str]]:
    """Split ``reference_coverage``'s result into exempt notes and remaining problems.

    ``by_file`` maps each reference to the tasks exercising it; ``source`` is the exemptions
    file, named in the problems it causes.
    """
    notes: list[str] = []
    stale: list[str] = []
    silenced: set[str] = set()
    for name, reason in exemptions.items():
        if name not in by_file:
            stale.append(f"{source}: {name}: no such reference file")
        elif by_file[name]:
            tasks = ", ".join(by_file[name])
            stale.append(f"{source}: {name}: exercised by {tasks}; remove its exemption")
        else:
            notes.append(f"{name}: exempt, no task exercises it: {reason}")
            silenced.add(f"{name}{_NO_TASK}")
    return notes, [p for p in problems if p not in silenced] + stale
