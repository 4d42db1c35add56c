"""An external coding agent CLI run in the workspace: Claude Code, Codex, or a template.

In the skill arm the skill is installed where that agent loads project skills, and removed again
before the change is diffed and scored; in the baseline arm the harness verifies there is no trace
of it. The agent gets a private HOME, so user-level skills cannot leak into either arm. External
agents need their provider's API, so they keep the network (the scoring has none); the benchmark's
hidden material is still mounted away from them.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.agents.base import AgentRequest
from harness.errors import HarnessError
from harness.scoring import jail, sandbox
from harness.store.models import AgentResult, AgentStatus, Usage

PASS_THROUGH_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "PATH",
    "LANG",
)


@dataclass(frozen=True)
class Preset:
    template: str
    skills_dir: str  # where the agent loads project skills, relative to the workspace
    parser: str  # "claude-stream-json" or "none"


PRESETS = {
    "claude-code": Preset(
        template=(
            "claude -p {prompt} --output-format stream-json --verbose --model {model}"
            " --dangerously-skip-permissions"
        ),
        skills_dir=".claude/skills",
        parser="claude-stream-json",
    ),
    "codex": Preset(
        template="codex exec --full-auto --skip-git-repo-check --model {model} {prompt}",
        skills_dir=".agents/skills",
        parser="none",
    ),
}
TRACE_DIRS = (
    ".claude/skills",
    ".agents/skills",
    ".codex/skills",
    ".gemini/skills",
    ".cursor/skills",
)


@dataclass
class CommandAgent:
    template: str
    skills_dir: str
    parser: str
    model: str
    name: str = "command"

    @classmethod
    def from_options(cls, preset: str | None, template: str | None, model: str) -> CommandAgent:
        if preset and template:
            raise HarnessError("--preset and --command are exclusive")
        if preset:
            chosen = PRESETS[preset]
            return cls(chosen.template, chosen.skills_dir, chosen.parser, model, name=preset)
        if not template:
            raise HarnessError("--agent command needs --preset claude-code|codex or --command")
        if "{prompt}" not in template and "{prompt_file}" not in template:
            raise HarnessError("--command must contain {prompt} or {prompt_file}")
        return cls(template, ".agents/skills", "none", model)

    def settings(self) -> dict[str, Any]:
        return {"template": self.template, "skills_dir": self.skills_dir, "model": self.model}

    def argv(self, prompt: str, prompt_file: Path, workspace: Path) -> list[str]:
        words = shlex.split(self.template)
        values = {
            "{prompt}": prompt,
            "{prompt_file}": str(prompt_file),
            "{workspace}": str(workspace),
            "{model}": self.model,
        }
        out: list[str] = []
        for word in words:
            for placeholder, value in values.items():
                word = value if word == placeholder else word.replace(placeholder, value)
            out.append(word)
        return out

    def run(self, request: AgentRequest) -> AgentResult:
        if request.arm == "inline":
            raise HarnessError("the inline arm needs the anthropic agent (it owns the prompt)")
        workspace = request.workspace
        installed: Path | None = None
        if request.arm == "skill":
            if request.skill is None:
                raise HarnessError("skill arm without a skill")
            installed = workspace / self.skills_dir / request.skill.name
            shutil.copytree(request.skill.folder, installed)
            _exclude_from_git(workspace, self.skills_dir)
        else:
            traces = find_traces(workspace, request.skill.name if request.skill else None)
            if traces:
                return AgentResult(
                    status="infra_error", detail=f"baseline arm has skill traces: {traces}"
                )
        with tempfile.TemporaryDirectory(prefix="skill-eval-agent-home-") as tmp:
            home, shared = Path(tmp, "home"), Path(tmp, "prompt")
            home.mkdir()
            shared.mkdir()
            Path(tmp).chmod(0o755)
            shared.chmod(0o755)
            prompt_file = shared / "prompt.md"
            prompt_file.write_text(request.task.spec.prompt)
            env = {k: v for k, v in os.environ.items() if k in PASS_THROUGH_ENV}
            env["HOME"] = str(home)
            env["PYTHONPATH"] = str(workspace / "src")  # lint-imports from the repository root
            argv = self.argv(request.task.spec.prompt, prompt_file, workspace)
            if sandbox.jail_available():  # uid 65534; the network stays (the CLI needs its API)
                jail.give(str(workspace))
                jail.give(str(home))
                on_path = [Path(d) for d in env.get("PATH", "").split(":") if d]
                spec = sandbox.untrusted_jail(
                    home,
                    hide=request.hidden,
                    readonly=(shared, *on_path),
                    writable=(workspace,),
                    network=True,
                    memory_bytes=None,  # V8 reserves far more address space than it uses
                )
                argv = sandbox.jailed(argv, spec)
            else:
                argv = sandbox.hiding(argv, request.hidden)
            started = time.monotonic()
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=workspace,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    start_new_session=True,
                )
            except FileNotFoundError as exc:
                return AgentResult(status="infra_error", detail=f"agent command not found: {exc}")
            status: AgentStatus = "completed"
            try:
                stdout, stderr = proc.communicate(timeout=request.limits.wall_seconds or None)
            except subprocess.TimeoutExpired:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                stdout, stderr = proc.communicate()
                status = "time_limit"
            wall = round(time.monotonic() - started, 3)
        if installed is not None:
            _remove_within(workspace, installed)
        result = parse_output(self.parser, stdout, installed)
        result.status = status if result.status == "completed" else result.status
        result.wall_s = wall
        if proc.returncode not in (0, None) and status == "completed":
            result.detail = f"exit code {proc.returncode}: {stderr.strip()[-500:]}"
        if proc.returncode == 127 or (
            proc.returncode == jail.SETUP_FAILED and stderr.startswith("jail:")
        ):  # the CLI (or what it needs) was not found, or the jail not built: not the agent's
            result.status = "infra_error"
        return result


def _remove_within(workspace: Path, path: Path) -> None:
    """Remove ``path`` only if it still lies inside ``workspace`` with no link on the way.

    The agent owned the workspace meanwhile: a folder on the way replaced by a link (say
    ``.claude`` -> the user's ``~/.claude``) must not make the harness delete what it points to.
    """
    current = workspace
    for part in path.relative_to(workspace).parts:
        current = current / part
        if current.is_symlink():
            return
    if current.is_dir():
        shutil.rmtree(current, ignore_errors=True)


def _exclude_from_git(workspace: Path, skills_dir: str) -> None:
    """Keep the installed skill out of the diff even if removing it fails."""
    exclude = workspace / ".git" / "info" / "exclude"
    if exclude.parent.is_dir():
        with exclude.open("a") as handle:
            handle.write(f"/{skills_dir}/\n")


def find_traces(workspace: Path, name: str | None) -> list[str]:
    """Skill folders or instruction files that would give the baseline arm the skill."""
    found = [d for d in TRACE_DIRS if name and (workspace / d / name).exists()]
    for doc in ("AGENTS.md", "CLAUDE.md", "GEMINI.md"):
        path = workspace / doc
        if name and path.is_file() and name in path.read_text(errors="replace"):
            found.append(doc)
    return found


def parse_output(parser: str, stdout: str, installed: Path | None) -> AgentResult:
    if parser != "claude-stream-json":
        return AgentResult(status="completed", transcript=[{"role": "output", "text": stdout}])
    events: list[dict[str, Any]] = []
    reads: list[str] = []
    usage = Usage()
    turns = 0
    for line in stdout.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(event, dict):
            continue
        events.append(event)
        if event.get("type") == "assistant":
            for block in event.get("message", {}).get("content", []) or []:
                reads.extend(_skill_read(block, installed))
        if event.get("type") == "result":
            raw = event.get("usage") or {}
            turns = int(event.get("num_turns") or 0)
            usage = Usage(
                calls=turns,
                input_tokens=int(raw.get("input_tokens") or 0),
                output_tokens=int(raw.get("output_tokens") or 0),
                cache_read_tokens=int(raw.get("cache_read_input_tokens") or 0),
                cache_write_tokens=int(raw.get("cache_creation_input_tokens") or 0),
                cost_usd=float(event.get("total_cost_usd") or 0.0),
            )
    unique = list(dict.fromkeys(reads))
    return AgentResult(
        status="completed", turns=turns, usage=usage, skill_reads=unique, transcript=events
    )


def _skill_read(block: Any, installed: Path | None) -> list[str]:
    if not isinstance(block, dict) or block.get("type") != "tool_use" or installed is None:
        return []
    args = block.get("input") or {}
    if block.get("name") == "Skill" and installed.name in json.dumps(args):
        return ["SKILL.md"]
    path = str(args.get("file_path") or args.get("path") or "")
    marker = f"/{installed.parent.name}/{installed.name}/"
    if marker in path:
        return [path.split(marker, 1)[1]]
    return []
