"""The warm pytest zygote: same sandbox and verdicts as a fresh interpreter, and robust to abuse."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import cli
from harness.scoring import sandbox, zygote
from harness.scoring.checks.pytest_run import run_pytest
from harness.scoring.result import ScoreResult
from harness.scoring.scorer import score
from harness.task import Task
from tests.conftest import WorkspaceFactory

AUTOLOAD_OFF = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}


def pytest_args(root: Path, *extra: str) -> list[str]:
    config = str(root / "pyproject.toml")
    return ["-c", config, "--rootdir", str(root), "-p", "no:cacheprovider", *extra]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    return root


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port on this machine's loopback that accepts connections."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


PROBE = """
import os, resource, socket

def test_probe() -> None:
    home = os.environ["HOME"]
    mounts = open("/proc/self/mountinfo").read().splitlines()
    on_home = [line for line in mounts if line.split()[4] == home]
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", PORT))
        network = "reachable"
    except OSError:
        network = "unreachable"
    print("key", os.environ.get("ANTHROPIC_API_KEY"))
    print("environ-has-key", b"sk-ant" in open("/proc/self/environ", "rb").read())
    print("home-tmpfs", any(" - tmpfs " in line for line in on_home))
    print("network", network)
    print("as-limit", resource.getrlimit(resource.RLIMIT_AS)[0])
    print("zygote-visible", os.path.exists(SOCKET))
"""


def test_the_warm_run_is_sandboxed_like_a_fresh_one(
    project: Path, listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    probe = PROBE.replace("PORT", str(listener))
    (project / "test_probe.py").write_text(probe.replace("SOCKET", repr(str(zygote.socket_path()))))
    args = pytest_args(project, "-s", "test_probe.py")
    done = zygote.run_pytest(args, project, 30, AUTOLOAD_OFF, memory_bytes=3 << 30)
    assert done is not None, "the zygote did not run"
    assert done.returncode == 0, done.stdout + done.stderr
    assert "key None" in done.stdout
    assert "environ-has-key False" in done.stdout
    assert f"as-limit {3 << 30}" in done.stdout
    if sandbox.isolation()[1].network_isolated:
        assert "network unreachable" in done.stdout
        assert "home-tmpfs True" in done.stdout
        assert "zygote-visible False" in done.stdout
    else:  # the same fallback as a fresh process, and the result says so
        assert "NOT network-isolated" in sandbox.isolation()[1].description
    fresh = sandbox.run(
        ["python3", "-c", f"import socket; socket.create_connection(('127.0.0.1', {listener}), 2)"],
        cwd=project,
        timeout_s=20,
    )
    assert (fresh.returncode != 0) == sandbox.isolation()[1].network_isolated


def test_a_hanging_run_is_killed_and_the_zygote_serves_the_next(project: Path) -> None:
    (project / "test_hang.py").write_text(
        "import time\n\ndef test_hang() -> None:\n    time.sleep(3600)\n"
    )
    (project / "test_quick.py").write_text("def test_quick() -> None:\n    pass\n")
    started = time.monotonic()
    hung = zygote.run_pytest(pytest_args(project, "test_hang.py"), project, 2, AUTOLOAD_OFF)
    assert hung is not None
    assert hung.timed_out
    assert time.monotonic() - started < 15
    ident = zygote.socket_path().stat().st_ino
    quick = zygote.run_pytest(pytest_args(project, "test_quick.py"), project, 30, AUTOLOAD_OFF)
    assert quick is not None
    assert quick.returncode == 0
    assert "1 passed" in quick.stdout
    assert zygote.socket_path().stat().st_ino == ident  # the same zygote, not a new one


def test_a_client_that_goes_away_takes_its_run_with_it(project: Path) -> None:
    pid_file = project / "pid"
    (project / "test_hang.py").write_text(
        "import os, time\n\ndef test_hang() -> None:\n"
        f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
        "    time.sleep(3600)\n"
    )
    conn = zygote.connect(zygote.socket_path())
    assert conn is not None
    home = project / "home"
    home.mkdir()
    request = {
        "args": pytest_args(project, "test_hang.py"),
        "cwd": str(project),
        "env": sandbox.scrubbed_env(home, AUTOLOAD_OFF),
        "timeout_s": 600,
        "memory_bytes": sandbox.DEFAULT_MEMORY_BYTES,
        "isolate": sandbox.isolation()[1].network_isolated,
        "mounts": [],
        "stdout": str(project / "out"),
        "stderr": str(project / "err"),
    }
    conn.sendall(json.dumps(request).encode() + b"\n")
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, (project / "err").read_text()
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    assert Path(f"/proc/{pid}").exists()
    conn.close()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists():
        assert time.monotonic() < deadline, "the worker outlived its client"
        time.sleep(0.05)


def stop_and_wait(path: Path) -> None:
    """Stop the zygote at ``path`` and wait until its socket is gone."""
    zygote.stop(path)
    deadline = time.monotonic() + 10
    while path.exists():
        assert time.monotonic() < deadline, "the zygote did not stop"
        time.sleep(0.05)


def test_a_dead_zygotes_socket_is_replaced(project: Path) -> None:
    path = zygote.socket_path()
    stop_and_wait(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX) as dead:  # a socket file nobody listens on
        dead.bind(str(path))
    (project / "test_quick.py").write_text("def test_quick() -> None:\n    pass\n")
    done = zygote.run_pytest(pytest_args(project, "test_quick.py"), project, 30, AUTOLOAD_OFF)
    assert done is not None
    assert "1 passed" in done.stdout


def test_a_fresh_run_cannot_reach_the_zygote_either(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert zygote.connect(zygote.socket_path()) is not None  # there is one to hide
    monkeypatch.setenv("SKILL_EVAL_ZYGOTE", "0")
    (project / "test_hidden.py").write_text(
        "import os\n\n\ndef test_hidden() -> None:\n"
        f"    assert not os.path.exists({str(zygote.socket_path())!r})\n"
    )
    scratch = project / "scratch"
    scratch.mkdir()
    run = run_pytest(project, scratch, ["test_hidden.py"], timeout_s=30)
    assert not run.warm
    hidden = sandbox.isolation()[1].network_isolated  # a mount namespace hides it
    assert [c.outcome for c in run.cases] == ["passed" if hidden else "failed"]


def test_no_sandbox_in_the_zygote_means_a_fresh_run(tmp_path: Path) -> None:
    missing = tmp_path / "gone"  # the worker cannot chdir there: pytest never starts
    assert zygote.run_pytest(["--version"], missing, 30, AUTOLOAD_OFF) is None


def assert_runs_fresh(project: Path) -> None:
    """The zygote declines a quick test, and the pytest check runs it fresh, passing."""
    (project / "test_quick.py").write_text("def test_quick() -> None:\n    pass\n")
    assert zygote.run_pytest(["test_quick.py"], project, 30, AUTOLOAD_OFF) is None
    scratch = project / "scratch"
    scratch.mkdir()
    run = run_pytest(project, scratch, ["test_quick.py"], timeout_s=30)
    assert not run.warm
    assert [c.outcome for c in run.cases] == ["passed"]


def test_the_zygote_can_be_turned_off(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILL_EVAL_ZYGOTE", "off")
    assert_runs_fresh(project)


def verdicts(result: ScoreResult) -> dict[str, tuple[bool, dict[str, int]]]:
    return {c.name: (c.passed, c.counts) for c in result.checks if c.name in {"tests", "mutation"}}


@pytest.mark.parametrize("variant", ["start", "solution", "wrong-math", "framework-import"])
def test_warm_and_fresh_runs_give_the_same_verdict(
    mini_task: Task,
    make_workspace: WorkspaceFactory,
    monkeypatch: pytest.MonkeyPatch,
    variant: str,
) -> None:
    workspace = make_workspace(variant)
    warm = score(mini_task, workspace)
    warm_tests = warm.check("tests")
    assert warm_tests is not None
    assert "warm zygote" in (warm_tests.isolation or "")
    monkeypatch.setenv("SKILL_EVAL_ZYGOTE", "0")
    fresh = score(mini_task, workspace)
    fresh_tests = fresh.check("tests")
    assert fresh_tests is not None
    assert "started fresh" in (fresh_tests.isolation or "")
    assert verdicts(warm) == verdicts(fresh)
    assert warm.resolved == fresh.resolved == (variant == "solution")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:  # a process that ended meanwhile
        return b""


def test_the_zygote_holds_no_secret_of_its_starter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-secret")
    path = zygote.socket_path()
    stop_and_wait(path)
    conn = zygote.connect(path)
    assert conn is not None
    conn.close()
    zygotes = [
        proc
        for proc in Path("/proc").iterdir()
        if proc.name.isdigit() and str(path).encode() in _read(proc / "cmdline")
    ]
    assert zygotes  # the zygote, and any run it has forked (they share its command line)
    for proc in zygotes:
        environ = _read(proc / "environ")
        assert b"sk-ant" not in environ
    assert os.environ["ANTHROPIC_API_KEY"] == "sk-ant-secret"


@pytest.fixture
def short_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A new cache with no zygote yet, at a path short enough for a Unix socket."""
    root = Path(tempfile.mkdtemp(prefix="se-"))
    monkeypatch.setenv("SKILL_EVAL_CACHE", str(root))
    yield root
    zygote.stop(zygote.socket_path())
    shutil.rmtree(root, ignore_errors=True)


def test_batch_commands_stop_the_zygote_they_started(short_cache: Path) -> None:
    path = zygote.socket_path()
    assert path.is_relative_to(short_cache)
    assert zygote.connect(path) is not None
    assert path.exists()
    assert cli.main(["validate", "no-such-task"]) == 2
    deadline = time.monotonic() + 10
    while path.exists():
        assert time.monotonic() < deadline, "validate left its zygote running"
        time.sleep(0.05)


def test_score_leaves_the_zygote_warm_for_the_next_call(
    mini_task: Task, make_workspace: WorkspaceFactory
) -> None:
    workspace = make_workspace("solution")
    assert cli.main(["score", mini_task.id, str(workspace)]) == 0
    ident = zygote.socket_path().stat().st_ino
    assert cli.main(["score", mini_task.id, str(workspace)]) == 0
    assert zygote.socket_path().stat().st_ino == ident


def test_an_unusable_socket_directory_means_fresh_runs(short_cache: Path, project: Path) -> None:
    blocker = zygote.socket_path().parent
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a directory")
    assert_runs_fresh(project)


def test_a_zygote_that_hangs_up_before_the_request_means_a_fresh_run(project: Path) -> None:
    """Seen under load: the zygote exits (idle) just as a client connects; sending the request
    then fails with a broken pipe. That is no verdict, never a crash of the check."""
    path = zygote.socket_path()
    stop_and_wait(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
        server.listen()
        server.settimeout(10)

        def hang_up() -> None:
            conn, _ = server.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()  # a reset, not a goodbye: the client's send fails

        accepting = threading.Thread(target=hang_up)
        accepting.start()
        try:
            done = zygote.run_pytest(pytest_args(project, "-q"), project, 30, AUTOLOAD_OFF)
        finally:
            accepting.join()
    assert done is None
    path.unlink(missing_ok=True)
