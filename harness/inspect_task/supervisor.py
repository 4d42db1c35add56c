"""The process that lives inside one sample's jail and runs its commands.

Standard library only: it is started as ``python -I -S supervisor.py`` *inside* the jail
(:mod:`harness.scoring.jail`), as uid 65534, and stays up for the whole sample, the way a
container does. Everything the sample runs is its child, in the same mount, PID and network
namespaces: ``/tmp``, ``/var/tmp``, HOME and background processes persist from one command to
the next (Inspect's sandbox tools install themselves under ``/var/tmp`` and keep a server
running), and all of it ends when the supervisor does.

Protocol, one JSON object per line. The host writes requests on stdin::

    {"id": 7, "argv": [...], "cwd": "/abs", "env": {...}, "stdin": "<base64>" | null,
     "timeout": 30.0 | null, "max_output": 10485760 | null}

and reads one reply per request on stdout, in any order::

    {"id": 7, "rc": 0, "out": "<base64>", "err": "<base64>", "timed_out": false}

A command that outlives its timeout is killed with its process group (``rc`` is then null).
Output is kept in files in the jail's own ``/tmp`` and read back bounded (head and tail, with
a note of what was cut, past ``max_output`` bytes).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any

MAX_OUTPUT_BYTES = 10 * 1024**2  # Inspect's default per-stream exec limit
PR_SET_DUMPABLE = 4  # <linux/prctl.h>
_lock = threading.Lock()


def _bounded(handle: IO[bytes], limit: int) -> bytes:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(0)
    if size <= limit:
        return handle.read()
    head = handle.read(limit // 2)
    handle.seek(size - limit // 2)
    note = f"\n... [{size - limit} bytes cut] ...\n".encode()
    return head + note + handle.read()


def _reply(message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode()
    with _lock:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()


def _run(request: dict[str, Any]) -> None:
    ident = request["id"]
    limit = int(request.get("max_output") or MAX_OUTPUT_BYTES)
    stdin = base64.b64decode(request["stdin"]) if request.get("stdin") is not None else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(
                request["argv"],
                cwd=request["cwd"],
                env=request["env"],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
        except OSError as exc:
            code = 127 if isinstance(exc, FileNotFoundError) else 126
            message = f"{request['argv'][0]}: {exc.strerror}\n".encode()
            _reply({"id": ident, "rc": code, "out": "", "err": _b64(message), "timed_out": False})
            return
        timed_out = False
        try:
            if stdin is not None:
                proc.communicate(stdin, timeout=request.get("timeout"))
            else:
                proc.wait(timeout=request.get("timeout"))
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        except BrokenPipeError:  # the command exited without reading its input
            proc.wait()
        _reply(
            {
                "id": ident,
                "rc": None if timed_out else proc.returncode,
                "out": _b64(_bounded(out, limit)),
                "err": _b64(_bounded(err, limit)),
                "timed_out": timed_out,
            }
        )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _not_dumpable() -> None:
    """No process of the sandbox's uid may ptrace the supervisor (a stopped supervisor would
    hang the host) or open its ``/proc/<pid>/fd`` (and forge replies). A command gets its own
    dumpable flag back at execve, so the commands themselves are unaffected."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def main() -> None:
    _not_dumpable()
    home = os.environ.get("HOME")
    if home:  # ``bash --login`` resets PATH from /etc/profile; a login profile restores it
        with open(os.path.join(home, ".bash_profile"), "w") as handle:
            handle.write(f"export PATH={json.dumps(os.environ.get('PATH', ''))}\n")
    _reply({"id": 0, "ready": True})
    for line in sys.stdin.buffer:
        if not line.strip():
            continue
        request = json.loads(line)
        threading.Thread(target=_run, args=(request,), daemon=True).start()


if __name__ == "__main__":
    main()
