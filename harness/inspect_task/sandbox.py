"""``skill-eval``: an Inspect sandbox provider built on this project's jail, without docker.

Each sample gets a folder of its own on the host (``<base>/<sample>/``, under a base only root
may traverse) holding ``repo/``, the sample's working directory, and whatever else the task
writes beside it (the skill, in the skill arms). One jail per sample
(:mod:`harness.scoring.jail`: uid 65534, no network, its own PID namespace and ``/tmp``, the
benchmark's hidden material and every copy of the skill in this checkout mounted away, limits on
memory, file size and processes) runs :mod:`harness.inspect_task.supervisor` for the whole
sample, and every ``exec`` is a child of it: like ``docker exec`` into a running container, so
background processes, ``/tmp`` and Inspect's own sandbox tools (which the ``text_editor`` tool
needs under ``/var/tmp``) last from one command to the next.

``read_file`` and ``write_file`` also run inside the jail, as the sandbox user: a symlink the
agent planted leads nowhere outside it. Commands run as the sandbox user only: asking for
another user (``root``) raises :class:`SandboxUserUnsupportedError`, which Inspect's tools read
as "no root here" and then run as the default user. Needs Linux namespaces (root, or
unprivileged user namespaces); it runs on the asyncio backend.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from pathlib import Path
from typing import Any, Literal, overload

from inspect_ai.util import (
    ExecResult,
    OutputLimitExceededError,
    SandboxEnvironment,
    SandboxEnvironmentConfigType,
    SandboxEnvironmentLimits,
    SandboxUnavailableError,
    SandboxUserUnsupportedError,
    sandboxenv,
)
from typing_extensions import override

from harness.inspect_task import supervisor
from harness.paths import suite_dir
from harness.scoring import jail, sandbox
from harness.store.runner import default_hidden, skill_locations

PROVIDER = "skill-eval"
WORKSPACE = "repo"  # the working directory, inside the sample's folder
_SANDBOX_USERS = {str(jail.SANDBOX_UID), "nobody"}
# The host waits for a reply at most the command's timeout plus this margin (the supervisor
# kills a command at its timeout); a command with no timeout gets NO_TIMEOUT_DEADLINE_S.
DEADLINE_MARGIN_S = 60.0
NO_TIMEOUT_DEADLINE_S = 3600.0

# Inside the jail: a file to stdout (exit 2: missing, 3: a directory, 4: no permission) or
# stdin to a file, parent folders created.
_FILE_HELPER = """
import os, sys
op, path = sys.argv[1], sys.argv[2]
try:
    if op == "read":
        with open(path, "rb") as handle:
            sys.stdout.buffer.write(handle.read())
    else:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(sys.stdin.buffer.read())
except FileNotFoundError as exc:
    print(exc, file=sys.stderr); sys.exit(2)
except IsADirectoryError as exc:
    print(exc, file=sys.stderr); sys.exit(3)
except PermissionError as exc:
    print(exc, file=sys.stderr); sys.exit(4)
"""

_base_lock = threading.Lock()
_base: Path | None = None


def _sample_base() -> Path:
    """Where sample folders live: one private (0700) folder per process, made on first use."""
    global _base
    with _base_lock:
        if _base is None or not _base.is_dir():
            _base = Path(tempfile.mkdtemp(prefix="skill-eval-sandboxes-"))
        return _base


def _remove_empty_base() -> None:
    global _base
    with _base_lock:
        if _base is not None and _base.is_dir() and not any(_base.iterdir()):
            _base.rmdir()
            _base = None


class _Supervisor:
    """The jailed supervisor process of one sample and the requests in flight to it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        home = folder / "home"
        home.mkdir()
        jail.give(str(folder))
        spec = sandbox.untrusted_jail(
            home,
            hide=(*default_hidden(suite_dir()), *skill_locations(None)),
            writable=(folder,),
        )
        code = Path(supervisor.__file__).read_text(encoding="utf-8")
        # src on the path, as the built-in agent's shell has it (lint-imports finds the package)
        self.env = sandbox.scrubbed_env(home, {"PYTHONPATH": str(folder / WORKSPACE / "src")})
        self._proc = subprocess.Popen(
            sandbox.jailed([sys.executable, "-I", "-S", "-c", code], spec),
            cwd=folder,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self._ids = itertools.count(1)
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._ready: Future[dict[str, Any]] = Future()
        self._pending[0] = self._ready
        threading.Thread(target=self._read, daemon=True).start()

    def wait_ready(self, timeout: float = 60.0) -> None:
        try:
            self._ready.result(timeout)
        except Exception as exc:
            stderr = self._stderr()
            self.close()
            raise RuntimeError(f"the skill-eval sandbox did not start: {exc} {stderr}") from None

    def _stderr(self) -> str:
        if self._proc.poll() is None or self._proc.stderr is None:
            return ""
        return self._proc.stderr.read().decode(errors="replace").strip()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            try:  # a malformed line is skipped: the reader must outlive it
                reply = json.loads(line)
                ident = int(reply["id"]) if isinstance(reply, dict) else -1
            except (ValueError, TypeError, KeyError):
                continue
            with self._lock:
                future = self._pending.pop(ident, None)
            if future is not None and not future.done():
                future.set_result(reply)
        # the supervisor is gone: nothing pending will be answered
        with self._lock:
            pending, self._pending = self._pending, {}
        gone = SandboxUnavailableError("the skill-eval sandbox's supervisor has exited")
        for future in pending.values():
            if not future.done():
                future.set_exception(gone)

    def submit(self, request: dict[str, Any]) -> Future[dict[str, Any]]:
        future: Future[dict[str, Any]] = Future()
        ident = next(self._ids)
        line = (json.dumps({**request, "id": ident}) + "\n").encode()
        with self._lock:
            if self._proc.poll() is not None or self._proc.stdin is None:
                raise SandboxUnavailableError("the skill-eval sandbox is not running")
            self._pending[ident] = future
            try:
                self._proc.stdin.write(line)
                self._proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                self._pending.pop(ident, None)
                raise SandboxUnavailableError("the skill-eval sandbox is not running") from None
        return future

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        for pipe in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


@sandboxenv(name=PROVIDER)
class JailSandboxEnvironment(SandboxEnvironment):
    """One sample's jail: see the module docstring."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.workspace = folder / WORKSPACE
        self._supervisor: _Supervisor | None = None

    def start(self) -> None:
        self.workspace.mkdir(parents=True)
        self._supervisor = _Supervisor(self.folder)
        self._supervisor.wait_ready()

    @override
    @classmethod
    async def sample_init(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        metadata: dict[str, str],
    ) -> dict[str, SandboxEnvironment]:
        if not sandbox.jail_available():
            raise RuntimeError(
                "the skill-eval sandbox needs Linux namespaces (root, or unprivileged user"
                " namespaces); use --sandbox docker on this machine"
            )
        environment = await asyncio.to_thread(cls.started)
        return {"default": environment}

    @classmethod
    def started(cls) -> JailSandboxEnvironment:
        """A new sample folder and its running jail (blocking)."""
        folder = Path(tempfile.mkdtemp(prefix="sample-", dir=_sample_base()))
        folder.chmod(0o755)
        environment = cls(folder)
        try:
            environment.start()
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return environment

    @override
    @classmethod
    async def sample_cleanup(
        cls,
        task_name: str,
        config: SandboxEnvironmentConfigType | None,
        environments: dict[str, SandboxEnvironment],
        interrupted: bool,
    ) -> None:
        for environment in environments.values():
            env = environment.as_type(JailSandboxEnvironment)
            if env._supervisor is not None:
                await asyncio.to_thread(env._supervisor.close)
            shutil.rmtree(env.folder, ignore_errors=True)

    @override
    @classmethod
    async def task_cleanup(
        cls, task_name: str, config: SandboxEnvironmentConfigType | None, cleanup: bool
    ) -> None:
        """Remove the base folder once no sample folder is left in it."""
        await asyncio.to_thread(_remove_empty_base)

    @classmethod
    def default_concurrency(cls) -> int | None:
        return max(1, (os.cpu_count() or 1) * 2)

    def default_polling_interval(self) -> float:
        return 0.2

    # --- commands ------------------------------------------------------------------------------

    def _path(self, raw: str) -> str:
        """A path as the jail sees it: relative ones are inside the working directory."""
        return raw if raw.startswith("/") else str(self.workspace / raw)

    async def _call(
        self,
        argv: list[str],
        *,
        stdin: bytes | None,
        cwd: str | None,
        env: dict[str, str] | None,
        timeout_s: float | None,
        max_output: int,
    ) -> tuple[int, bytes, bytes]:
        if self._supervisor is None:
            raise SandboxUnavailableError("the skill-eval sandbox was not started")
        request = {
            "argv": argv,
            "cwd": self._path(cwd) if cwd else str(self.workspace),
            "env": {**self._supervisor.env, **(env or {})},
            "stdin": base64.b64encode(stdin).decode("ascii") if stdin is not None else None,
            "timeout": timeout_s,
            "max_output": max_output,
        }
        supervisor_ = self._supervisor
        deadline = (
            timeout_s if timeout_s is not None else NO_TIMEOUT_DEADLINE_S
        ) + DEADLINE_MARGIN_S
        try:
            reply = await asyncio.wait_for(
                asyncio.wrap_future(supervisor_.submit(request)), deadline
            )
        except TimeoutError:
            # the supervisor itself did not answer (stopped, wedged): the sandbox is unusable
            await asyncio.to_thread(supervisor_.close)
            raise SandboxUnavailableError(
                f"the skill-eval sandbox's supervisor gave no answer within {deadline:g} s"
                f" ({argv[:1]}); the sandbox was stopped"
            ) from None
        if reply.get("timed_out"):
            raise TimeoutError(f"command timed out after {timeout_s} s: {argv[:1]}")
        out, err = base64.b64decode(reply["out"]), base64.b64decode(reply["err"])
        return int(reply["rc"]), out, err

    @override
    async def exec(
        self,
        cmd: list[str],
        input: str | bytes | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
        user: str | None = None,
        timeout: int | None = None,
        timeout_retry: bool = True,
        concurrency: bool = True,
    ) -> ExecResult[str]:
        if user is not None and user not in _SANDBOX_USERS:
            raise SandboxUserUnsupportedError(
                f"the skill-eval sandbox runs commands as uid {jail.SANDBOX_UID} only,"
                f" not as {user!r}"
            )
        data = input.encode("utf-8") if isinstance(input, str) else input
        limit = SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE
        code, out, err = await self._call(
            cmd, stdin=data, cwd=cwd, env=env, timeout_s=timeout, max_output=limit
        )
        for stream in (out, err):
            if len(stream) > limit:
                raise OutputLimitExceededError(
                    limit_str=SandboxEnvironmentLimits.MAX_EXEC_OUTPUT_SIZE_STR,
                    truncated_output=stream[:limit].decode(errors="replace"),
                )
        return ExecResult(
            success=code == 0,
            returncode=code,
            stdout=out.decode(errors="replace"),
            stderr=err.decode(errors="replace"),
        )

    async def _file(self, op: str, file: str, data: bytes | None = None) -> bytes:
        argv = [sys.executable, "-I", "-S", "-c", _FILE_HELPER, op, self._path(file)]
        limit = SandboxEnvironmentLimits.MAX_READ_FILE_SIZE
        code, out, err = await self._call(
            argv, stdin=data, cwd=None, env=None, timeout_s=600, max_output=limit + 1
        )
        message = err.decode(errors="replace").strip()
        if code == 2:
            raise FileNotFoundError(message)
        if code == 3:
            raise IsADirectoryError(message)
        if code == 4:
            raise PermissionError(message)
        if code != 0:
            raise RuntimeError(f"{op} {file} in the skill-eval sandbox failed: {message}")
        return out

    @override
    async def write_file(self, file: str, contents: str | bytes) -> None:
        data = contents.encode("utf-8") if isinstance(contents, str) else contents
        await self._file("write", file, data)

    @overload
    async def read_file(self, file: str, text: Literal[True] = True) -> str: ...

    @overload
    async def read_file(self, file: str, text: Literal[False]) -> bytes: ...

    @override
    async def read_file(self, file: str, text: bool = True) -> str | bytes:
        data = await self._file("read", file)
        if len(data) > SandboxEnvironmentLimits.MAX_READ_FILE_SIZE:  # cut by the supervisor
            raise OutputLimitExceededError(
                limit_str=SandboxEnvironmentLimits.MAX_READ_FILE_SIZE_STR, truncated_output=None
            )
        return data.decode("utf-8") if text else data
