"""ruff, mypy and import-linter: each collects findings; ruff and mypy count only new ones.

The configuration always comes from the restored ``pyproject.toml`` (the task suite's copy),
passed explicitly, so nothing the agent wrote can loosen a rule.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import ClassVar

from harness.scoring import sandbox
from harness.scoring.checks.base import ScoringContext, Stopwatch, introduced
from harness.scoring.checks.tamper import HIDDEN_TESTS_DIR
from harness.scoring.result import CheckResult, Finding
from harness.task.model import CheckName, Task

STATIC_TIMEOUT_S = 300
MAX_FINDINGS = 200


class ToolError(Exception):
    """The tool itself failed (crash, bad output): the check cannot give a verdict."""


def _rel(path: str, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path


# --- ruff ---------------------------------------------------------------------------------------


def ruff_findings(root: Path, *, include_hidden: bool = False) -> list[Finding]:
    """Lint violations in ``root``; the hidden tests are left out unless ``include_hidden``."""
    ruff = str(Path(sys.executable).parent / "ruff")
    exclude = [] if include_hidden else ["--extend-exclude", HIDDEN_TESTS_DIR]
    done = sandbox.run(
        [
            ruff,
            "check",
            "--config",
            str(root / "pyproject.toml"),
            "--output-format",
            "json",
            "--no-cache",
            "--no-respect-gitignore",  # an agent's .gitignore or .ignore cannot hide files
            "--exit-zero",
            *exclude,
            ".",
        ],
        cwd=root,
        timeout_s=STATIC_TIMEOUT_S,
    )
    if done.returncode != 0 or done.timed_out:
        raise ToolError(f"ruff exited {done.returncode}: {done.stderr.strip()[:500]}")
    try:
        rows = json.loads(done.stdout or "[]")
    except json.JSONDecodeError as exc:
        raise ToolError(f"ruff printed invalid JSON: {exc}") from None
    return [
        Finding(
            path=_rel(row["filename"], root),
            line=(row.get("location") or {}).get("row"),
            code=row.get("code") or "syntax",
            message=row["message"],
        )
        for row in rows
    ]


# --- mypy ---------------------------------------------------------------------------------------


def mypy_findings(root: Path, cache_dir: Path, *, include_hidden: bool = False) -> list[Finding]:
    """Type errors in ``root``'s src and tests; the hidden tests are left out unless asked for."""
    targets = [t for t in ("src", "tests") if (root / t).is_dir()]
    exclude = [] if include_hidden else ["--exclude", f"^{HIDDEN_TESTS_DIR}/"]
    done = sandbox.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--config-file",
            str(root / "pyproject.toml"),
            "--strict",
            "--cache-dir",
            str(cache_dir),
            "--no-sqlite-cache",  # one file per entry, replaced atomically: safe to hard-link
            *exclude,
            "--output",
            "json",
            "--no-error-summary",
            *targets,
        ],
        cwd=root,
        timeout_s=STATIC_TIMEOUT_S,
        env_extra={"MYPYPATH": str(root / "src")},
    )
    if done.timed_out or done.returncode not in (0, 1, 2):
        raise ToolError(f"mypy exited {done.returncode}: {(done.stderr or done.stdout)[-500:]}")
    findings: list[Finding] = []
    for line in done.stdout.splitlines():
        if not line.startswith("{"):
            continue
        row = json.loads(line)
        if row.get("severity") != "error":
            continue
        findings.append(
            Finding(
                path=_rel(row["file"], root),
                line=row.get("line"),
                code=row.get("code") or "error",
                message=row["message"],
            )
        )
    # 2 is a blocking error: the code's own (a syntax error, reported above) or mypy's
    if done.returncode in (1, 2) and not findings:
        raise ToolError(f"mypy failed without reporting errors: {done.stderr.strip()[:500]}")
    return findings


def copy_cache(source: Path, dest: Path) -> None:
    """A private copy of a warm mypy cache, made of hard links.

    Safe only with mypy's file cache (``--no-sqlite-cache``), whose writes replace files
    atomically; the SQLite cache is rewritten in place and would corrupt every linked copy.
    """

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    if source.is_dir():
        shutil.copytree(source, dest, copy_function=link, dirs_exist_ok=True)


# --- import-linter ------------------------------------------------------------------------------


def layer_findings(root: Path) -> tuple[list[Finding], int]:
    """Broken import chains (one finding per chain) and the number of contracts checked."""
    done = sandbox.run(
        [
            sys.executable,
            "-m",
            "harness.scoring.checks.importlinter_runner",
            str(root / "pyproject.toml"),
        ],
        cwd=root,
        timeout_s=STATIC_TIMEOUT_S,
        env_extra={"PYTHONPATH": str(root / "src")},
    )
    if done.timed_out or done.returncode != 0:
        raise ToolError(f"import-linter failed: {(done.stderr or done.stdout).strip()[-500:]}")
    report = json.loads(done.stdout)
    if report.get("syntax_error"):  # the code's fault, not the tool's: a failing finding
        return [Finding(code="syntax", message=str(report["syntax_error"]))], 0
    if report.get("error"):
        raise ToolError(f"import-linter: {report['error']}")
    findings: list[Finding] = []
    for contract in report["contracts"]:
        if contract["kept"]:
            continue
        if not contract["chains"]:
            findings.append(Finding(code=contract["name"], message="contract broken"))
        for chain in contract["chains"]:
            first = chain[0]
            path = "src/" + first["importer"].replace(".", "/") + ".py"
            hops = " -> ".join(
                [first["importer"]]
                + [
                    f"{link['imported']} (l.{','.join(map(str, link['line_numbers']))})"
                    for link in chain
                ]
            )
            lines = first["line_numbers"]
            findings.append(
                Finding(
                    path=path,
                    line=lines[0] if lines else None,
                    code=contract["name"],
                    message=hops,
                )
            )
    return findings, len(report["contracts"])


def stubs_hiding_sources(workdir: Path, start: Path) -> list[Finding]:
    """A new ``.pyi`` beside a ``.py``: mypy reads the stub and never checks the module."""
    found: list[Finding] = []
    for top in ("src", "tests"):
        for stub in sorted((workdir / top).rglob("*.pyi")) if (workdir / top).is_dir() else []:
            rel = stub.relative_to(workdir)
            if stub.with_suffix(".py").is_file() and not (start / rel).is_file():
                found.append(
                    Finding(
                        path=rel.as_posix(),
                        code="stub-hides-source",
                        message=f"mypy reads this stub instead of {rel.with_suffix('.py').name},"
                        " which is then never type-checked",
                    )
                )
    return found


def outside_the_contracts(workdir: Path, start: Path) -> list[Finding]:
    """Code the contracts cannot see: the layer rules hold only inside packages they know.

    - a new top-level module or package under ``src/`` (beside the service's package) is in no
      contract, so anything may import it and it may import anything;
    - a folder of modules without ``__init__.py`` inside a package is a namespace package,
      which import-linter does not scan: its imports are invisible.
    """
    found: list[Finding] = []
    src, before = workdir / "src", start / "src"
    if not src.is_dir():
        return found
    known = {p.name for p in before.iterdir()} if before.is_dir() else set()
    for entry in sorted(src.iterdir()):
        if entry.name in known or entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.suffix in (".py", ".pyi") or (entry.is_dir() and any(entry.rglob("*.py"))):
            found.append(
                Finding(
                    path=f"src/{entry.name}",
                    code="outside-contracts",
                    message="a new top-level module or package beside the service's package:"
                    " no layer contract covers it",
                )
            )
    for package in sorted(p for p in src.iterdir() if (p / "__init__.py").is_file()):
        for folder in sorted(d for d in package.rglob("*") if d.is_dir()):
            if folder.name == "__pycache__" or (folder / "__init__.py").is_file():
                continue
            if any(folder.glob("*.py")):
                rel = folder.relative_to(workdir).as_posix()
                found.append(
                    Finding(
                        path=rel,
                        code="namespace-folder",
                        message="modules in a folder without __init__.py: import-linter does"
                        " not see their imports",
                    )
                )
    return found


# --- the three checks ---------------------------------------------------------------------------


def _result(
    name: CheckName,
    watch: Stopwatch,
    new: list[Finding],
    total: int,
    noun: str,
) -> CheckResult:
    summary = f"no new {noun}" if not new else f"{len(new)} new {noun}"
    return CheckResult(
        name=name,
        passed=not new,
        can_fail=True,
        summary=summary,
        counts={"new": len(new), "total": total},
        findings=new[:MAX_FINDINGS],
        duration_s=watch.elapsed,
    )


def _tool_error(name: CheckName, watch: Stopwatch, exc: Exception) -> CheckResult:
    return CheckResult(
        name=name,
        passed=False,
        can_fail=True,
        summary="the tool failed; no verdict",
        error=str(exc),
        duration_s=watch.elapsed,
    )


class RuffCheck:
    name: ClassVar[CheckName] = "ruff"
    can_fail: ClassVar[bool] = True
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        try:
            current = ruff_findings(ctx.workdir)
        except ToolError as exc:
            return _tool_error(self.name, watch, exc)
        new = introduced(current, ctx.baseline.ruff)
        return _result(self.name, watch, new, len(current), "lint violations")


class MypyCheck:
    name: ClassVar[CheckName] = "mypy"
    can_fail: ClassVar[bool] = True
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        cache = ctx.scratch / "mypy-cache"
        copy_cache(ctx.baseline.mypy_cache, cache)
        try:
            current = mypy_findings(ctx.workdir, cache)
        except (ToolError, json.JSONDecodeError) as exc:
            return _tool_error(self.name, watch, exc)
        new = stubs_hiding_sources(ctx.workdir, ctx.baseline.start) + introduced(
            current, ctx.baseline.mypy
        )
        return _result(self.name, watch, new, len(current), "type errors")


class LayersCheck:
    name: ClassVar[CheckName] = "layers"
    can_fail: ClassVar[bool] = True
    mutates: ClassVar[bool] = False

    def applies(self, task: Task) -> bool:
        return True

    def run(self, ctx: ScoringContext) -> CheckResult:
        watch = Stopwatch()
        try:
            current, contracts = layer_findings(ctx.workdir)
        except (ToolError, json.JSONDecodeError, KeyError) as exc:
            return _tool_error(self.name, watch, exc)
        current = outside_the_contracts(ctx.workdir, ctx.baseline.start) + current
        result = _result(self.name, watch, current, len(current), "broken import chains")
        result.counts["contracts"] = contracts
        return result
