"""The real agent CLIs in the tests: where they are, and the session their fake models play.

One session, told by each fake model API in its client's own tool vocabulary: read a file,
invoke the skill and read one of its references (only when the client's request lists the
skill), write the solution, run a command, finish. A fake decides each answer from the
conversation it is sent (how many model turns it already holds), so the session needs no state
of its own; it notes, per workspace (the client names its working directory in every request),
what it answered and the token counts it reported, and each request's text, so a test can tell
the trials apart and compare what a run recorded with what the client was told.

The CLIs (and the ``skills`` installer with the Node.js it needs) are the npm packages pinned
in ``tests/clients/package.json``, installed by
``tests/clients/install.sh`` (CI runs it) into ``$SKILL_EVAL_CLIENTS_DIR`` (default
``~/.cache/skill-eval/clients``). A test that needs a missing or stale client fails, saying how
to install it, unless ``SKILL_EVAL_CLIENTS=0`` says this machine runs without them (then it is
skipped); CI never sets it.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.cli import main
from harness.paths import REPO_ROOT
from harness.store.models import TrialRecord
from harness.store.run_store import RunStore
from tests.conftest import MINI_SUITE

CLIENTS_PIN = Path(__file__).parent / "clients" / "package.json"
PACKAGES = {
    "claude": "@anthropic-ai/claude-code",
    "codex": "@openai/codex",
    "gemini": "@google/gemini-cli",
}
SKILL_META = yaml.safe_load((REPO_ROOT / "skill" / "SKILL.md").read_text().split("---\n")[1])
SKILL_NAME: str = SKILL_META["name"]
SKILL_DESCRIPTION: str = SKILL_META["description"]
REFERENCE = "references/domain-driven-design.md"  # the mini task's reference section
PRICING = "src/minisvc/domain/pricing.py"
START = (MINI_SUITE / "fixture" / PRICING).read_text()
SOLUTION = (MINI_SUITE / "tasks/add-discount/solution" / PRICING).read_text()
# Run by the client in its jail, where the harness's interpreter is visible at its own path.
CHECK = (
    f"{sys.executable} -c 'from minisvc.domain.pricing import discounted;"
    ' print("discounted", discounted(1000, 15))\''
)
CHECK_OUTPUT = "discounted 850"
FINAL = "Added discounted() to the pricing module."


def clients_dir() -> Path:
    configured = os.environ.get("SKILL_EVAL_CLIENTS_DIR")
    return Path(configured) if configured else Path.home() / ".cache" / "skill-eval" / "clients"


def client_bin(binary: str) -> Path:
    """The pinned, installed CLI ``binary``: a test without it fails (or skips, if told)."""
    return installed_file(PACKAGES[binary], Path(".bin") / binary)


def installed_file(package: str, path: Path) -> Path:
    """``path`` (relative to node_modules) from the pinned, installed npm ``package``: a test
    without it fails (or skips, if told)."""
    pinned = json.loads(CLIENTS_PIN.read_text())["dependencies"][package]
    root = clients_dir() / "node_modules"
    program = root / path
    try:
        installed = json.loads((root / package / "package.json").read_text())["version"]
    except (OSError, ValueError):
        installed = None
    problem = None
    if installed is None or not program.exists():
        problem = f"{package} is not installed in {clients_dir()}"
    elif installed != pinned:
        problem = f"{package} {installed} is installed in {clients_dir()}; the pin is {pinned}"
    if problem:
        if os.environ.get("SKILL_EVAL_CLIENTS") == "0":
            pytest.skip(f"{problem} (SKILL_EVAL_CLIENTS=0)")
        pytest.fail(
            f"{problem}: run tests/clients/install.sh (or set SKILL_EVAL_CLIENTS=0 to skip the"
            " real-client tests on a machine without them)",
            pytrace=False,
        )
    return program


def use_client(binary: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put the installed client first on PATH, as a user's installation would be."""
    program = client_bin(binary)
    monkeypatch.setenv("PATH", f"{program.parent}{os.pathsep}{os.environ['PATH']}")
    return program


# --- the session ---------------------------------------------------------------------------


def plan(skill_listed: bool) -> list[str]:
    steps = ["read"]
    if skill_listed:
        steps += ["skill", "skill_file"]
    return [*steps, "edit", "run", "finish"]


@dataclass(frozen=True)
class Tokens:
    """What one answer reports: uncached input, cached input, output (distinct per turn)."""

    fresh: int
    cached: int
    output: int


def tokens_for(turn: int) -> Tokens:
    return Tokens(fresh=2000 + 100 * turn, cached=400 + turn, output=30 + turn)


@dataclass
class Trial:
    """One client session as its fake model saw it."""

    listed: list[bool] = field(default_factory=list)  # per request: was the skill listed?
    actions: list[str] = field(default_factory=list)
    tokens: list[Tokens] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # per request, everything it says

    def total(self, attribute: str) -> int:
        return sum(getattr(t, attribute) for t in self.tokens)


@dataclass
class Script:
    """The session every fake plays; what it answered, per client working directory."""

    trials: dict[str, Trial] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self, cwd: str, text: str, turn: int) -> tuple[str, Tokens]:
        listed = SKILL_NAME in text
        steps = plan(listed)
        action, tokens = steps[min(turn, len(steps) - 1)], tokens_for(turn)
        with self.lock:
            trial = self.trials.setdefault(cwd, Trial())
            trial.listed.append(listed)
            trial.actions.append(action)
            trial.tokens.append(tokens)
            trial.texts.append(text)
        return action, tokens

    def trial(self, record: TrialRecord) -> Trial:
        (found,) = [t for cwd, t in self.trials.items() if f"/{record.key}/" in f"{cwd}/"]
        return found


def request_text(value: Any) -> str:
    """Every string in a request body, joined: what the model is told, unescaped."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(request_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(request_text(v) for v in value)
    return ""


def search(pattern: str, text: str) -> str:
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in the request"
    return match.group(1)


# --- running trials and reading what they recorded -----------------------------------------


def run_trials(
    tmp_path: Path, preset: str, model: str, arms: str, *extra: str
) -> tuple[int, dict[str, TrialRecord], Path]:
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "command", "--preset", preset, "--model", model,
            "--arms", arms, "-j", "1", "--run-dir", str(run_dir), *extra]  # fmt: skip
    code = main(argv)
    records: dict[str, TrialRecord] = {r.spec.arm: r for r in RunStore.open(run_dir).records()}
    return code, records, run_dir


def client_result(record: TrialRecord, run_dir: Path) -> list[dict[str, Any]]:
    """The client's own events for a trial, as the run stored them."""
    events = json.loads((run_dir / "trials" / record.key / "transcript.json").read_text())
    assert isinstance(events, list)
    return events


def assert_solved_session(
    script: Script, records: dict[str, TrialRecord], run_dir: Path, skill_reads: list[str]
) -> None:
    """What every client's end-to-end test asserts, arm by arm."""
    store = RunStore.open(run_dir)
    skill, baseline = script.trial(records["skill"]), script.trial(records["baseline"])
    # The skill arm's client lists the skill, name and description, from its first request.
    assert skill.listed[0]
    assert SKILL_NAME in skill.texts[0]
    assert " ".join(SKILL_DESCRIPTION.split()) in " ".join(skill.texts[0].split())
    assert skill.actions == plan(True)
    # The baseline arm's client has no trace of it, in any request.
    assert not any(baseline.listed)
    assert not any(SKILL_DESCRIPTION[:60] in " ".join(text.split()) for text in baseline.texts)
    assert baseline.actions == plan(False)
    assert records["skill"].agent.skill_reads == skill_reads
    assert records["baseline"].agent.skill_reads == []
    for arm, record in records.items():
        trial = script.trial(record)
        assert record.agent.status == "completed", (arm, record.agent.detail)
        assert "return sum(prices)" in trial.texts[trial.actions.index("read") + 1]
        assert CHECK_OUTPUT in trial.texts[trial.actions.index("run") + 1]
        diff = store.diff(record.key)
        assert "+def discounted(total: int, percent: int) -> int:" in diff
        assert "skills/" not in diff  # the installed skill is removed before the diff
        assert record.score is not None
        assert record.resolved, record.score.failed_checks
        usage = record.agent.usage
        assert usage.input_tokens == trial.total("fresh"), arm
        assert usage.cache_read_tokens == trial.total("cached"), arm
        assert usage.output_tokens == trial.total("output"), arm
