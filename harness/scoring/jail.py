"""The sandbox for untrusted code: agent commands and the code under test.

Standard library only: it runs in the zygote's forked workers and, as a script, in front of
fresh processes (``python -I -S jail.py SPEC -- ARGV``, which becomes ARGV inside the jail).

What the jail is made of, where the harness runs as root (CI, containers):

- a new mount namespace, made by root: each ``hide`` directory is covered by an empty read-only
  tmpfs, each ``private`` directory (HOME, TMPDIR, /tmp, /var/tmp, /dev/shm) by a fresh tmpfs of
  the sandbox user's, each ``readonly`` directory is bound read-only over itself;
- a new IPC namespace: no System V IPC or POSIX message queue shared with the host or with
  another jail;
- a new PID namespace with its own ``/proc``: the sandbox sees only its own processes, and when
  its first process ends the kernel kills every process left in it (detached children too);
- a new network namespace unless ``network`` (no network at all);
- then the process drops to an unprivileged user (``nobody``, uid 65534) with no capabilities and
  ``no_new_privs``: it cannot unmount or remount what hides the hidden material (no capability
  in the namespace that owns those mounts; in a user namespace of its own they are locked), cannot
  write root-owned files (the harness, the virtual environment, the caches), and cannot signal,
  trace or read the memory of any harness process;
- resource limits: address space, file size, and processes.

Without root, user namespaces stand in: the mounts are made in a user namespace mapped to the
caller and the process then enters a nested one as uid 65534, so the mounts are locked and its
capabilities are gone, but its files on disk are still the caller's (:func:`strength` says so).
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sys
from dataclasses import asdict, dataclass

SANDBOX_UID = 65534
SANDBOX_GID = 65534
SETUP_FAILED = 97  # exit status: the jail could not be built (the command never ran)

_CLONE_NEWNS = 0x00020000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS_RDONLY = 0x1
_MS_NOSUID = 0x2
_MS_NODEV = 0x4
_MS_NOEXEC = 0x8
_MS_REMOUNT = 0x20
_MS_BIND = 0x1000
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18
_MNT_DETACH = 2
_STAGING = "/mnt"  # where paths wait while the directories above them are covered
_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_NO_NEW_PRIVS = 38


@dataclass(frozen=True)
class Jail:
    """What the jail shows. Paths are absolute; directories that do not exist are skipped."""

    hide: tuple[str, ...] = ()  # look empty
    private: tuple[str, ...] = ()  # a fresh tmpfs of the sandbox user's
    readonly: tuple[str, ...] = ()  # visible, read-only
    writable: tuple[str, ...] = ()  # visible, writable (the caller gives them to the sandbox user)
    # (source, target): source's tree seen, read-only, at target (a mutant where the original is)
    binds: tuple[tuple[str, str], ...] = ()
    network: bool = False
    memory_bytes: int | None = None
    fsize_bytes: int | None = None
    nproc: int | None = None
    private_size: str = "1g"

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Jail:
        data = json.loads(text)
        for key in ("hide", "private", "readonly", "writable"):
            data[key] = tuple(data.get(key, ()))
        data["binds"] = tuple((str(a), str(b)) for a, b in data.get("binds", ()))
        return cls(**data)


def give(path: str) -> None:
    """Hand ``path`` (recursively) to the sandbox user, so the jail may write it (root only)."""
    if os.geteuid() != 0:
        return
    os.chown(path, SANDBOX_UID, SANDBOX_GID, follow_symlinks=False)
    for dirpath, dirnames, filenames in os.walk(path):
        for name in dirnames + filenames:
            os.chown(os.path.join(dirpath, name), SANDBOX_UID, SANDBOX_GID, follow_symlinks=False)


def strength() -> str:
    """How strong the jail is on this machine, as one line for results and logs."""
    if os.geteuid() == 0:
        return "jail: mount+ipc+pid+net namespaces, uid 65534, no capabilities"
    return "jail (without root): user namespaces, uid 65534 inside; files are still the caller's"


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(
    libc: ctypes.CDLL, source: str, target: str, fstype: str | None, flags: int, data: str | None
) -> None:
    _check(
        libc.mount(
            source.encode(),
            target.encode(),
            fstype.encode() if fstype else None,
            flags,
            data.encode() if data else None,
        ),
        f"mount {fstype or 'bind'} on {target}",
    )


def _map_ids(inner: int, outer: int, inner_gid: int, outer_gid: int) -> None:
    with open("/proc/self/setgroups", "w") as handle:
        handle.write("deny")
    with open("/proc/self/uid_map", "w") as handle:
        handle.write(f"{inner} {outer} 1")
    with open("/proc/self/gid_map", "w") as handle:
        handle.write(f"{inner_gid} {outer_gid} 1")


def _closed_ancestor(path: str) -> str | None:
    """The highest ancestor of ``path`` that others may not traverse (like /root), if any."""
    parts = os.path.abspath(path).split("/")[1:]
    for depth in range(1, len(parts)):
        ancestor = "/" + "/".join(parts[:depth])
        try:
            if not os.stat(ancestor).st_mode & 0o001:
                return ancestor
        except OSError:
            return None
    return None


def _under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


def _mounts(libc: ctypes.CDLL, jail: Jail, owner: tuple[int, int], unprivileged: bool) -> None:
    """Hide; cover /tmp; show what must be seen; then the private directories (HOME).

    A visible path that a cover would swallow (the scoring copy under /tmp, or, when the process
    will drop to uid 65534, anything under a directory only root may traverse, such as the
    interpreter under /root) is bound aside first and bound back after. A directory only root
    may traverse is covered by an empty tmpfs: its other content stays out of sight.
    """
    _mount(libc, "none", "/", None, _MS_REC | _MS_PRIVATE, None)
    uid, gid = owner
    for path in jail.hide:
        if os.path.isdir(path):
            flags = _MS_RDONLY | _MS_NOSUID | _MS_NODEV | _MS_NOEXEC
            _mount(libc, "tmpfs", path, "tmpfs", flags, "size=16k,mode=0555")
    # (source, target, writable): what the jail sees, and where
    shown = [(p, p, False) for p in jail.readonly] + [(p, p, True) for p in jail.writable]
    shown += [(a, b, False) for a, b in jail.binds]
    shown = [(os.path.abspath(a), os.path.abspath(b), w) for a, b, w in shown if os.path.isdir(a)]
    ends = [path for source, target, _ in shown for path in (source, target)]
    closed = {a for a in map(_closed_ancestor, ends) if a} if unprivileged else set()
    covers = [*sorted(closed), "/tmp"]
    private = [os.path.abspath(p) for p in jail.private if os.path.isdir(p)]
    staged: dict[int, str] = {}
    if any(_under(s, c) or s != t for s, t, _ in shown for c in covers):
        _mount(libc, "tmpfs", _STAGING, "tmpfs", 0, "size=16k,mode=0700")
        for index, (source, target, _) in enumerate(shown):
            if source != target or any(_under(source, c) for c in covers):
                staged[index] = f"{_STAGING}/{index}"
                os.mkdir(staged[index])
                _mount(libc, source, staged[index], None, _MS_BIND | _MS_REC, None)
    for ancestor in sorted(closed):
        _mount(libc, "tmpfs", ancestor, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=0755")
    tmp = f"size={jail.private_size},mode=1777"  # the jail's own /tmp
    _mount(libc, "tmpfs", "/tmp", "tmpfs", _MS_NOSUID | _MS_NODEV, tmp)
    for index, (_, target, writable) in enumerate(shown):
        if index in staged:
            os.makedirs(target, exist_ok=True)
            _mount(libc, staged[index], target, None, _MS_BIND | _MS_REC, None)
        elif not writable:
            _mount(libc, target, target, None, _MS_BIND | _MS_REC, None)
        if not writable:
            _mount(libc, "none", target, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY, None)
    if staged:
        _check(libc.umount2(_STAGING.encode(), _MNT_DETACH), f"umount {_STAGING}")
    for path in sorted(private, key=len):  # last: HOME may lie inside a visible path
        os.makedirs(path, exist_ok=True)
        options = f"size={jail.private_size},mode=0700,uid={uid},gid={gid}"
        _mount(libc, "tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, options)


def _limits(jail: Jail) -> None:
    for limit, value in (
        (resource.RLIMIT_AS, jail.memory_bytes),
        (resource.RLIMIT_FSIZE, jail.fsize_bytes),
        (resource.RLIMIT_NPROC, jail.nproc),
    ):
        if value is not None:
            resource.setrlimit(limit, (value, value))


def _wait_and_exit(pid: int) -> None:
    """The parent outside the PID namespace: wait for the jail, end the way it ended."""
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda s, _f: os.kill(pid, signal.SIGKILL))
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(SETUP_FAILED)
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def enter(jail: Jail) -> None:
    """Become the jail in this process. Returns inside it, as PID 1 of its PID namespace.

    The calling process forks: the returning child is the jail; the parent waits for it and
    exits with its status, so it never returns. Raises OSError if the jail cannot be built.
    """
    libc = _libc()
    root = os.geteuid() == 0
    flags = _CLONE_NEWNS | _CLONE_NEWIPC | _CLONE_NEWPID | (0 if jail.network else _CLONE_NEWNET)
    if root:
        _check(libc.unshare(flags), "unshare(mount, ipc, pid, net)")
        _mounts(libc, jail, (SANDBOX_UID, SANDBOX_GID), unprivileged=True)
    else:
        uid, gid = os.getuid(), os.getgid()
        _check(libc.unshare(_CLONE_NEWUSER | flags), "unshare(user, mount, ipc, pid, net)")
        _map_ids(0, uid, 0, gid)
        _mounts(libc, jail, (0, 0), unprivileged=False)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        _wait_and_exit(pid)
    _mount(libc, "proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)
    _limits(jail)
    if root:
        os.setgroups([])
        os.setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    else:  # a nested user namespace locks the mounts above; uid 65534 in it has no capability
        _check(libc.unshare(_CLONE_NEWUSER), "unshare(user), nested")
        _map_ids(SANDBOX_UID, 0, SANDBOX_GID, 0)
        os.setresgid(SANDBOX_GID, SANDBOX_GID, SANDBOX_GID)
        os.setresuid(SANDBOX_UID, SANDBOX_UID, SANDBOX_UID)
    _check(libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(no_new_privs)")
    # The uid change made the process undumpable (its /proc/self root's): it is the sandbox
    # user's own again, as a process started by that user would be.
    _check(libc.prctl(_PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl(dumpable)")
    # After the uid change (which clears it): if the waiting parent is killed, so is the jail.
    _check(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl(pdeathsig)")
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)


def main(argv: list[str]) -> None:
    """``jail.py SPEC -- ARGV...``: build the jail, then exec ARGV in it."""
    if len(argv) < 3 or argv[1] != "--":
        sys.exit("usage: jail.py SPEC -- ARGV...")
    try:
        enter(Jail.from_json(argv[0]))
    except (OSError, ValueError, TypeError) as exc:
        print(f"jail: {exc}", file=sys.stderr)
        os._exit(SETUP_FAILED)
    try:
        os.execvp(argv[2], argv[2:])
    except OSError as exc:
        print(f"jail: {argv[2]}: {exc.strerror}", file=sys.stderr)
        os._exit(127)


if __name__ == "__main__":
    main(sys.argv[1:])
