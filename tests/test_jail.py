"""Sound scoring: what agents and the code under test cannot reach, by construction.

Each test plays a determined agent (or hostile code under test) and checks the mechanism holds:
the jail (uid 65534 in mount, PID and network namespaces), the diff taken outside the
workspace's git, and the read-only tree under test. They need root, as CI has: the jail's
strong form drops from root to an unprivileged user.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.agents.shell import ShellSession
from harness.paths import REPO_ROOT
from harness.scoring import sandbox
from harness.scoring.result import CheckResult, ScoreResult
from harness.scoring.scorer import score
from harness.store.runner import workspace_diff
from harness.task import Task
from harness.task.model import CheckName
from tests.conftest import WorkspaceFactory, appears, gone, install_cli

PRICING = "src/minisvc/domain/pricing.py"
HIDDEN = "tests/hidden/test_discount.py"
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the strong jail needs root (CI has it)")


def check(result: ScoreResult, name: CheckName) -> CheckResult:
    found = result.check(name)
    assert found is not None
    return found


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    hidden = tmp_path / "hidden-material"
    hidden.mkdir()
    (hidden / "solution.patch").write_text("THE-ANSWER\n")
    return hidden


def test_the_jail_is_available_here() -> None:
    assert sandbox.jail_available()


@pytest.mark.parametrize(
    "attempt",
    [
        "umount {h}; cat {h}/solution.patch",
        "umount -l {h}; cat {h}/solution.patch",
        "unshare -Urm sh -c 'umount {h}; cat {h}/solution.patch'",
        "unshare -Urm sh -c 'mkdir -p /tmp/m; mount --bind {p} /tmp/m;"
        " cat /tmp/m/{n}/solution.patch'",
        "for r in /proc/[0-9]*/root; do cat $r{h}/solution.patch; done",
        "nsenter -t 1 -m cat {h}/solution.patch",
    ],
    ids=["umount", "lazy-umount", "own-userns", "bind-parent", "proc-root", "nsenter"],
)
def test_an_agent_cannot_undo_the_hiding(tmp_path: Path, secret: Path, attempt: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with ShellSession(workspace, hidden=(secret,)) as shell:
        command = attempt.format(h=secret, p=secret.parent, n=secret.name)
        out = shell.run(command + " 2>&1; echo done", 30)
    assert "done" in out.stdout
    assert "THE-ANSWER" not in out.stdout + out.stderr


def test_an_agent_cannot_write_the_harness_or_see_its_processes(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    targets = [REPO_ROOT / "harness" / "pwned.py", Path(sys.prefix) / "pwned.pth"]
    with ShellSession(workspace) as shell:
        for target in targets:
            shell.run(f"echo x > {target}", 10)
        mine = shell.run("echo ok > mine.txt; cat mine.txt", 10).stdout
        processes = shell.run("ls /proc | grep -c '^[0-9]'", 10).stdout
        uid = shell.run("id -u", 10).stdout.strip()
    assert mine == "ok\n"  # the workspace is the agent's
    assert not any(t.exists() for t in targets)
    assert int(processes) < 10  # its own shell and children, not the machine's
    assert uid == "65534"


def test_detached_children_end_with_the_session(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    marker = "4242.17"
    with ShellSession(workspace) as shell:
        shell.run(f"setsid nohup sleep {marker} > /dev/null 2>&1 &", 10)
        assert appears(marker)  # it did start, outside the session's process group
    assert gone(marker), "a detached child outlived the session"


def test_git_configuration_in_the_workspace_never_runs(
    mini_task: Task, make_workspace: WorkspaceFactory, tmp_path: Path
) -> None:
    workspace = make_workspace("start")
    marker = tmp_path / "ran-as-harness"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    git = ["git", "-C", str(workspace)]
    env = {**os.environ, "GIT_CONFIG_GLOBAL": "/dev/null", "HOME": str(tmp_path)}
    for args in (
        ["init", "-q"],
        ["add", "-A"],
        ["-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "start"],
    ):
        subprocess.run([*git, *args], check=True, env=env)
    (workspace / PRICING).write_text((workspace / PRICING).read_text() + "\nCHANGED = 1\n")
    subprocess.run([*git, "add", "-A"], check=True, env=env)
    subprocess.run(
        [*git, "-c", "user.name=a", "-c", "user.email=a@b", "commit", "-qm", "work"],
        check=True,
        env=env,
    )  # committed: a diff against HEAD would be empty
    for key, value in (
        ("core.fsmonitor", str(hook)),
        ("diff.external", str(hook)),
        ("core.pager", str(hook)),
    ):
        subprocess.run([*git, "config", key, value], check=True, env=env)
    (workspace / ".gitattributes").write_text("*.py filter=evil diff=evil\n")
    subprocess.run([*git, "config", "filter.evil.clean", str(hook)], check=True, env=env)
    diff = workspace_diff(mini_task, workspace)
    assert "+CHANGED = 1" in diff
    assert not marker.exists()


HIDDEN_REWRITE = f'''
import pathlib

_hidden = pathlib.Path("{HIDDEN}")
_names = ["test_ten_percent_off", "test_rounds_down", "test_rejects_out_of_range"]
try:
    _hidden.write_text("".join(f"def {{n}}() -> None:\\n    pass\\n" for n in _names))
except OSError:
    pass
'''


def test_code_under_test_cannot_rewrite_the_hidden_tests(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("start")
    with (workspace / PRICING).open("a") as handle:  # imported by the visible tests first
        handle.write(HIDDEN_REWRITE)
    result = score(mini_task, workspace)
    assert check(result, "tests").counts["hidden_passed"] == 0
    assert not result.resolved


POISON = """
import pathlib

for _target in {targets!r}:
    try:
        pathlib.Path(_target).write_text("poisoned")
    except OSError:
        pass
"""


def test_code_under_test_cannot_poison_shared_state(
    mini_task: Task, make_workspace: WorkspaceFactory, cache_root: Path
) -> None:
    targets = [
        str(REPO_ROOT / "harness" / "poisoned.py"),
        str(Path(sys.prefix) / "poisoned.pth"),
        str(cache_root / "poisoned.txt"),
        "/var/tmp/poisoned.txt",
    ]
    workspace = make_workspace("solution")
    with (workspace / PRICING).open("a") as handle:
        handle.write(POISON.format(targets=targets))
    result = score(mini_task, workspace)
    assert check(result, "tests").passed  # the writes failed quietly; the solution is right
    assert not [t for t in targets if Path(t).exists()]


KILL_PARENT = """
import os
import signal

os.kill(os.getppid(), signal.SIGKILL)
os.killpg(os.getpgid(0), signal.SIGKILL)
"""


def test_code_that_kills_its_parent_leaves_a_verdict(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    with (workspace / PRICING).open("a") as handle:
        handle.write(KILL_PARENT)
    done = subprocess.run(
        [sys.executable, "-m", "harness.cli", "score", mini_task.id, str(workspace), "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 1, done.stderr[-500:]  # 1: scored, not resolved; never killed
    assert json.loads(done.stdout)["resolved"] is False


def test_the_editor_never_follows_a_link_and_creates_files_the_agent_owns(tmp_path: Path) -> None:
    from harness.agents.tools import ToolBox, ToolError

    workspace, outside = tmp_path / "ws", tmp_path / "outside"
    workspace.mkdir()
    outside.mkdir()
    (outside / "secret.txt").write_text("THE-ANSWER")
    with ToolBox(workspace) as tools:
        tools.bash({"command": "mkdir pkg && echo hi > pkg/a.txt"})  # the jail gives it to 65534
        (workspace / "via").symlink_to(outside)
        for args in (
            {"command": "view", "path": "via/secret.txt"},
            {"command": "create", "path": "via/planted.py", "file_text": "x = 1\n"},
        ):
            with pytest.raises(ToolError):
                tools.editor(args)
        tools.editor({"command": "create", "path": "pkg/new/b.py", "file_text": "y = 2\n"})
        owner = tools.bash({"command": "stat -c %u pkg/new/b.py pkg/new"}).split()
    assert not (outside / "planted.py").exists()
    assert owner == ["65534", "65534"]
    assert len(tools.refused) == 2


LINKING_CLAUDE = r"""#!{python}
import json, os, pathlib, shutil
pathlib.Path(".claude").rename(".claude-installed")  # the agent owns its workspace
os.symlink({target!r}, ".claude")
print(json.dumps({{"type": "result", "subtype": "success", "num_turns": 1}}))
"""


def test_removing_the_installed_skill_never_follows_the_agents_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CLI that replaces .claude with a link to the user's skills: the harness, removing the
    skill it installed, must not delete the user's copy through that link."""
    from harness.cli import main

    users = tmp_path / "users-claude"
    (users / "skills" / "python-backend-architecture").mkdir(parents=True)
    (users / "skills" / "python-backend-architecture" / "SKILL.md").write_text("mine")
    users.chmod(0o755)
    script = LINKING_CLAUDE.format(python=sys.executable, target=str(users))
    install_cli(tmp_path, monkeypatch, "claude", script)
    run_dir = tmp_path / "run"
    argv = ["run", "--agent", "command", "--preset", "claude-code", "--model", "m",
            "--arms", "skill", "--run-dir", str(run_dir)]  # fmt: skip
    assert main(argv) == 0
    assert (users / "skills" / "python-backend-architecture" / "SKILL.md").read_text() == "mine"


def test_an_agent_sees_nothing_of_the_checkout_but_its_tools(tmp_path: Path) -> None:
    """The checkout's git history holds every reference solution, its runs hold resolved diffs
    and its tests the mini suite's answers: an agent sees only the interpreter and its tools
    (the virtual environment)."""
    from harness.paths import suite_dir
    from harness.store.runner import default_hidden

    assert (REPO_ROOT / ".git").exists()  # the test means something only in a checkout
    workspace = tmp_path / "ws"
    workspace.mkdir()
    with ShellSession(workspace, hidden=default_hidden(suite_dir(), keep=(workspace,))) as shell:
        out = shell.run(
            f"git -c safe.directory='*' -C {REPO_ROOT} show HEAD:README.md 2>&1 | head -3;"
            f" find {REPO_ROOT}/.git {REPO_ROOT}/evals {REPO_ROOT}/tests -mindepth 1 | wc -l;"
            f" {sys.executable} -c 'import pytest, fastapi' && echo tools-ok",
            60,
        )
    lines = out.stdout.splitlines()
    assert "tools-ok" in lines
    assert "skill-eval" not in out.stdout  # README's text never came out of the history
    assert "0" in lines  # the three folders look empty


def test_the_checkout_is_hidden_around_the_folders_an_agent_must_see(tmp_path: Path) -> None:
    from harness.store.runner import repository_hidden

    root = tmp_path / "checkout"
    for folder in (
        ".venv",
        "harness",
        ".git",
        "evals",
        "runs/a/work/t1",
        "runs/a/trials",
        "runs/b",
    ):
        (root / folder).mkdir(parents=True)
    assert repository_hidden(root, ()) == ()  # not a checkout (an installed package's folder)
    (root / "pyproject.toml").write_text("[project]\n")
    hidden = repository_hidden(root, (root / "runs" / "a" / "work",))
    assert sorted(p.relative_to(root).as_posix() for p in hidden) == [
        ".git",
        "evals",
        "runs/a/trials",
        "runs/b",
    ]


def test_system_v_ipc_made_in_the_jail_never_reaches_the_host(tmp_path: Path) -> None:
    """A message queue is a channel between concurrent agents (one arm to the other) and a
    leak that outlives the trial: the jail has an IPC namespace of its own."""
    workspace = tmp_path / "ws"
    workspace.mkdir()
    before = subprocess.run(["ipcs", "-q"], capture_output=True, text=True, check=True).stdout
    with ShellSession(workspace) as shell:
        made = shell.run("ipcmk -Q && ipcs -q | grep -c '^0x'", 30)
    after = subprocess.run(["ipcs", "-q"], capture_output=True, text=True, check=True).stdout
    assert "Message queue id" in made.stdout  # the queue was made, inside
    assert after == before
