"""The benchmark as an Inspect task, end to end with no network: Inspect's mock model drives
the default ReAct agent in the ``skill-eval`` sandbox (this project's jail), the scorer scores
the final tree on the host, and the log feeds ``skill-eval report`` and ``failures``."""

from __future__ import annotations

import asyncio
import errno
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from inspect_ai import Task, eval
from inspect_ai.agent import react
from inspect_ai.dataset import Sample
from inspect_ai.log import EvalLog, read_eval_log, write_eval_log
from inspect_ai.model import (
    ChatMessage,
    ChatMessageSystem,
    GenerateConfig,
    ModelOutput,
    ModelUsage,
    get_model,
)
from inspect_ai.solver import generate
from inspect_ai.tool import ToolChoice, ToolInfo
from inspect_ai.util import SandboxUnavailableError

from harness.agents.tools import ToolBox, ToolError
from harness.cli import main
from harness.inspect_task import sandbox as sandbox_module
from harness.inspect_task import scorer as scorer_module
from harness.inspect_task.bash_tool import STORE_STATE, persistent_bash
from harness.inspect_task.dataset import METADATA_KEY
from harness.inspect_task.logs import load_inspect_run
from harness.inspect_task.sandbox import PROVIDER, WORKSPACE, JailSandboxEnvironment
from harness.inspect_task.task import backend
from harness.paths import REPO_ROOT
from harness.report.runs import Run, load_run
from harness.scoring.sandbox import jail_available
from harness.task import load_task
from harness.workspace.prepare import git, prepare
from tests.conftest import MINI_SUITE

pytestmark = pytest.mark.skipif(
    not jail_available(), reason="the skill-eval sandbox needs Linux namespaces (CI has root)"
)

TASK = "add-discount"
MODEL = "mockllm/model"
EDITOR = "str_replace_based_edit_tool"
SKILL_NAME = "candidate"
SKILL_DESCRIPTION = "A candidate skill for the Inspect test."


def _output(tool: str | None = None, **arguments: Any) -> ModelOutput:
    if tool is None:
        output = ModelOutput.from_content(MODEL, "Done: the change is in place.")
    else:
        output = ModelOutput.for_tool_call(MODEL, tool, arguments)
    # the mock model would otherwise count tokens with a tokenizer it downloads
    output.usage = ModelUsage(input_tokens=1000, output_tokens=50, total_tokens=1050)
    return output


def solution_changes(
    task_id: str, tmp: Path
) -> tuple[dict[str, tuple[str | None, str]], list[str]]:
    """The reference solution as files to write (path -> (start text or None, new text)) and
    paths to delete."""
    task = load_task(task_id)
    start = prepare(task, tmp / "start")
    repo = prepare(task, tmp / "solution", variant="solution")
    written, deleted = {}, []
    for line in git(repo, "status", "--porcelain", "--untracked-files=all").splitlines():
        status, path = line[:2], line[3:]
        if "D" in status:
            deleted.append(path)
        else:
            before = start / path
            old = before.read_text(encoding="utf-8") if before.is_file() else None
            written[path] = (old, (repo / path).read_text(encoding="utf-8"))
    return written, deleted


class SolvingModel:
    """Reads the skill the system prompt lists, writes the solution, checks it, and stops."""

    def __init__(self, written: dict[str, tuple[str | None, str]], deleted: list[str]) -> None:
        self.written, self.deleted = written, deleted
        self.steps: list[ModelOutput] | None = None

    def __call__(
        self,
        input: list[ChatMessage],
        tools: list[ToolInfo],
        tool_choice: ToolChoice,
        config: GenerateConfig,
    ) -> ModelOutput:
        if self.steps is None:
            system = next(m.text for m in input if isinstance(m, ChatMessageSystem))
            location = re.search(r"<location>(.+)</location>", system)
            self.steps = [_output("bash", command="git status --short && ls src")]
            if location is not None:
                self.steps.append(_output(EDITOR, command="view", path=location.group(1)))
            for path, (old, new) in self.written.items():
                if old is None:  # Inspect's editor creates new files only
                    step = _output(EDITOR, command="create", path=path, file_text=new)
                else:
                    step = _output(
                        EDITOR, command="str_replace", path=path, old_str=old, new_str=new
                    )
                self.steps.append(step)
            for path in self.deleted:
                self.steps.append(_output("bash", command=f"rm -- {path}"))
            self.steps.append(_output("bash", command="python -m pytest -q -x tests"))
            self.steps.append(_output())
        return self.steps.pop(0)


# The baseline's session: shell commands that change nothing in the repository.
SHELL_STEPS = [
    "cd src",
    "pwd",
    "export X=1",
    "echo $X",
    "echo out; echo err >&2; (exit 3)",
]


def run_eval(task: Task, model: Any, log_dir: Path) -> EvalLog:
    (log,) = eval(task, model=model, log_dir=str(log_dir), display="none", log_format="eval")
    assert log.status == "success", log.error
    return log


@dataclass(frozen=True)
class Evals:
    skill: EvalLog
    baseline: EvalLog
    logs: Path


@pytest.fixture(scope="module")
def evals(tmp_path_factory: pytest.TempPathFactory, cache_root: Path) -> Iterator[Evals]:
    """Two evals, run once: the skill arm solved by the mock, the baseline running
    :data:`SHELL_STEPS` and changing nothing."""
    tmp = tmp_path_factory.mktemp("inspect")
    skill = tmp / SKILL_NAME
    skill.mkdir()
    (skill / "SKILL.md").write_text(
        f"---\nname: {SKILL_NAME}\ndescription: {SKILL_DESCRIPTION}\n---\nUse integer cents.\n"
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILL_EVAL_CACHE", str(cache_root))
        patch.setenv("SKILL_EVAL_SUITE", str(MINI_SUITE))
        written, deleted = solution_changes(TASK, tmp)
        solving = get_model(MODEL, custom_outputs=SolvingModel(written, deleted))
        shell = [*(_output("bash", command=c) for c in SHELL_STEPS), _output()]
        shell_user = get_model(MODEL, custom_outputs=shell)
        logs = tmp / "logs"
        yield Evals(
            skill=run_eval(backend(arm="skill", tasks=TASK, skill_dir=str(skill)), solving, logs),
            baseline=run_eval(backend(arm="baseline", tasks=TASK), shell_user, logs),
            logs=logs,
        )


def _only_sample(log: EvalLog) -> Any:
    assert log.samples is not None
    (sample,) = log.samples
    return sample


def _score_meta(log: EvalLog) -> dict[str, Any]:
    score = _only_sample(log).scores["skill_eval_scorer"]
    meta: dict[str, Any] = score.metadata[METADATA_KEY]
    return meta


def _system(log: EvalLog) -> str:
    first = _only_sample(log).messages[0]
    assert isinstance(first, ChatMessageSystem)
    return first.text


def test_mock_model_solves_the_task_in_the_local_sandbox(evals: Evals) -> None:
    sample = _only_sample(evals.skill)
    assert sample.scores["skill_eval_scorer"].value == 1
    meta = _score_meta(evals.skill)
    assert meta["score"]["resolved"] is True
    assert meta["scoring_error"] is None
    assert "+def discounted" in meta["diff"]
    assert meta["skill_reads"] == ["SKILL.md"]
    tools = [m for m in sample.messages if m.role == "tool"]
    assert not [m.error for m in tools if m.error is not None]
    pytest_run = tools[-1].text
    assert " passed" in pytest_run, pytest_run  # the visible tests ran inside the sandbox


def test_a_session_that_changes_nothing_is_not_resolved(evals: Evals) -> None:
    assert _only_sample(evals.baseline).scores["skill_eval_scorer"].value == 0
    meta = _score_meta(evals.baseline)
    assert meta["score"]["resolved"] is False
    assert meta["diff"] == ""
    failed = [c["name"] for c in meta["score"]["checks"] if c["can_fail"] and not c["passed"]]
    assert failed == ["tests"]


def test_the_skill_arm_lists_the_skill_and_the_baseline_does_not(evals: Evals) -> None:
    skill, baseline = _system(evals.skill), _system(evals.baseline)
    assert "<available_skills>" in skill
    assert f"<name>{SKILL_NAME}</name>" in skill
    assert SKILL_DESCRIPTION in skill
    assert re.search(rf"<location>/\S+/skills/{SKILL_NAME}/SKILL.md</location>", skill)
    assert "<available_skills>" not in baseline
    assert SKILL_NAME not in baseline
    assert SKILL_DESCRIPTION not in baseline
    # the rest is the built-in agent's prompt, with this sandbox's repository path
    assert baseline.split("\n", 1)[1] == skill.split("\n", 1)[1].split("\n<available_skills>")[0]
    assert "git repository at /" in baseline


def _bash_replies(log: EvalLog) -> list[str]:
    """What each bash call returned to the model (the error message of a refused call)."""
    replies = []
    for message in _only_sample(log).messages:
        if message.role == "tool" and message.function == "bash":
            replies.append(message.error.message if message.error else message.text)
    return replies


def _workspace(log: EvalLog) -> str:
    found = re.search(r"git repository at (\S+)\.\n", _system(log))
    assert found is not None
    return found.group(1)


def test_cd_in_one_bash_call_holds_in_the_next(evals: Evals) -> None:
    replies = _bash_replies(evals.baseline)
    assert replies[0] == "(no output)"
    assert replies[1] == f"{_workspace(evals.baseline)}/src\n"


def test_an_exported_variable_holds_in_the_next_bash_call(evals: Evals) -> None:
    assert _bash_replies(evals.baseline)[3] == "1\n"


def test_a_failing_command_reports_its_exit_status(evals: Evals) -> None:
    assert _bash_replies(evals.baseline)[4] == "out\n\n[stderr]\nerr\n\n[exit code 3]"


def test_the_shell_state_stays_out_of_the_scored_diff(evals: Evals) -> None:
    assert len(_bash_replies(evals.baseline)) == len(SHELL_STEPS)  # the state was written
    assert _score_meta(evals.baseline)["diff"] == ""
    state = _only_sample(evals.baseline).store[STORE_STATE]
    assert state.startswith("/tmp/skill-eval-bash-")
    assert not f"{state}/".startswith(f"{_workspace(evals.baseline)}/")


# Calls whose replies do not depend on where the repository is: ``repo`` in both tools.
PARITY_STEPS: list[dict[str, Any]] = [
    {"command": "mkdir sub && cd sub"},
    {"command": 'basename "$PWD"'},
    {"command": 'export X=1; Y="two words"; f() { echo "f$1"; }'},
    {"command": 'echo "$X|$Y|$(f 3)"'},
    {"command": "unset X"},
    {"command": 'echo "${X-unset}|$Y"'},
    {"command": "echo out; echo err >&2; (exit 3)"},
    {"command": "seq 1 5000"},  # past the built-in tool's 12,000 characters
    {"command": "cat; echo stdin was empty"},
    {"command": "exit 4"},
    {"command": 'basename "$PWD"; echo "${Y-unset}"'},
    {"command": "cd sub; sleep 30"},  # past the timeout
    {"command": 'basename "$PWD"'},
    {"command": "cd sub"},
    {"restart": True},
    {"command": 'basename "$PWD"'},
    {"command": "  "},
]


def test_the_inspect_bash_tool_answers_as_the_built_in_one(tmp_path: Path) -> None:
    steps = [*(_output("bash", **args) for args in PARITY_STEPS), _output()]
    task = Task(
        dataset=[Sample(input="Use the shell.")],
        solver=react(prompt=None, tools=[persistent_bash(timeout=1)], submit=False),
        sandbox=PROVIDER,
    )
    log = run_eval(task, get_model(MODEL, custom_outputs=steps), tmp_path / "logs")
    built_in = []
    with ToolBox(workspace=tmp_path / WORKSPACE, command_timeout_s=1) as tools:
        tools.workspace.mkdir()
        for args in PARITY_STEPS:
            try:
                built_in.append(tools.bash(args))
            except ToolError as exc:
                built_in.append(str(exc))
    assert _bash_replies(log) == built_in
    assert built_in[1] == "sub\n"
    assert built_in[5] == "unset|two words\n"
    assert "characters truncated" in built_in[7]
    assert built_in[10] == "repo\nunset\n"
    assert "timed out after 1 s" in built_in[11]
    assert built_in[12] == built_in[15] == "repo\n"


def _cells(run: Run) -> dict[tuple[str, str, int], tuple[bool, bool, list[str]]]:
    """(task, arm, epoch) -> (resolved, infrastructure error, failed checks)."""
    return {
        (r.spec.task_id, r.spec.arm, r.spec.epoch): (
            r.resolved,
            r.infra_error,
            r.score.failed_checks if r.score else [],
        )
        for r in run.records
    }


def test_the_log_gives_the_report_of_the_same_trials_through_skill_eval_run(
    evals: Evals, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from_logs = load_inspect_run(evals.logs)
    assert sorted(from_logs.manifest.arms) == ["baseline", "skill"]
    assert from_logs.planned == 2
    assert from_logs.missing == 0
    # the same trials through `skill-eval run`: the diffs the Inspect samples produced, replayed
    recorded = tmp_path / "recorded"
    (recorded / TASK).mkdir(parents=True)
    (recorded / "solver.json").write_text(json.dumps({"model": "inspect-replay"}))
    for arm, log in (("skill", evals.skill), ("baseline", evals.baseline)):
        (recorded / TASK / f"{arm}-1.patch").write_text(_score_meta(log)["diff"])
    run_dir = tmp_path / "run"
    assert main(["run", "--agent", "patch", "--patch", str(recorded), "--tasks", TASK,
                 "--arms", "baseline,skill", "--run-dir", str(run_dir)]) == 0  # fmt: skip
    assert _cells(from_logs) == _cells(load_run(run_dir))
    capsys.readouterr()

    def matrix(path: Path) -> list[str]:
        assert main(["report", str(path), "--format", "markdown"]) == 0
        text = capsys.readouterr().out
        return [line for line in text.splitlines() if line.startswith(f"| `{TASK}`")]

    assert matrix(evals.logs) == matrix(run_dir)
    assert main(["failures", str(evals.logs)]) == 0
    digest = capsys.readouterr().out
    assert "1 failing trial(s) of 2 scored" in digest
    assert "domain-driven-design.md#money" in digest


def test_a_scoring_crash_is_the_samples_infrastructure_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(task_id: str, tree: Path) -> tuple[str, dict[str, Any]]:
        raise OSError("disk full")

    monkeypatch.setattr(scorer_module, "score_tree", crash)
    idle = get_model(MODEL, custom_outputs=[_output()])
    log = run_eval(backend(arm="baseline", tasks=TASK), idle, tmp_path / "logs")
    score = _only_sample(log).scores["skill_eval_scorer"]
    assert score.value == 0
    assert score.metadata[METADATA_KEY]["scoring_error"] == "OSError: disk full"
    (record,) = load_inspect_run(tmp_path / "logs").records
    assert record.infra_error
    assert not record.resolved
    assert record.scoring_error == "OSError: disk full"


def test_a_log_that_is_not_skill_evals_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = Task(dataset=[Sample(input="Say hi.", target="hi")], solver=generate())
    log = run_eval(other, get_model(MODEL, custom_outputs=[_output()]), tmp_path)
    assert main(["report", log.location]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert log.location in err
    assert "not a skill-eval Inspect log" in err


def test_inspect_finds_the_task_and_the_sandbox_by_name() -> None:
    """Through the entry point, as `inspect eval skill_eval/backend` looks them up."""
    code = (
        "from inspect_ai._util.registry import registry_lookup\n"
        "from inspect_ai.util._sandbox.registry import registry_find_sandboxenv\n"
        "assert registry_lookup('task', 'skill_eval/backend') is not None\n"
        "print(registry_find_sandboxenv('skill-eval').__name__)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd="/"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "JailSandboxEnvironment"


def _pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        match = re.match(r'^\s*"?([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^"\s,]+)', line)
        if match:
            found[match.group(1).lower()] = match.group(3)
    return found


def test_the_docker_image_pins_what_the_harness_pins() -> None:
    """The image's fixture environment must match the one scoring uses on the host."""
    dockerfile = (REPO_ROOT / "evals" / "inspect" / "Dockerfile").read_text().splitlines()
    project = (REPO_ROOT / "pyproject.toml").read_text().splitlines()
    image, host = _pins(dockerfile), _pins(project)
    assert image, "no pinned packages found in the Dockerfile"
    assert {name: host.get(name) for name in image} == image
    wanted = {"pydantic", "fastapi", "sqlalchemy", "pytest", "ruff", "mypy", "import-linter"}
    assert wanted <= set(image)
    compose = (REPO_ROOT / "evals" / "inspect" / "compose.yaml").read_text()
    assert "dockerfile: Dockerfile" in compose
    assert "network_mode: none" in compose


# A module that fails ruff (unused import, formatting): scored wherever the run path sees it.
BAD_MODULE = "import os,sys\n\ndef f( ):\n  return 1\n"


def test_the_scored_tree_is_the_files_not_what_the_agents_git_shows(tmp_path: Path) -> None:
    """``.gitignore`` hides nothing from scoring and a deleted ``.git`` is not an
    infrastructure error: the tree is read without git, as ``skill-eval run`` reads it."""
    steps = [
        f"printf '{BAD_MODULE}' > src/bad_module.py",
        "echo bad_module.py >> .gitignore",
        "rm -rf .git",
    ]
    model = get_model(
        MODEL, custom_outputs=[*(_output("bash", command=c) for c in steps), _output()]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILL_EVAL_SUITE", str(MINI_SUITE))
        log = run_eval(backend(arm="baseline", tasks=TASK), model, tmp_path / "logs")
    meta = _score_meta(log)
    assert meta["scoring_error"] is None
    assert "+++ b/src/bad_module.py" in meta["diff"]
    failed = [c["name"] for c in meta["score"]["checks"] if c["can_fail"] and not c["passed"]]
    assert "ruff" in failed
    (record,) = load_inspect_run(tmp_path / "logs").records
    assert not record.infra_error
    assert not record.resolved


def test_the_tree_leaves_the_sandbox_byte_for_byte_without_git_or_caches(tmp_path: Path) -> None:
    async def fetch() -> Path:
        box = await asyncio.to_thread(JailSandboxEnvironment.started)
        try:
            script = (
                "set -e; git init -q .; printf 'a\\n' > kept.txt; git add kept.txt;"
                " git -c user.name=x -c user.email=x@x commit -qm start;"
                " printf 'caf\\xe9\\xff\\n' > latin1.txt; printf '#!/bin/sh\\n' > run.sh;"
                " chmod +x run.sh; echo latin1.txt > .gitignore;"
                " git config filter.x.clean 'sed s/a/CLEANED/';"
                " echo 'kept.txt filter=x' > .gitattributes;"
                " mkdir -p nested && git -C nested init -q && echo inner > nested/inner.txt;"
                " mkdir -p .venv/lib pkg/__pycache__;"
                " head -c 26000000 /dev/urandom > .venv/lib/big;"
                " echo x > pkg/__pycache__/m.pyc; echo y > pkg/m.pyc; ln -s kept.txt link;"
                " echo secret > unreadable.txt; chmod 000 unreadable.txt"
            )
            done = await box.exec(["bash", "-c", script])
            assert done.success, done.stderr
            tree = tmp_path / "tree"
            await scorer_module.fetch_tree(box, str(box.workspace), tree)
            return tree
        finally:
            await JailSandboxEnvironment.sample_cleanup("t", None, {"default": box}, False)

    tree = asyncio.run(fetch())
    files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
    assert files == [
        ".gitattributes",
        ".gitignore",
        "kept.txt",
        "latin1.txt",
        "nested/inner.txt",
        "run.sh",
        "unreadable.txt",
    ]
    assert (tree / "latin1.txt").read_bytes() == b"caf\xe9\xff\n"
    assert (tree / "kept.txt").read_bytes() == b"a\n"
    assert (tree / "unreadable.txt").read_bytes() == b"secret\n"
    assert (tree / "run.sh").stat().st_mode & 0o100


PTRACE_SUPERVISOR = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print(libc.ptrace(16, 1, 0, 0), os.strerror(ctypes.get_errno()))  # PTRACE_ATTACH to PID 1
"""


def test_a_command_cannot_ptrace_the_supervisor() -> None:
    async def attempt() -> tuple[str, str]:
        box = await asyncio.to_thread(JailSandboxEnvironment.started)
        try:
            tried = await box.exec(["python3", "-c", PTRACE_SUPERVISOR], timeout=30)
            after = await box.exec(["echo", "still here"], timeout=30)
            return tried.stdout.strip(), after.stdout
        finally:
            await JailSandboxEnvironment.sample_cleanup("t", None, {"default": box}, False)

    tried, after = asyncio.run(attempt())
    assert tried == f"-1 {os.strerror(errno.EPERM)}"
    assert after == "still here\n"


def test_a_supervisor_that_stops_answering_ends_the_sandbox_not_the_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox_module, "DEADLINE_MARGIN_S", 0.5)

    async def attempt() -> None:
        box = await asyncio.to_thread(JailSandboxEnvironment.started)
        try:
            assert box._supervisor is not None
            os.killpg(box._supervisor._proc.pid, signal.SIGSTOP)  # as a ptrace stop would
            with pytest.raises(SandboxUnavailableError, match="gave no answer"):
                await box.exec(["echo", "hi"], timeout=1)
            with pytest.raises(SandboxUnavailableError):
                await box.exec(["echo", "hi"], timeout=1)
        finally:
            await JailSandboxEnvironment.sample_cleanup("t", None, {"default": box}, False)

    asyncio.run(attempt())


def test_killing_every_process_restarts_the_shell_and_the_sample_goes_on(
    tmp_path: Path,
) -> None:
    steps = [_output("bash", command=c) for c in ("kill -9 -1", "echo alive")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILL_EVAL_SUITE", str(MINI_SUITE))
        log = run_eval(
            backend(arm="baseline", tasks=TASK),
            get_model(MODEL, custom_outputs=[*steps, _output()]),
            tmp_path / "logs",
        )
    assert _only_sample(log).error is None
    replies = _bash_replies(log)
    assert replies[0].endswith("[the shell exited; the next command starts a new one]")
    assert replies[1] == "alive\n"


def test_a_sample_error_is_that_trials_infrastructure_error_and_the_eval_goes_on(
    tmp_path: Path,
) -> None:
    def broken(*args: Any) -> ModelOutput:
        raise RuntimeError("the model provider broke")

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SKILL_EVAL_SUITE", str(MINI_SUITE))
        log = run_eval(
            backend(arm="baseline", tasks=TASK),
            get_model(MODEL, custom_outputs=broken),
            tmp_path / "logs",
        )
    sample = _only_sample(log)
    assert sample.error is not None
    (record,) = load_inspect_run(tmp_path / "logs").records
    assert record.infra_error
    assert not record.resolved
    assert "the model provider broke" in record.agent.detail


@pytest.mark.parametrize("field", ["skill_hash", "task_hash"])
def test_logs_of_different_experiments_are_not_merged(
    evals: Evals, field: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    first = logs / "a.eval"
    write_eval_log(read_eval_log(evals.skill.location), str(first))
    other = read_eval_log(evals.skill.location)
    for sample in other.samples or []:
        sample.metadata[METADATA_KEY][field] = "0" * 64
    second = logs / "b.eval"
    write_eval_log(other, str(second))
    assert main(["report", str(logs)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert str(first) in err
    assert str(second) in err
    assert field in err
