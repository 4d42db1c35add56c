"""A persistent bash session in the sandbox, the way Claude's ``bash_20250124`` tool expects.

One bash process lives for the whole trial, so ``cd``, exported variables and shell functions
carry over from one call to the next. It runs behind the same sandbox as every other command
(no network, scrubbed environment, tmpfs HOME, hidden material mounted away, memory limit).

Each command is written to a file and sourced with stdin from /dev/null, so a command that
reads stdin cannot swallow the next one, and a syntax error cannot leave the shell waiting for
a closing quote. After it, the shell prints a fresh random marker with the exit status on
stdout and another on stderr; the output of the command is everything before them. A command
that outlives its timeout kills the session (the next call starts a new one and says so), as
does ``exit``.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from harness.scoring import jail, sandbox

KEEP_BYTES = 64 * 1024  # of each stream, from the start and from the end


@dataclass(frozen=True)
class ShellOutput:
    stdout: str
    stderr: str
    exit_code: int | None  # None: the command did not finish (timed out, or the shell died)
    timed_out: bool
    shell_ended: bool  # the session is gone; the next command gets a new one


class _Stream:
    """What one pipe delivered, bounded: the first and the last :data:`KEEP_BYTES` or so."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = KEEP_BYTES - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        self.tail += data
        if len(self.tail) > 2 * KEEP_BYTES:
            cut = len(self.tail) - KEEP_BYTES
            self.dropped += cut
            del self.tail[:cut]

    def text(self, end: int | None = None) -> str:
        """What came, up to ``end`` (an index from :meth:`find`), with any cut marked."""
        joined = bytes(self.head) + bytes(self.tail)
        if end is not None:
            joined = joined[:end]
        if self.dropped and len(joined) > len(self.head):
            note = f"\n... [{self.dropped} bytes dropped] ...\n".encode()
            joined = joined[: len(self.head)] + note + joined[len(self.head) :]
        return joined.decode(errors="replace")

    def find(self, marker: bytes) -> tuple[int, bytes] | None:
        """Where ``marker`` starts in head+tail (as an index for :meth:`text`), and what follows."""
        joined = bytes(self.head) + bytes(self.tail)
        at = joined.find(marker)
        if at < 0:
            return None
        return at, joined[at + len(marker) :]


class ShellSession:
    """One sandboxed bash for one trial. Not thread-safe: the agent loop calls it in turn."""

    def __init__(
        self,
        cwd: Path,
        hidden: tuple[Path, ...] = (),
        memory_bytes: int = sandbox.DEFAULT_MEMORY_BYTES,
    ) -> None:
        self.cwd = cwd
        self.hidden = hidden
        self.memory_bytes = memory_bytes
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: Path | None = None
        self._count = 0

    # --- life cycle ----------------------------------------------------------------------------

    @property
    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _start(self) -> subprocess.Popen[bytes]:
        self._dir = Path(tempfile.mkdtemp(prefix="skill-eval-shell-"))
        home = self._dir / "home"
        home.mkdir()
        argv = ["/bin/bash", "--noprofile", "--norc"]
        if sandbox.jail_available():
            self._dir.chmod(0o755)  # the jail reads the command files from here, read-only
            jail.give(str(self.cwd))  # the workspace is the agent's to write, and nothing else
            spec = sandbox.untrusted_jail(
                home,
                hide=self.hidden,
                readonly=(self._dir,),
                writable=(self.cwd,),
                memory_bytes=self.memory_bytes,
            )
            full = sandbox.jailed(argv, spec)
        else:
            full = sandbox.wrap(argv, home, hide=self.hidden, memory_bytes=self.memory_bytes)
        self._proc = subprocess.Popen(
            full,
            cwd=self.cwd,
            # src on the path: lint-imports finds the package from the repository root
            env=sandbox.scrubbed_env(home, {"PYTHONPATH": str(Path(self.cwd) / "src")}),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        return self._proc

    def close(self) -> None:
        """End the session and everything it started."""
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            for pipe in (proc.stdin, proc.stdout, proc.stderr):
                if pipe is not None:
                    pipe.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> ShellSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- commands ------------------------------------------------------------------------------

    def run(self, command: str, timeout_s: float) -> ShellOutput:
        proc = self._proc if self.alive else None
        if proc is None:
            self.close()
            proc = self._start()
        stdin, stdout, stderr = proc.stdin, proc.stdout, proc.stderr
        if self._dir is None or stdin is None or stdout is None or stderr is None:
            raise RuntimeError("the shell session has no pipes")  # Popen(PIPE) always has them
        self._count += 1
        script = self._dir / f"command-{self._count}.sh"
        script.write_text(command + "\n")
        marker = f"__skill_eval_{uuid.uuid4().hex}__"
        line = (
            f". {shlex.quote(str(script))} < /dev/null\n"
            f"printf '\\n{marker} %s\\n' \"$?\"; printf '\\n{marker}\\n' >&2\n"
        )
        out, err = _Stream(), _Stream()
        try:
            stdin.write(line.encode())
            stdin.flush()
        except BrokenPipeError:
            return self._ended(out, err, timed_out=False)
        deadline = time.monotonic() + timeout_s
        streams = {stdout.fileno(): out, stderr.fileno(): err}
        status_re = re.compile(rb"^ (-?\d+)\n")
        done_out: tuple[int, int] | None = None
        done_err: int | None = None
        with selectors.DefaultSelector() as selector:
            for fd in streams:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            while done_out is None or done_err is None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self._ended(out, err, timed_out=True)
                events = selector.select(remaining)
                for key, _ in events:
                    fd = int(key.fd)
                    data = os.read(fd, 65536)
                    if not data:  # the shell is gone (``exit``, a crash, the memory limit)
                        return self._ended(out, err, timed_out=False)
                    streams[fd].add(data)
                found = out.find(b"\n" + marker.encode())
                if done_out is None and found is not None:
                    status = status_re.match(found[1])
                    if status:
                        done_out = (found[0], int(status.group(1)))
                found_err = err.find(b"\n" + marker.encode())
                if done_err is None and found_err is not None:
                    done_err = found_err[0]
        return ShellOutput(
            stdout=out.text(done_out[0]),
            stderr=err.text(done_err),
            exit_code=done_out[1],
            timed_out=False,
            shell_ended=False,
        )

    def _ended(self, out: _Stream, err: _Stream, *, timed_out: bool) -> ShellOutput:
        self.close()
        return ShellOutput(out.text(), err.text(), None, timed_out, True)
