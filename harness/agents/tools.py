"""The coding tools an agent uses, executed by the harness inside the workspace.

- the text editor (Claude's ``text_editor_20250728`` schema): view, create, str_replace, insert.
  Paths must resolve (symlinks followed) inside the workspace, or inside the read-only skill
  folder for ``view``; everything else is refused and recorded.
- bash: one persistent shell session per trial (``cd`` and exports carry over), in the sandbox
  (no network, scrubbed environment, timeout, truncated output), with the benchmark's hidden
  material mounted away; ``restart`` starts a new one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.agents.shell import ShellSession

MAX_OUTPUT_CHARS = 12_000
VIEW_DIR_DEPTH = 2
_SKIP_DIRS = {".git", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".venv"}


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
        if not raw:
            raise ToolError("a path is required")
        candidate = Path(raw)
        if not candidate.is_absolute():
            candidate = self.workspace / candidate
        resolved = Path(os.path.realpath(candidate))
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
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
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
            target.write_text(content.replace(old, new, 1), encoding="utf-8")
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
            target.write_text("".join(lines), encoding="utf-8")
            return f"The file {path_arg} has been edited."
        raise ToolError(f"unknown command {command!r}")

    def _read(self, path: Path) -> str:
        if not path.is_file():
            raise ToolError(f"{path.name}: no such file")
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise ToolError(f"{path.name}: not a text file") from None

    def _view(self, path: Path, view_range: Any) -> str:
        if path.is_dir():
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
        for dirpath, dirnames, filenames in os.walk(root):
            depth = len(Path(dirpath).relative_to(root).parts)
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            if depth >= VIEW_DIR_DEPTH:
                dirnames[:] = []
            base = Path(dirpath)
            entries += [str(base / d) + "/" for d in dirnames]
            entries += [str(base / f) for f in sorted(filenames)]
        return truncate("\n".join(entries))

    # --- bash ----------------------------------------------------------------------------------

    def bash(self, args: dict[str, Any]) -> str:
        if args.get("restart"):
            self._shell.close()
            return "The bash session has been restarted."
        command = args.get("command")
        if not isinstance(command, str) or not command.strip():
            raise ToolError("bash needs a command")
        for hidden in self.hidden:
            if str(hidden) in command:
                self.refused.append(f"bash command names hidden benchmark material: {command}")
        if self.skill_dir is not None:
            for match in re.finditer(re.escape(str(self.skill_dir)) + r"/([\w./-]+\.md)", command):
                if match.group(1) not in self.skill_reads:
                    self.skill_reads.append(match.group(1))
        done = self._shell.run(command, timeout_s=self.command_timeout_s)
        output = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.stderr.strip() else "")
        if done.timed_out:
            return (
                truncate(output) + f"\n[command timed out after {self.command_timeout_s:.0f} s;"
                " the bash session was restarted: cd and variables are reset]"
            )
        if done.shell_ended:
            return truncate(output) + "\n[the shell exited; the next command starts a new one]"
        if done.exit_code != 0:
            return truncate(output) + f"\n[exit code {done.exit_code}]"
        return truncate(output) or "(no output)"
