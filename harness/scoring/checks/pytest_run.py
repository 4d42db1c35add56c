"""Run pytest in the sandbox and read the outcome from JUnit XML, never from stdout.

The JUnit file is written to a fresh path outside the workspace; the harness deletes anything
there first, checks the file was written by this run, and cross-checks it with the exit code.
"""

from __future__ import annotations

import ast
import sys
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from harness.paths import suite_dir
from harness.scoring import jail, sandbox, zygote

Outcome = Literal["passed", "failed", "error", "skipped"]

# Pydantic v1-style calls and FastAPI's on_event are errors, whatever the workspace configures.
WARNING_FILTERS = (
    "error::pydantic.warnings.PydanticDeprecatedSince20",
    "error:.*on_event is deprecated:DeprecationWarning",
)


@dataclass(frozen=True)
class TestCase:
    module: str  # dotted module, e.g. tests.hidden.test_cache
    cls: str | None
    name: str  # with any parametrisation, e.g. test_x[a]
    outcome: Outcome
    message: str

    @property
    def function(self) -> str:
        return self.name.split("[", 1)[0]

    @property
    def node_id(self) -> str:
        if not self.module:
            return self.name
        path = self.module.replace(".", "/") + ".py"
        return "::".join(p for p in (path, self.cls, self.name) if p)


@dataclass
class PytestRun:
    returncode: int
    timed_out: bool
    duration_s: float
    warm: bool = False  # run by a fork of the pre-imported zygote, not a fresh interpreter
    cases: list[TestCase] = field(default_factory=list)
    problem: str | None = None  # why the run cannot be trusted, if it cannot
    output_tail: str = ""


def expected_tests(root: Path, rel_path: str) -> set[tuple[str, str | None, str]]:
    """(module, class, function) of every test a file defines, read from its AST."""
    module = rel_path.removesuffix(".py").replace("/", ".")
    try:
        tree = ast.parse((root / rel_path).read_text(encoding="utf-8"))
    except (SyntaxError, FileNotFoundError, UnicodeDecodeError):
        return {(module, None, "<collect>")}
    found: set[tuple[str, str | None, str]] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith(
            "test"
        ):
            found.add((module, None, node.name))
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                    item.name.startswith("test")
                ):
                    found.add((module, node.name, item.name))
    return found


_OUTCOMES: dict[str, Outcome] = {"failure": "failed", "error": "error", "skipped": "skipped"}


def _split_classname(classname: str, modules: set[str]) -> tuple[str, str | None]:
    if classname in modules:
        return classname, None
    head, _, tail = classname.rpartition(".")
    if head in modules:
        return head, tail
    return classname, None


def parse_junit(path: Path, modules: set[str]) -> list[TestCase]:
    root = ET.parse(path).getroot()
    cases: list[TestCase] = []
    for case in root.iter("testcase"):
        module, cls = _split_classname(case.get("classname", ""), modules)
        outcome: Outcome = "passed"
        message = ""
        for child in case:
            if child.tag in _OUTCOMES:
                outcome = _OUTCOMES[child.tag]
                text = (child.get("message") or "") + "\n" + (child.text or "")
                message = text.strip()[:1500]
                break
        cases.append(
            TestCase(
                module=module,
                cls=cls,
                name=case.get("name", ""),
                outcome=outcome,
                message=message,
            )
        )
    return cases


def run_pytest(
    root: Path, scratch: Path, paths: list[str], timeout_s: float, view: Path | None = None
) -> PytestRun:
    """pytest on ``paths`` in ``root``; with ``view``, that tree is what the tests see at
    ``root`` (so a mutant runs where the original lives and cannot tell it is a mutant).
    Without the jail there is no view: the tests run in the ``view`` tree itself."""
    if view is not None and not sandbox.jail_available():
        root, view = view, None
    # The only place the jailed tests may write besides their private /tmp: a fresh directory
    # for the report. The tree under test is read-only to them.
    report_dir = scratch / f"junit-{uuid.uuid4().hex}"
    report_dir.mkdir()
    jail.give(str(report_dir))
    junit = report_dir / "report.xml"
    args = [
        "-c",
        str(root / "pyproject.toml"),
        "--rootdir",
        str(root),
        "-p",
        "no:cacheprovider",
        "-p",
        "pytest_asyncio.plugin",
        "--junitxml",
        str(junit),
        "-o",
        "junit_family=xunit1",
        "-q",
        "--no-header",
        "--continue-on-collection-errors",
        "-rN",
        *[arg for flt in WARNING_FILTERS for arg in ("-W", flt)],
        "--",
        *paths,
    ]
    env = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    # The warm zygote is a ``python -I`` too; a fresh interpreter is the fallback.
    done = zygote.run_pytest(
        args, cwd=root, timeout_s=timeout_s, env_extra=env, writable=(report_dir,), view=view
    )
    warm = done is not None
    if done is None:
        junit.unlink(missing_ok=True)
        # -I: no PYTHONPATH, no user site, no cwd on sys.path: start-up hooks stay out
        argv = [sys.executable, "-I", "-m", "pytest", *args]
        # No run gets past its sandbox through the zygote, or reads the benchmark's tasks.
        hide = (zygote.socket_path().parent, suite_dir() / "tasks")
        done = sandbox.run(
            argv,
            cwd=root,
            timeout_s=timeout_s,
            env_extra=env,
            hide=hide,
            untrusted=True,
            writable=(report_dir,),
            view=view,
        )
    run = PytestRun(
        warm=warm,
        returncode=done.returncode,
        timed_out=done.timed_out,
        duration_s=done.duration_s,
        output_tail=(done.stdout + done.stderr)[-3000:],
    )
    if done.timed_out:
        run.problem = f"timed out after {timeout_s:.0f} s (a hanging test?)"
        return run
    if not junit.is_file():
        run.problem = f"pytest wrote no JUnit report (exit code {done.returncode})"
        return run
    modules = {p.removesuffix(".py").replace("/", ".") for p in paths if p.endswith(".py")}
    modules |= {
        f.relative_to(root).with_suffix("").as_posix().replace("/", ".")
        for p in paths
        if (root / p).is_dir()
        for f in (root / p).rglob("test_*.py")
    }
    try:
        run.cases = parse_junit(junit, modules)
    except ET.ParseError as exc:
        run.problem = f"the JUnit report is not valid XML: {exc}"
        return run
    all_passed = all(c.outcome == "passed" for c in run.cases)
    if all_passed and done.returncode != 0:
        run.problem = f"pytest exited {done.returncode} although every reported test passed"
    elif not all_passed and done.returncode == 0:
        run.problem = "pytest exited 0 although the JUnit report has failures"
    return run
