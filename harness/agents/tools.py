"""The coding tools an agent uses, executed by the harness inside the workspace.

- the text editor (Claude's ``text_editor_20250728`` schema): view, create, str_replace, insert.
  It runs in the harness, so it never follows a symlink: a path must lie inside the workspace
  (or, for ``view``, the read-only skill folder) as written, and every component is opened
  relative to the one before it with ``O_NOFOLLOW``, so a link swapped in between a check and
  the open cannot lead it anywhere else. Everything else is refused and recorded. What it
  creates belongs to the workspace's owner (the jail's user), like what the agent's commands
  create.
- bash: one persistent shell session per trial (``cd`` and exports carry over), in the sandbox
  (no network, scrubbed environment, timeout, truncated output), with the benchmark's hidden
  material mounted away; ``restart`` starts a new one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.agents.shell import ShellOutput, ShellSession

MAX_OUTPUT_CHARS = 12_000
VIEW_DIR_DEPTH = 2
_SKIP_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv"}


# The bash tool as a function schema, for harnesses that cannot offer Claude's built-in
# ``bash_20250124`` (whose description Anthropic supplies): its two parameters, described.
BASH_DESCRIPTION = (
    "Run a command in a persistent bash shell that starts in the repository. The working"
    " directory, variables and shell functions carry over from one call to the next. There is"
    " no network access and stdin is empty. Long output is shortened in the middle; a non-zero"
    " exit status is reported. A command that runs too long is stopped and the shell restarts."
)
BASH_PARAMETERS = {
    "command": "The bash command to run. Required unless restart is true.",
    "restart": "true starts a new shell (directory and variables reset). Leave it out otherwise.",
}
BASH_NEEDS_COMMAND = "bash needs a command"
BASH_RESTARTED = "The bash session has been restarted."


def bash_reply(done: ShellOutput, timeout_s: float) -> str:
    """What the model reads after one bash command: output, then how the command ended."""
    output = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
    if done.timed_out:
        return (
            truncate(output) + f"\n[command timed out after {timeout_s:.0f} s;"
            " the bash session was restarted: cd and variables are reset]"
        )
    if done.shell_ended:
        return truncate(output) + "\n[the shell exited; the next command starts a new one]"
    if done.exit_code != 0:
        return truncate(output) + f"\n[exit code {done.exit_code}]"
    return truncate(output) or "(no output)"


class ToolError(Exception):
    """A tool call the agent got wrong (bad path, no match): returned as an error result."""


def truncate(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - limit
    return f"{text[:half]}\n... [{cut} characters truncated] ...\n{text[-half:]}"


@dataclass
class ToolBox:
    """Executes tool calls for one trial and records what the agent read and was refused."""

    workspace: Path
    skill_dir: Path | None = None  # readable, never writable
    hidden: tuple[Path, ...] = ()  # never readable: hidden tests, solutions, other arms' skill
    command_timeout_s: float = 120.0
    skill_reads: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.workspace = self.workspace.resolve()
        if self.skill_dir is not None:
            self.skill_dir = self.skill_dir.resolve()
        self._shell = ShellSession(self.workspace, hidden=self.hidden)

    def close(self) -> None:
        """End the bash session and everything it started."""
        self._shell.close()

    def __enter__(self) -> ToolBox:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- paths -----------------------------------------------------------------------------

    def _resolve(self, raw: str, *, write: bool) -> Path:
        """The path as written, made absolute and normalised (no symlink is looked at)."""
        if not raw:
            raise ToolError("a path is required")
        candidate = Path(raw)
        if not candidate.is_absolute():
            candidate = self.workspace / candidate
        resolved = Path(os.path.normpath(candidate))
        if resolved.is_relative_to(self.workspace):
            return resolved
        if self.skill_dir is not None and resolved.is_relative_to(self.skill_dir):
            if write:
                self.refused.append(f"write to the read-only skill folder: {raw}")
                raise ToolError(f"{raw}: the skill folder is read-only")
            return resolved
        reason = "hidden benchmark material" if self._is_hidden(resolved) else "outside"
        self.refused.append(f"editor path {reason}: {raw}")
        raise ToolError(f"{raw}: access outside the repository is not allowed")

    def _base(self, path: Path) -> Path:
        if path.is_relative_to(self.workspace):
            return self.workspace
        assert self.skill_dir is not None  # _resolve let nothing else through
        return self.skill_dir

    def _open_dir(self, path: Path, *, create: bool = False, record: bool = True) -> int:
        """A descriptor of directory ``path``, reached from its base without following links."""
        base = self._base(path)
        fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for part in path.relative_to(base).parts:
                if create:
                    with contextlib.suppress(FileExistsError):
                        os.mkdir(part, 0o755, dir_fd=fd)
                        self._give(part, fd)
                following = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = following
        except OSError as exc:
            os.close(fd)
            if record:
                self.refused.append(f"editor path through a link or a missing folder: {path}")
            message = f"{path}: not a directory inside the repository ({exc.strerror})"
            raise ToolError(message) from None
        return fd

    def _refuse_link(self, exc: OSError, path: Path) -> None:
        if exc.errno == errno.ELOOP:
            self.refused.append(f"editor path is a link (never followed): {path}")

    def _give(self, name: str, dir_fd: int) -> None:
        """What the editor creates belongs to the workspace's owner, as the agent's files do."""
        owner = os.stat(self.workspace)
        with contextlib.suppress(PermissionError):
            os.chown(name, owner.st_uid, owner.st_gid, dir_fd=dir_fd, follow_symlinks=False)

    def _read_file(self, path: Path) -> str:
        fd = self._open_dir(path.parent)
        try:
            handle = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
        except FileNotFoundError:
            raise ToolError(f"{path.name}: no such file") from None
        except OSError as exc:
            self._refuse_link(exc, path)
            raise ToolError(f"{path.name}: cannot be read ({exc.strerror})") from None
        finally:
            os.close(fd)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise ToolError(f"{path.name}: not a regular file")
            data = stream.read()
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path.name}: not a text file") from None

    def _write_file(self, path: Path, text: str, *, create_parents: bool = False) -> None:
        fd = self._open_dir(path.parent, create=create_parents)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
            try:
                handle = os.open(path.name, flags, 0o644, dir_fd=fd)
            except OSError as exc:
                self._refuse_link(exc, path)
                raise ToolError(f"{path.name}: cannot be written ({exc.strerror})") from None
            self._give(path.name, fd)
        finally:
            os.close(fd)
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))

    def _is_directory(self, path: Path) -> bool:
        try:
            os.close(self._open_dir(path, record=False))  # asking is not an attempt
        except ToolError:
            return False
        return True

    def _is_hidden(self, path: Path) -> bool:
        return any(path.is_relative_to(h.resolve()) for h in self.hidden)

    def _note_read(self, path: Path) -> None:
        if self.skill_dir is not None and path.is_relative_to(self.skill_dir):
            rel = path.relative_to(self.skill_dir).as_posix()
            if rel not in self.skill_reads:
                self.skill_reads.append(rel)

    # --- the editor --------------------------------------------------------------------------

    def editor(self, args: dict[str, Any]) -> str:
        command = args.get("command")
        path_arg = str(args.get("path", ""))
        if command == "view":
            return self._view(self._resolve(path_arg, write=False), args.get("view_range"))
        if command == "create":
            target = self._resolve(path_arg, write=True)
            text = args.get("file_text")
            if not isinstance(text, str):
                raise ToolError("create needs file_text")
            self._write_file(target, text, create_parents=True)
            return f"File created successfully at: {path_arg}"
        if command == "str_replace":
            target = self._resolve(path_arg, write=True)
            old, new = args.get("old_str"), args.get("new_str", "")
            if not isinstance(old, str) or not isinstance(new, str):
                raise ToolError("str_replace needs old_str and new_str")
            content = self._read(target)
            count = content.count(old)
            if count != 1:
                raise ToolError(
                    f"old_str must match exactly once; it matched {count} times in {path_arg}"
                )
            self._write_file(target, content.replace(old, new, 1))
            return f"The file {path_arg} has been edited."
        if command == "insert":
            target = self._resolve(path_arg, write=True)
            text = args.get("insert_text", args.get("new_str"))
            line = args.get("insert_line")
            if not isinstance(text, str) or not isinstance(line, int):
                raise ToolError("insert needs insert_line and insert_text")
            lines = self._read(target).splitlines(keepends=True)
            if not 0 <= line <= len(lines):
                raise ToolError(f"insert_line must be within 0..{len(lines)}")
            addition = text if text.endswith("\n") else text + "\n"
            lines.insert(line, addition)
            self._write_file(target, "".join(lines))
            return f"The file {path_arg} has been edited."
        raise ToolError(f"unknown command {command!r}")

    def _read(self, path: Path) -> str:
        return self._read_file(path)

    def _view(self, path: Path, view_range: Any) -> str:
        if self._is_directory(path):
            return self._listing(path)
        content = self._read(path)
        self._note_read(path)
        lines = content.splitlines()
        start, end = 1, len(lines)
        if isinstance(view_range, list) and len(view_range) == 2:
            start = max(1, int(view_range[0]))
            end = len(lines) if int(view_range[1]) == -1 else min(len(lines), int(view_range[1]))
        numbered = "\n".join(f"{n:6}\t{lines[n - 1]}" for n in range(start, end + 1))
        return truncate(numbered)

    def _listing(self, root: Path) -> str:
        entries: list[str] = []
        fd = self._open_dir(root)
        try:
            for dirpath, dirnames, filenames, _ in os.fwalk(".", dir_fd=fd):
                depth = len(Path(dirpath).parts) - 1
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
                if depth >= VIEW_DIR_DEPTH:
                    dirnames[:] = []
                base = Path(os.path.normpath(root / dirpath))
                entries += [str(base / d) + "/" for d in dirnames]
                entries += [str(base / f) for f in sorted(filenames)]
        finally:
            os.close(fd)
        return truncate("\n".join(entries))

    # --- bash ----------------------------------------------------------------------------------

    def bash(self, args: dict[str, Any]) -> str:
        if args.get("restart"):
            self._shell.close()
            return BASH_RESTARTED
        command = args.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError(BASH_NEEDS_COMMAND)
        for hidden in self.hidden:
            if str(hidden) in command:
                self.refused.append(f"bash command names hidden benchmark material: {command}")
        if self.skill_dir is not None:
            for match in re.finditer(re.escape(str(self.skill_dir)) + r"/([\w./-]+\.md)", command):
                if match.group(1) not in self.skill_reads:
                    self.skill_reads.append(match.group(1))
        return bash_reply(
            self._shell.run(command, timeout_s=self.command_timeout_s), self.command_timeout_s
        )
