"""The agent's persistent bash session: state carries over, nothing escapes, nothing hangs."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.agents.shell import KEEP_BYTES, ShellSession
from harness.agents.tools import ToolBox
from harness.scoring import sandbox
from tests.conftest import appears, gone


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    return root


@pytest.fixture
def shell(workspace: Path) -> Iterator[ShellSession]:
    with ShellSession(workspace) as session:
        yield session


def test_directory_variables_and_functions_carry_over(shell: ShellSession) -> None:
    shell.run('cd src && export GREETING=hello && shout() { echo "$1!"; }', 10)
    done = shell.run('pwd; echo "$GREETING"; shout hey', 10)
    assert done.stdout.splitlines() == [str(shell.cwd / "src"), "hello", "hey!"]
    assert done.exit_code == 0


def test_output_streams_and_exit_status_are_kept_apart(shell: ShellSession) -> None:
    command = "printf 'no newline'; echo oops >&2; exit_with() { return $1; }; exit_with 7"
    done = shell.run(command, 10)
    assert done.stdout == "no newline"
    assert done.stderr.strip() == "oops"
    assert done.exit_code == 7
    assert not done.shell_ended


def test_a_command_reading_stdin_does_not_swallow_the_next(shell: ShellSession) -> None:
    assert shell.run("cat; read -r line; echo read=$?", 10).stdout.strip() == "read=1"
    assert shell.run("echo still here", 10).stdout == "still here\n"


def test_a_syntax_error_fails_fast_and_keeps_the_session(shell: ShellSession) -> None:
    shell.run("cd src", 10)
    started = time.monotonic()
    broken = shell.run("echo 'unclosed", 10)
    assert time.monotonic() - started < 5
    assert broken.exit_code != 0
    assert "unexpected EOF" in broken.stderr
    assert shell.run("pwd", 10).stdout.strip() == str(shell.cwd / "src")


def test_a_timeout_kills_the_session_and_what_it_started(shell: ShellSession) -> None:
    shell.run("cd src", 10)
    shell.run("sleep 1000.1 & setsid sleep 1000.2 &", 10)
    assert appears("1000.1")
    assert appears("1000.2")
    started = time.monotonic()
    hung = shell.run("echo before; sleep 1000", 1)
    assert time.monotonic() - started < 5
    assert hung.timed_out
    assert hung.shell_ended
    assert hung.stdout == "before\n"
    assert gone("1000.1")
    assert gone("1000.2")  # a detached child too: it dies with the session's PID namespace
    assert shell.run("pwd", 10).stdout.strip() == str(shell.cwd)  # a new session


def test_exit_ends_the_session_and_the_next_command_gets_a_new_one(shell: ShellSession) -> None:
    shell.run("export KEPT=1", 10)
    ended = shell.run("echo bye; exit 3", 10)
    assert ended.shell_ended
    assert ended.stdout == "bye\n"
    assert shell.run("echo ${KEPT:-unset}", 10).stdout == "unset\n"


def test_closing_kills_background_processes(workspace: Path) -> None:
    session = ShellSession(workspace)
    session.run("sleep 1000.3 &", 10)
    assert appears("1000.3")
    session.close()
    assert gone("1000.3")


def test_huge_output_is_bounded(shell: ShellSession) -> None:
    done = shell.run("head -c 5000000 /dev/zero | tr '\\0' x; echo; echo end", 30)
    assert done.exit_code == 0
    assert len(done.stdout) < 3 * KEEP_BYTES + 100
    assert "bytes dropped" in done.stdout
    assert done.stdout.endswith("x\nend\n")


def test_the_session_is_sandboxed(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    hidden = tmp_path / "hidden"
    hidden.mkdir()
    (hidden / "test_answer.py").write_text("secret")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with ShellSession(workspace, hidden=(hidden,)) as session:
            env = session.run("env", 10).stdout
            listing = session.run(f"ls -A {hidden}", 10).stdout
            probe = session.run(
                "python3 -c \"import socket; socket.create_connection(('127.0.0.1', "
                f'{port}), 2)" 2>/dev/null && echo reachable || echo unreachable',
                10,
            ).stdout
    assert "sk-ant" not in env
    if sandbox.isolation()[1].network_isolated:
        assert listing == ""
        assert probe.strip() == "unreachable"
    else:  # no namespaces on this kernel: the scoring result says so
        assert "NOT network-isolated" in sandbox.isolation()[1].description
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-secret"


def test_the_tool_reports_timeouts_exits_and_restarts(workspace: Path) -> None:
    with ToolBox(workspace=workspace, command_timeout_s=1) as tools:
        assert tools.bash({"command": "cd src; false"}) == "\n[exit code 1]"
        assert tools.bash({"command": "pwd"}).strip().endswith("/ws/src")
        assert "timed out after 1 s" in tools.bash({"command": "sleep 30"})
        assert tools.bash({"command": "pwd"}).strip().endswith("/ws")
        tools.bash({"command": "cd src"})
        assert tools.bash({"restart": True}) == "The bash session has been restarted."
        assert tools.bash({"command": "pwd"}).strip().endswith("/ws")
        assert "the shell exited" in tools.bash({"command": "exit 0"})
