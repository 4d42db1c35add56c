"""Run a command the way every check runs workspace code: isolated, scrubbed, bounded.

- no network: a new user + network namespace (``unshare -Urn``) where the kernel allows it;
- a scrubbed environment: no API keys or tokens, a throw-away HOME;
- a wall-clock timeout that kills the whole process group;
- an address-space limit (``prlimit --as``).
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

DEFAULT_MEMORY_BYTES = 4 * 1024**3


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
) -> Completed:
    """Run ``argv``; with ``hide``, those directories look empty to the command.

    Where namespaces are allowed, HOME (also TMPDIR) is a private in-memory tmpfs.
    """
    with tempfile.TemporaryDirectory(prefix="skill-eval-home-") as home:
        full = wrap(argv, Path(home), hide=hide, memory_bytes=memory_bytes, isolate=isolate)
        start = time.monotonic()
        proc = subprocess.Popen(
            full,
            cwd=cwd,
            env=scrubbed_env(Path(home), env_extra),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
            start_new_session=True,
        )
        timed_out = False
        try:
            stdout, stderr = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc)
            stdout, stderr = proc.communicate()
        finally:
            _kill_group(proc)
        return Completed(
            returncode=proc.returncode,
            stdout=stdout,
            stderr=stderr,
            timed_out=timed_out,
            duration_s=time.monotonic() - start,
        )


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
