"""A warm pytest: one pre-imported process that forks a fresh, sandboxed child per run.

Every trial's tests start a Python that imports pytest, FastAPI, SQLAlchemy and Pydantic before
running a single test: about a second of CPU, a third of a trial. The zygote pays it once. It
imports those libraries (never workspace code), then waits on a Unix socket; for each request it
forks a supervisor, which forks the worker that becomes the sandbox. The worker does what the
``unshare -Urn --mount`` + ``prlimit`` prefix of :func:`harness.scoring.sandbox.run` does:

- a new session, then new user, network and mount namespaces (no network; HOME on a tmpfs);
- an address-space limit; the request's scrubbed environment (the zygote itself is started with
  a minimal one, so no key is in its memory or in ``/proc/self/environ``);
- ``pytest.main`` with the same arguments as ``python -I -m pytest`` gets.

The supervisor enforces the timeout (killing the worker's process group), kills the worker if the
client goes away, and answers with the exit code. The client falls back to a fresh process when
the zygote cannot be reached or cannot build the sandbox, so scoring never depends on it.

The socket lives under the scoring root, which agents' sandboxes hide, in a 0700 directory; the
zygote also checks its peer's uid. Its name hashes the interpreter, the installed packages and
this file, so a changed environment gets a new zygote. An idle zygote exits after
:data:`IDLE_SECONDS`, or as soon as its socket file is removed or replaced.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import functools
import gc
import hashlib
import importlib
import json
import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from harness import __version__
from harness.paths import scoring_root, suite_dir
from harness.scoring import jail, sandbox

# Imported once by the zygote: the test stack of the fixture service. Workspace code never is.
PRELOAD = (
    "pytest",
    "_pytest.junitxml",
    "_pytest.python",
    "fastapi",
    "starlette.routing",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "sqlalchemy.orm",
    "sqlalchemy.ext.asyncio",
    "sqlalchemy.dialects.sqlite.aiosqlite",
    "aiosqlite",
    "httpx",
    "anyio",
    "asyncio",
    "sqlite3",
)
IDLE_SECONDS = 120.0
SETUP_FAILED = 197  # the worker could not build its sandbox; pytest never ran
_TICK_SECONDS = 2.0
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes
_CLONE_NEWNS = 0x00020000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_MS_REC = 0x4000
_MS_PRIVATE = 0x40000


# --- the zygote (server side: standard library only) -------------------------------------------


def serve(path: Path, idle_s: float) -> None:
    """Import the test stack, listen on ``path``, then detach and serve until idle.

    The launcher's exit status says whether the zygote is listening; it exits non-zero when
    a preloaded module started a thread, because forking a threaded process is unsafe.
    """
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        sys.exit(f"zygote: {threads} threads after the imports; forking would be unsafe")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    staging = path.with_name(f".{path.name}.{os.getpid()}")
    listener.bind(str(staging))
    listener.listen(64)
    os.replace(staging, path)  # clients only ever connect to a zygote that is ready
    if os.fork():
        os._exit(0)  # the launcher returns; the zygote is re-parented and never a zombie
    os.setsid()
    gc.collect()
    gc.freeze()  # keep the imported objects' pages shared with every forked child
    ident = os.stat(path).st_ino
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped by the kernel
    listener.settimeout(_TICK_SECONDS)
    last_used = time.monotonic()
    try:
        while _still_ours(path, ident) and time.monotonic() - last_used < idle_s:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            last_used = time.monotonic()
            with conn:
                if not _same_user(conn):
                    continue
                request = _read_line(conn)
                if request is None:
                    continue
                if request.get("op") == "stop":
                    break
                if os.fork() == 0:
                    listener.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    try:
                        _supervise(conn, request)
                    finally:
                        os._exit(0)
    finally:
        if _still_ours(path, ident):
            path.unlink(missing_ok=True)
        listener.close()


def _still_ours(path: Path, ident: int) -> bool:
    try:
        return os.stat(path).st_ino == ident
    except OSError:
        return False


def _same_user(conn: socket.socket) -> bool:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return bool(uid == os.getuid())


def _read_line(conn: socket.socket, timeout_s: float = 5.0) -> dict[str, Any] | None:
    conn.settimeout(timeout_s)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        loaded = json.loads(data)
    except (OSError, ValueError):
        return None
    return loaded if isinstance(loaded, dict) else None


def _supervise(conn: socket.socket, request: dict[str, Any]) -> None:
    """Fork the worker, bound its wall time, and report how it ended."""
    started = time.monotonic()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    out = os.open(request["stdout"], flags, 0o600)
    err = os.open(request["stderr"], flags, 0o600)
    pid = os.fork()
    if pid == 0:
        code = SETUP_FAILED
        try:
            os.setsid()
            devnull = os.open(os.devnull, os.O_RDONLY)
            for fd, target in ((devnull, 0), (out, 1), (err, 2)):
                os.dup2(fd, target)
            conn.close()
            code = _work(request)
        except BaseException:  # anything before or around pytest: say so on stderr
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)
    os.close(out)
    os.close(err)
    timed_out = False
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:  # a kernel before 5.3: no supervision, so no run; the client falls back
        for kill in (os.killpg, os.kill):  # its group, or itself if it has none yet
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return
    conn.settimeout(None)
    while True:
        remaining = started + float(request["timeout_s"]) - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([pidfd, conn.fileno()], [], [], remaining)
        if pidfd in ready:
            break
        if conn.fileno() in ready:  # the client hung up (or talks out of turn): stop the run
            break
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # stray grandchildren go too
    _, status = os.waitpid(pid, 0)
    os.close(pidfd)
    reply = {
        "returncode": os.waitstatus_to_exitcode(status),
        "timed_out": timed_out,
        "duration_s": time.monotonic() - started,
    }
    with contextlib.suppress(OSError):
        conn.sendall(json.dumps(reply).encode() + b"\n")


def _work(request: dict[str, Any]) -> int:
    """In the forked worker: become the sandbox, then run pytest in this warm interpreter."""
    try:
        if request.get("jail"):  # as root: uid 65534 in mount, PID and network namespaces
            jail.enter(jail.Jail.from_json(str(request["jail"])))
        elif request["isolate"]:
            _enter_namespaces([(str(size), str(p)) for size, p in request["mounts"]])
        limit = int(request["memory_bytes"])
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in request["env"].items()})
        tempfile.tempdir = None  # recomputed from the new TMPDIR
        for signum in (signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.SIG_DFL)
    except BaseException:
        traceback.print_exc()
        return SETUP_FAILED
    import pytest

    args = [str(a) for a in request["args"]]
    sys.argv = ["pytest", *args]
    return int(pytest.main(args))


def _enter_namespaces(mounts: list[tuple[str, str]]) -> None:
    """``unshare --user --map-root-user --net --mount``, then the tmpfs mounts."""
    libc = ctypes.CDLL(None, use_errno=True)
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET | _CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(user, net, mount) failed")
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
    if libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        raise OSError(ctypes.get_errno(), "making / private failed")
    for size, target in mounts:
        options = f"size={size}".encode()
        if libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, options) != 0:
            raise OSError(ctypes.get_errno(), f"mounting a tmpfs on {target} failed")


# --- the client --------------------------------------------------------------------------------


def enabled() -> bool:
    return os.environ.get("SKILL_EVAL_ZYGOTE", "1").lower() not in {"0", "off", "no", "false"}


@functools.cache
def _key() -> str:
    """This interpreter, the installed packages and this file: what a zygote was built from."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    parts = (
        os.path.realpath(sys.executable),
        __version__,
        hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        hashlib.sha256(Path(jail.__file__).read_bytes()).hexdigest(),
        str(site.stat().st_mtime_ns),
    )
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def socket_path() -> Path:
    """Where this interpreter's zygote listens (under the scoring root that agents cannot see)."""
    return scoring_root() / "zygote" / f"{_key()}.sock"


_STARTED: set[Path] = set()  # zygotes this process started


def _zygote_env() -> dict[str, str]:
    bin_dir = str(Path(sys.executable).parent)
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}


def _connect(path: Path) -> socket.socket | None:
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(str(path))
    except OSError:
        conn.close()
        return None
    return conn


def connect(path: Path, start_timeout_s: float = 20.0) -> socket.socket | None:
    """A connection to the zygote at ``path``, starting one if none answers; None if impossible."""
    conn = _connect(path)
    if conn is not None or len(str(path)) > _MAX_SOCKET_PATH:
        return conn
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one starter at a time; the others find it ready
        conn = _connect(path)
        if conn is not None:
            return conn
        path.unlink(missing_ok=True)  # a dead zygote's socket
        with open(path.with_name(path.name + ".log"), "ab") as log:
            module = "harness.scoring.zygote"
            argv = [sys.executable, "-I", "-m", module, str(path), str(IDLE_SECONDS)]
            launched = subprocess.run(
                argv,
                env=_zygote_env(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                check=False,
                timeout=start_timeout_s,
            )
        if launched.returncode != 0:
            return None
        _STARTED.add(path)
        return _connect(path)


def run_pytest(
    args: list[str],
    cwd: Path,
    timeout_s: float,
    env_extra: dict[str, str] | None = None,
    memory_bytes: int = sandbox.DEFAULT_MEMORY_BYTES,
    writable: tuple[Path, ...] = (),
    view: Path | None = None,
) -> sandbox.Completed | None:
    """``python -I -m pytest ARGS`` in a sandbox forked from the zygote; None: use a fresh one.

    None means there is no verdict from the zygote: none could be reached, it could not build
    the sandbox (pytest never started), or it went away without an answer. The caller then
    runs pytest in a fresh process, after removing anything this attempt reported.
    """
    if not enabled() or (view is not None and not sandbox.jail_available()):
        return None
    path = socket_path()
    _, info = sandbox.isolation()
    try:
        conn = connect(path)
    except (OSError, subprocess.SubprocessError):  # e.g. a socket directory we may not use
        return None
    if conn is None:
        return None
    with conn, tempfile.TemporaryDirectory(prefix="skill-eval-pytest-") as tmp:
        home, out, err = Path(tmp, "home"), Path(tmp, "stdout"), Path(tmp, "stderr")
        home.mkdir()
        request = {
            "args": args,
            "cwd": str(cwd),
            "env": sandbox.scrubbed_env(home, env_extra),
            "timeout_s": timeout_s,
            "memory_bytes": memory_bytes,
            "isolate": info.network_isolated,
            # Code under test must not ask the zygote for an unsandboxed run: hide its socket.
            "mounts": [
                (sandbox.HOME_TMPFS_SIZE, str(home)),
                (sandbox.HIDDEN_TMPFS_SIZE, str(path.parent)),
            ],
            "jail": sandbox.untrusted_jail(
                home,
                hide=(path.parent, suite_dir() / "tasks"),
                readonly=() if view else (cwd,),
                writable=writable,
                binds=((view, cwd),) if view else (),
                memory_bytes=memory_bytes,
            ).to_json()
            if sandbox.jail_available()
            else None,
            "stdout": str(out),
            "stderr": str(err),
        }
        try:
            conn.sendall(json.dumps(request).encode() + b"\n")
        except OSError:  # it was exiting (idle) as we connected: no run, so a fresh one
            return None
        reply = _read_line(conn, timeout_s + 30)
        if reply is None or reply.get("returncode") == SETUP_FAILED:
            return None
        with out.open("rb") as stdout, err.open("rb") as stderr:
            printed = sandbox.read_bounded(stdout), sandbox.read_bounded(stderr)
        return sandbox.Completed(
            returncode=int(reply["returncode"]),
            stdout=printed[0],
            stderr=printed[1],
            timed_out=bool(reply["timed_out"]),
            duration_s=float(reply["duration_s"]),
        )


def stop(path: Path) -> None:
    """Ask the zygote at ``path`` to exit (it also exits when idle)."""
    conn = _connect(path)
    if conn is not None:
        with conn:
            conn.sendall(b'{"op": "stop"}\n')


def stop_started() -> None:
    """Stop the zygotes this process started (batch commands call it when they finish)."""
    while _STARTED:
        stop(_STARTED.pop())


def main() -> None:
    serve(Path(sys.argv[1]), float(sys.argv[2]))


if __name__ == "__main__":
    main()
