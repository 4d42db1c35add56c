"""Run commands isolated, scrubbed and bounded.

Two strengths, one for each kind of code:

- **untrusted** (agent commands, the code under test): :mod:`harness.scoring.jail`, as uid 65534
  in new mount, PID and network namespaces, with hidden material behind mounts it cannot undo,
  the harness, virtual environment and caches out of its reach, its own /tmp, and limits on
  memory, file size and processes;
- **tools** (ruff, mypy, import-linter, the skill's own examples): a new user + network
  namespace (``unshare -Urn``) with a tmpfs HOME, and an address-space limit.

Both get a scrubbed environment (no API keys or tokens, a throw-away HOME) and a wall-clock
timeout that kills the whole process group.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from harness.scoring import jail

DEFAULT_MEMORY_BYTES = 4 * 1024**3
FILE_SIZE_BYTES = 512 * 1024**2  # no single file an agent or a test writes grows past this
MAX_PROCESSES = 1024  # per sandbox user (all jails share uid 65534): a fork bomb stops here


@dataclass(frozen=True)
class Isolation:
    network_isolated: bool
    description: str


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str
    timed_out: bool
    duration_s: float


@functools.cache
def isolation() -> tuple[tuple[str, ...], Isolation]:
    """Probe once which isolation this machine allows."""
    unshare = shutil.which("unshare")
    if unshare is not None:
        probe = subprocess.run(
            [unshare, "--user", "--map-root-user", "--net", "true"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            prefix = (unshare, "--user", "--map-root-user", "--net")
            return prefix, Isolation(True, "user+network namespace (unshare -Urn): no network")
    return (), Isolation(
        False, "NOT network-isolated: this kernel does not allow unprivileged unshare"
    )


def jailed(argv: list[str], spec: jail.Jail) -> list[str]:
    """``argv`` inside the jail ``spec`` describes (see :mod:`harness.scoring.jail`)."""
    return [sys.executable, "-I", "-S", jail.__file__, spec.to_json(), "--", *argv]


@functools.cache
def jail_available() -> bool:
    """Whether this machine can build the jail (probed once)."""
    probe = subprocess.run(
        jailed(["true"], jail.Jail()), capture_output=True, check=False, env={"PATH": "/bin"}
    )
    return probe.returncode == 0


def untrusted_jail(
    home: Path,
    *,
    hide: tuple[Path, ...] = (),
    readonly: tuple[Path, ...] = (),
    writable: tuple[Path, ...] = (),
    binds: tuple[tuple[Path, Path], ...] = (),
    network: bool = False,
    memory_bytes: int | None = DEFAULT_MEMORY_BYTES,
) -> jail.Jail:
    """The jail for agent commands and the code under test; ``home`` is its private HOME."""
    return jail.Jail(
        hide=tuple(str(p) for p in hide),
        private=(str(home), "/var/tmp", "/dev/shm", "/run/lock"),
        # The harness's interpreter and virtual environment (pytest, ruff, mypy) stay visible,
        # wherever they live (under /tmp in a CI checkout, say).
        readonly=tuple(dict.fromkeys(str(p) for p in (*readonly, sys.prefix, sys.base_prefix))),
        writable=tuple(str(p) for p in writable),
        binds=tuple((str(a), str(b)) for a, b in binds),
        network=network,
        memory_bytes=memory_bytes,
        fsize_bytes=FILE_SIZE_BYTES,
        nproc=MAX_PROCESSES,
    )


def scrubbed_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing from the caller's (no API keys), a private HOME."""
    bin_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "TMPDIR": str(home),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONUTF8": "1",
        "NO_COLOR": "1",
    }
    if extra:
        env.update(extra)
    return env


# Mount an empty tmpfs of "$1" bytes over "$2" for each pair before the command starts (needs
# a mount namespace): hidden material looks empty, and the throw-away HOME lives in memory, so
# SQLite's fsyncs in the tests under scoring do not wait on the disk.
_MOUNT_PRELUDE = (
    'while [ "$1" != "--" ]; do mount -t tmpfs -o "size=$1" tmpfs "$2" || exit 97; shift 2; done;'
    ' shift; exec "$@"'
)
HIDDEN_TMPFS_SIZE = "16k"
HOME_TMPFS_SIZE = "1g"


def _mounting(mounts: list[tuple[str, str]], argv: list[str]) -> list[str]:
    pairs = [arg for size, path in mounts for arg in (size, path)]
    return ["/bin/sh", "-c", _MOUNT_PRELUDE, "sh", *pairs, "--", *argv]


def hiding(argv: list[str], hide: tuple[Path, ...]) -> list[str]:
    """``argv`` in a new user + mount namespace (network kept) where ``hide`` looks empty.

    For processes that need the network (external agent CLIs) but must not read the
    benchmark's hidden material. Without unprivileged namespaces, ``argv`` is returned as is.
    """
    hidden = [str(p) for p in hide if p.is_dir()]
    unshare = shutil.which("unshare")
    if not hidden or unshare is None or not isolation()[1].network_isolated:
        return argv
    mount_ns = [unshare, "--user", "--map-root-user", "--mount"]
    return [*mount_ns, *_mounting([(HIDDEN_TMPFS_SIZE, p) for p in hidden], argv)]


def wrap(
    argv: list[str],
    home: Path,
    *,
    hide: tuple[Path, ...] = (),
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    isolate: bool = True,
) -> list[str]:
    """``argv`` behind the sandbox's prefix: namespaces, tmpfs mounts, the memory limit.

    ``home`` becomes a tmpfs and each directory in ``hide`` an empty one, where the kernel
    allows namespaces. Pair it with :func:`scrubbed_env` for the environment.
    """
    prefix: tuple[str, ...] = ()
    if isolate:
        prefix, info = isolation()
        if info.network_isolated:
            prefix = (*prefix, "--mount")
            mounts = [(HOME_TMPFS_SIZE, str(home))]
            mounts += [(HIDDEN_TMPFS_SIZE, str(p)) for p in hide if p.is_dir()]
            argv = _mounting(mounts, argv)
    limiter = shutil.which("prlimit")
    limit = (limiter, f"--as={memory_bytes}", "--") if limiter else ()
    return [*prefix, *limit, *argv]


def run(
    argv: list[str],
    cwd: Path,
    timeout_s: float,
    *,
    env_extra: dict[str, str] | None = None,
    isolate: bool = True,
    memory_bytes: int = DEFAULT_MEMORY_BYTES,
    hide: tuple[Path, ...] = (),
    untrusted: bool = False,
    writable: tuple[Path, ...] = (),
    view: Path | None = None,
) -> Completed:
    """Run ``argv``; with ``hide``, those directories look empty to the command.

    Where namespaces are allowed, HOME (also TMPDIR) is a private in-memory tmpfs. With
    ``untrusted`` the command runs in the jail: ``cwd`` read-only, ``writable`` writable (the
    caller hands them to the sandbox user with :func:`harness.scoring.jail.give`). With ``view``,
    the jail sees that tree at ``cwd`` instead of ``cwd``'s own (a mutant where the original is).
    """
    with tempfile.TemporaryDirectory(prefix="skill-eval-home-") as home:
        if untrusted and isolate and jail_available():
            spec = untrusted_jail(
                Path(home),
                hide=hide,
                readonly=() if view else (cwd,),
                writable=writable,
                binds=((view, cwd),) if view else (),
                memory_bytes=memory_bytes,
            )
            full = jailed(argv, spec)
        else:
            if view is not None:
                raise ValueError("a view of another tree needs the jail")
            full = wrap(argv, Path(home), hide=hide, memory_bytes=memory_bytes, isolate=isolate)
        start = time.monotonic()
        # Output goes to files, never to memory: what a command prints is unbounded.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(
                full,
                cwd=cwd,
                env=scrubbed_env(Path(home), env_extra),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            timed_out = False
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                _kill_group(proc)
                proc.wait()
            return Completed(
                returncode=proc.returncode,
                stdout=read_bounded(out),
                stderr=read_bounded(err),
                timed_out=timed_out,
                duration_s=time.monotonic() - start,
            )


MAX_OUTPUT_BYTES = 64 * 1024**2


def read_bounded(handle: IO[bytes], limit: int = MAX_OUTPUT_BYTES) -> str:
    """What was written to ``handle``: all of it up to ``limit``, else its head and tail."""
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    if size <= limit:
        return handle.read().decode(errors="replace")
    head = handle.read(limit // 2)
    handle.seek(size - limit // 2)
    tail = handle.read()
    cut = f"\n... [{size - limit} bytes cut] ...\n".encode()
    return (head + cut + tail).decode(errors="replace")


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
