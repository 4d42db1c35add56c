"""An external coding agent CLI run in the workspace: Claude Code, Codex, Gemini CLI, or a template.

In the skill arm the skill is installed where that agent loads project skills, and removed again
before the change is diffed and scored; in the baseline arm the harness verifies there is no trace
of it. The agent gets a private HOME, so user-level skills cannot leak into either arm; a preset
writes what its client needs to run unattended (no prompts, no login, the model API's base URL)
into a per-trial configuration folder. External agents need their provider's API, so they keep
the network (the scoring has none); the benchmark's hidden material is still mounted away from
them.

The presets are tested against the real clients (docs/skill-install.md says what was found);
what each client reports (its JSON events) gives the turns, tokens, cost and skill reads. A
client that never reached its model, or whose model API failed (429, 5xx, a dropped connection,
after the client's own retries), ends the trial as an infrastructure error, never as the agent's
failure.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.agents.base import AgentRequest
from harness.agents.pricing import PriceTable
from harness.errors import HarnessError
from harness.scoring import jail, sandbox
from harness.store.models import AgentResult, AgentStatus, Usage

PASS_THROUGH_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_CODE_OAUTH_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
    "CODEX_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "HTTPS_PROXY",
    "HTTP_PROXY",
    "NO_PROXY",
    "PATH",
    "LANG",
)
# How often a client retries a failing model API call (its own retry loop), when set; otherwise
# each client's default (Claude Code: 10 retries, Codex: 4 requests and 5 stream reconnects,
# Gemini CLI: 10 attempts), which can take minutes before a trial ends as an infrastructure error.
CLIENT_RETRIES_ENV = "SKILL_EVAL_CLIENT_RETRIES"
CODEX_PROVIDER = "skill-eval"


@dataclass(frozen=True)
class ClientConfig:
    """Where a preset puts the client's configuration, and the client's environment.

    The jail gives the client a fresh, empty HOME, so configuration goes to ``folder`` (per
    trial, writable by the client) and the client is pointed at it by its own variable.
    """

    folder: Path
    env: dict[str, str]  # the client's environment (the preset may add to it)
    retries: int | None  # CLIENT_RETRIES_ENV, when set


def _configure_claude(config: ClientConfig) -> None:
    if config.retries is not None:
        config.env["CLAUDE_CODE_MAX_RETRIES"] = str(config.retries)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a TOML basic string takes JSON's escapes


def _configure_codex(config: ClientConfig) -> None:
    """$CODEX_HOME/config.toml: no update checks or analytics; OPENAI_BASE_URL as a provider.

    Codex ignores OPENAI_BASE_URL for its built-in provider: the base URL only takes effect
    through a model provider of one's own (Responses API, key from the environment).
    """
    lines = ["check_for_update_on_startup = false", "[analytics]", "enabled = false"]
    base_url = config.env.get("OPENAI_BASE_URL")
    if base_url:
        key_env = "OPENAI_API_KEY" if "OPENAI_API_KEY" in config.env else "CODEX_API_KEY"
        provider = [
            f"[model_providers.{CODEX_PROVIDER}]",
            f"name = {_toml_string('OPENAI_BASE_URL (skill-eval)')}",
            f"base_url = {_toml_string(base_url)}",
            f"env_key = {_toml_string(key_env)}",
            'wire_api = "responses"',
        ]
        if config.retries is not None:
            provider += [
                f"request_max_retries = {config.retries}",
                f"stream_max_retries = {config.retries}",
            ]
        lines = [f"model_provider = {_toml_string(CODEX_PROVIDER)}", *lines, *provider]
    codex_home = config.folder / "codex"  # Codex writes its sessions here too
    codex_home.mkdir()
    (codex_home / "config.toml").write_text("\n".join(lines) + "\n")
    config.env["CODEX_HOME"] = str(codex_home)


def _configure_gemini(config: ClientConfig) -> None:
    """$GEMINI_CLI_HOME/.gemini/settings.json: the API-key auth type, no update checks, no
    telemetry; the retry count when set.

    With GOOGLE_GEMINI_BASE_URL set and no auth type chosen, Gemini CLI picks a "gateway"
    auth type that it then refuses ("Invalid auth method selected").
    """
    general: dict[str, Any] = {"disableAutoUpdate": True, "disableUpdateNag": True}
    if config.retries is not None:
        general["maxAttempts"] = config.retries + 1
    settings = {
        "security": {"auth": {"selectedType": "gemini-api-key"}},
        "general": general,
        "privacy": {"usageStatisticsEnabled": False},
        "telemetry": {"enabled": False},
    }
    gemini_home = config.folder / "gemini"  # where Gemini CLI keeps ~/.gemini
    (gemini_home / ".gemini").mkdir(parents=True)
    (gemini_home / ".gemini" / "settings.json").write_text(json.dumps(settings, indent=2) + "\n")
    config.env["GEMINI_CLI_HOME"] = str(gemini_home)


@dataclass(frozen=True)
class Preset:
    template: str
    skills_dir: str  # where the agent loads project skills, relative to the workspace
    parser: str  # a key of PARSERS, or "none"
    env: Mapping[str, str] = field(default_factory=dict)  # set for the client
    configure: Callable[[ClientConfig], None] | None = None


PRESETS = MappingProxyType(
    {
        "claude-code": Preset(
            template=(
                "claude -p {prompt} --output-format stream-json --verbose --model {model}"
                " --dangerously-skip-permissions"
            ),
            skills_dir=".claude/skills",
            parser="claude-stream-json",
            # Claude Code refuses to skip permissions as root unless told it is sandboxed: it
            # is (the jail), and the non-root fallback maps the caller to root in a namespace.
            env={"IS_SANDBOX": "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"},
            configure=_configure_claude,
        ),
        "codex": Preset(
            # The harness's jail is the sandbox: Codex's own (namespaces, seccomp) cannot be
            # built inside it. `exec` never asks for approval.
            template=(
                "codex exec --json --dangerously-bypass-approvals-and-sandbox"
                " --skip-git-repo-check --model {model} {prompt}"
            ),
            skills_dir=".agents/skills",
            parser="codex-json",
            configure=_configure_codex,
        ),
        "gemini": Preset(
            template=(
                "gemini --prompt {prompt} --output-format stream-json --model {model}"
                " --approval-mode yolo"
            ),
            skills_dir=".gemini/skills",
            parser="gemini-stream-json",
            env={"GEMINI_CLI_TRUST_WORKSPACE": "true"},  # else it stops: untrusted folder
            configure=_configure_gemini,
        ),
    }
)
TRACE_DIRS = (
    ".claude/skills",
    ".agents/skills",
    ".codex/skills",
    ".gemini/skills",
    ".cursor/skills",
)


def client_retries() -> int | None:
    """``$SKILL_EVAL_CLIENT_RETRIES`` as a count, or None when unset."""
    raw = os.environ.get(CLIENT_RETRIES_ENV, "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise HarnessError(f"{CLIENT_RETRIES_ENV}={raw!r}: expected a whole number (0 or more)")
    return int(raw)


@dataclass
class CommandAgent:
    template: str
    skills_dir: str
    parser: str
    model: str
    name: str = "command"
    prices: PriceTable | None = None  # for clients that report tokens but no cost
    env: Mapping[str, str] = field(default_factory=dict)
    configure: Callable[[ClientConfig], None] | None = None

    @classmethod
    def from_options(
        cls,
        preset: str | None,
        template: str | None,
        model: str,
        prices: PriceTable | None = None,
    ) -> CommandAgent:
        if preset and template:
            raise HarnessError("--preset and --command are exclusive")
        if preset:
            if preset not in PRESETS:
                raise HarnessError(f"--preset {preset!r}: choose one of {', '.join(PRESETS)}")
            chosen = PRESETS[preset]
            client_retries()  # a bad value is refused before any trial
            return cls(
                chosen.template,
                chosen.skills_dir,
                chosen.parser,
                model,
                name=preset,
                prices=prices,
                env=chosen.env,
                configure=chosen.configure,
            )
        if not template:
            raise HarnessError(f"--agent command needs --preset {'|'.join(PRESETS)} or --command")
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
            # Not git-ignored: clients skip ignored files (Gemini CLI's read_file refuses them,
            # ripgrep-based search passes them by), and a user's installed skill is not ignored.
            shutil.copytree(request.skill.folder, installed)
        else:
            traces = find_traces(workspace, request.skill.name if request.skill else None)
            if traces:
                return AgentResult(
                    status="infra_error", detail=f"baseline arm has skill traces: {traces}"
                )
        with tempfile.TemporaryDirectory(prefix="skill-eval-agent-home-") as tmp:
            home, shared, config = Path(tmp, "home"), Path(tmp, "prompt"), Path(tmp, "config")
            home.mkdir()
            shared.mkdir()
            config.mkdir()
            Path(tmp).chmod(0o755)
            shared.chmod(0o755)
            prompt_file = shared / "prompt.md"
            prompt_file.write_text(request.task.spec.prompt)
            env = {k: v for k, v in os.environ.items() if k in PASS_THROUGH_ENV}
            env.update(self.env)
            env["HOME"] = str(home)
            env["PYTHONPATH"] = str(workspace / "src")  # lint-imports from the repository root
            if self.configure is not None:
                self.configure(ClientConfig(config, env, client_retries()))
            argv = self.argv(request.task.spec.prompt, prompt_file, workspace)
            if sandbox.jail_available():  # uid 65534; the network stays (the CLI needs its API)
                jail.give(str(workspace))
                jail.give(str(home))
                jail.give(str(config))
                on_path = [Path(d) for d in env.get("PATH", "").split(":") if d]
                spec = sandbox.untrusted_jail(
                    home,
                    hide=request.hidden,
                    readonly=(shared, *on_path, *install_roots(argv[0], env.get("PATH", ""))),
                    writable=(workspace, config),
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
        exit_note = f"exit code {proc.returncode}: {stderr.strip()[-500:]}"
        if self.parser == "none":
            result = AgentResult(status=status, transcript=[{"role": "output", "text": stdout}])
            if proc.returncode not in (0, None) and status == "completed":
                result.detail = exit_note
            if proc.returncode == 127:  # the CLI (or what it needs) was not found
                result.status = "infra_error"
        else:
            parsed = PARSERS[self.parser](stdout, installed)
            result = parsed.result
            if parsed.model_error:  # the model API failed, after the client's own retries
                result.status = "infra_error"
                result.detail = f"model API error: {parsed.model_error}"
            elif not parsed.reached_model:
                result.status = "infra_error"
                result.detail = f"the client never reached its model: {exit_note}"
            elif status != "completed":
                result.status = status
            elif proc.returncode not in (0, None):
                result.detail = exit_note
            self._price(result)
        if proc.returncode == jail.SETUP_FAILED and stderr.startswith("jail:"):
            result.status = "infra_error"  # the jail was not built: the CLI never ran
            result.detail = exit_note
        result.wall_s = wall
        return result

    def _price(self, result: AgentResult) -> None:
        """Cost from the price table, for clients that report tokens but not what they cost."""
        usage = result.usage
        if usage.cost_usd or not usage.calls or self.prices is None:
            return
        if self.prices.price(self.model) is None:
            usage.unpriced_calls = usage.calls
        else:
            usage.cost_usd = self.prices.cost(self.model, usage)


def install_roots(binary: str, path: str) -> list[Path]:
    """What the jail must show for ``binary`` to run: the package it is installed in.

    npm puts a link on PATH (``node_modules/.bin/claude`` -> ``../@anthropic-ai/...``) whose
    target, and the packages next to it, lie outside the PATH directory; under a directory only
    root may traverse (``/root/.cache``, ``~/.npm-global``) or under ``/tmp`` the jail would
    show a dangling link. The outermost ``node_modules`` holds the package and its
    dependencies. ``node``, which npm's scripts start through ``env``, is resolved the same way.
    """
    roots: list[Path] = []
    for name in (binary, "node"):
        found = shutil.which(name, path=path) if "/" not in name else name
        if not found:
            continue
        real = Path(found).resolve()
        parts = real.parts
        if "node_modules" in parts:
            roots.append(Path(*parts[: parts.index("node_modules") + 1]))
        else:
            roots.append(real.parent)
    return list(dict.fromkeys(roots))


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


def find_traces(workspace: Path, name: str | None) -> list[str]:
    """Skill folders or instruction files that would give the baseline arm the skill."""
    found = [d for d in TRACE_DIRS if name and (workspace / d / name).exists()]
    for doc in ("AGENTS.md", "CLAUDE.md", "GEMINI.md"):
        path = workspace / doc
        if name and path.is_file() and name in path.read_text(errors="replace"):
            found.append(doc)
    return found


# --- what the clients report ------------------------------------------------------------------


@dataclass
class Parsed:
    result: AgentResult
    reached_model: bool = False  # the model answered at least once
    model_error: str | None = None  # the client gave up on its model API


def _events(stdout: str) -> Iterator[dict[str, Any]]:
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        with suppress(json.JSONDecodeError):
            event = json.loads(line)
            if isinstance(event, dict):
                yield event


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _relative_skill_path(path: str, installed: Path) -> str | None:
    marker = f"/{installed.parent.name}/{installed.name}/"
    if marker in path:
        return path.split(marker, 1)[1]
    prefix = f"{installed.parent.name}/{installed.name}/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def parse_claude(stdout: str, installed: Path | None) -> Parsed:
    """Claude Code's ``--output-format stream-json --verbose``: one JSON event a line.

    ``assistant`` events carry the model's messages, or a synthetic one (``<synthetic>``,
    flagged ``is_api_error_message``) saying why the client stopped; ``system``/``api_retry``
    each retry; the ``result`` event the turns, the summed usage, the client's own cost and
    ``terminal_reason``: ``api_error`` once the client gave up on its model API (429, 5xx, a
    dropped connection), unlike a conversation grown too long (``blocking_limit``), which is
    the agent's own end.
    """
    events: list[dict[str, Any]] = []
    reads: list[str] = []
    retries: list[str] = []
    parsed = Parsed(AgentResult(status="completed"))
    usage = Usage()
    turns = 0
    client_error: str | None = None  # the last synthetic message
    saw_result = False
    for event in _events(stdout):
        events.append(event)
        kind = event.get("type")
        if kind == "system" and event.get("subtype") == "api_retry":
            retries.append(f"{event.get('error_status') or ''} {event.get('error') or ''}".strip())
        elif kind == "assistant":
            message = _dict(event.get("message"))
            if event.get("is_api_error_message") or message.get("model") == "<synthetic>":
                client_error = _message_text(message) or "API error"
                continue
            parsed.reached_model = True
            for block in message.get("content") or []:
                reads.extend(_claude_skill_read(block, installed))
        elif kind == "result":
            saw_result = True
            parsed.reached_model |= not event.get("is_error")  # a session that ended well
            raw = _dict(event.get("usage"))
            turns = _int(event.get("num_turns"))
            usage = Usage(
                calls=turns,
                input_tokens=_int(raw.get("input_tokens")),
                output_tokens=_int(raw.get("output_tokens")),
                cache_read_tokens=_int(raw.get("cache_read_input_tokens")),
                cache_write_tokens=_int(raw.get("cache_creation_input_tokens")),
                cost_usd=float(event.get("total_cost_usd") or 0.0),
            )
            if event.get("terminal_reason") == "api_error":
                parsed.model_error = str(event.get("result") or client_error or "API error")
            elif event.get("is_error"):
                parsed.result.detail = str(event.get("result") or "")[:500]
            if event.get("subtype") == "error_max_turns":
                parsed.result.status = "turn_limit"
    if not saw_result and client_error:  # the client stopped on an API error without a result
        parsed.model_error = client_error
    parsed.result.turns = turns
    parsed.result.usage = usage
    parsed.result.skill_reads = list(dict.fromkeys(reads))
    parsed.result.retries = retries
    parsed.result.transcript = events
    return parsed


def _message_text(message: dict[str, Any]) -> str:
    texts = [b.get("text", "") for b in message.get("content") or [] if isinstance(b, dict)]
    return " ".join(t for t in texts if isinstance(t, str)).strip()


def _claude_skill_read(block: Any, installed: Path | None) -> list[str]:
    if not isinstance(block, dict) or block.get("type") != "tool_use" or installed is None:
        return []
    args = _dict(block.get("input"))
    if block.get("name") == "Skill" and installed.name in json.dumps(args):
        return ["SKILL.md"]
    relative = _relative_skill_path(str(args.get("file_path") or args.get("path") or ""), installed)
    return [relative] if relative else []


# A path into the installed skill inside a shell command: .../skills/NAME/REST
_PATH_CHARS = r"[^\s'\"`;|&<>()]+"


def _command_skill_reads(command: str, installed: Path | None) -> list[str]:
    if installed is None:
        return []
    pattern = re.escape(f"{installed.parent.name}/{installed.name}/") + f"({_PATH_CHARS})"
    return [match.group(1) for match in re.finditer(pattern, command)]


def parse_codex(stdout: str, installed: Path | None) -> Parsed:
    """Codex's ``exec --json``: thread, turn and item events, one JSON object a line.

    Items are what the model did (``command_execution``, ``file_change``, ``agent_message``,
    ...); ``turn.completed`` carries the usage, ``turn.failed`` (or a last ``error``) the API
    failure the client gave up on. Codex reads a skill with shell commands, so skill reads are
    the skill's paths in the commands it ran. Its input tokens include the cached ones: they
    are split, so a price table prices them as cache reads. Codex reports no cost.
    """
    events: list[dict[str, Any]] = []
    reads: list[str] = []
    retries: list[str] = []
    parsed = Parsed(AgentResult(status="completed"))
    input_tokens = cached = output_tokens = turns = 0
    last_error: str | None = None
    for event in _events(stdout):
        events.append(event)
        kind = event.get("type")
        if kind == "item.completed":
            item = _dict(event.get("item"))
            item_type = item.get("type")
            if item_type == "error":
                continue  # a warning from the client itself, not the model
            parsed.reached_model = True
            turns += item_type not in ("reasoning", "todo_list")
            if item_type == "command_execution":
                reads.extend(_command_skill_reads(str(item.get("command") or ""), installed))
        elif kind == "turn.completed":
            parsed.reached_model = True
            last_error = None
            usage = _dict(event.get("usage"))
            input_tokens += _int(usage.get("input_tokens"))
            cached += _int(usage.get("cached_input_tokens"))
            output_tokens += _int(usage.get("output_tokens"))
        elif kind == "turn.failed":
            parsed.model_error = str(_dict(event.get("error")).get("message") or "turn failed")
        elif kind == "error":
            message = str(event.get("message") or "error")
            if message.startswith("Reconnecting"):
                retries.append(message)
            else:
                last_error = message
    if parsed.model_error is None and last_error is not None:
        parsed.model_error = last_error
    parsed.result.turns = turns
    parsed.result.usage = Usage(
        calls=turns,  # Codex does not report its requests: one per action is the floor
        input_tokens=max(input_tokens - cached, 0),
        cache_read_tokens=cached,
        output_tokens=output_tokens,
    )
    parsed.result.skill_reads = list(dict.fromkeys(reads))
    parsed.result.retries = retries
    parsed.result.transcript = events
    return parsed


def parse_gemini(stdout: str, installed: Path | None) -> Parsed:
    """Gemini CLI's ``--output-format stream-json``: init, message, tool_use, tool_result and
    result events, one JSON object a line. The result's ``stats`` hold the tokens (``input``
    is what was not cached); a result with ``status`` ``error`` and an ``[API Error ...]``
    message is the model API the client gave up on. Gemini CLI reports no cost.
    """
    events: list[dict[str, Any]] = []
    reads: list[str] = []
    parsed = Parsed(AgentResult(status="completed"))
    stats: dict[str, Any] = {}
    turns = 0
    answered = False
    for event in _events(stdout):
        events.append(event)
        kind = event.get("type")
        if kind == "message" and event.get("role") == "assistant":
            parsed.reached_model = answered = True
        elif kind == "tool_use":
            parsed.reached_model = True
            turns += 1
            reads.extend(_gemini_skill_read(event, installed))
        elif kind == "result":
            stats = _dict(event.get("stats"))
            if event.get("status") == "error":
                message = str(_dict(event.get("error")).get("message") or "error")
                if "API Error" in message or not parsed.reached_model:
                    parsed.model_error = message
                else:
                    parsed.result.detail = message[:500]
    turns += int(answered)
    cached = _int(stats.get("cached"))
    parsed.result.turns = turns
    parsed.result.usage = Usage(
        calls=turns,  # Gemini CLI's stream does not count its requests: one per action
        input_tokens=max(_int(stats.get("input_tokens")) - cached, 0),
        output_tokens=_int(stats.get("output_tokens")),
        cache_read_tokens=cached,
    )
    parsed.result.skill_reads = list(dict.fromkeys(reads))
    parsed.result.transcript = events
    return parsed


def _gemini_skill_read(event: dict[str, Any], installed: Path | None) -> list[str]:
    if installed is None:
        return []
    args = _dict(event.get("parameters"))
    name = event.get("tool_name")
    if name == "activate_skill" and args.get("name") == installed.name:
        return ["SKILL.md"]
    if name in ("read_file", "read_many_files"):
        relative = _relative_skill_path(str(args.get("file_path") or ""), installed)
        return [relative] if relative else []
    if name == "run_shell_command":
        return _command_skill_reads(str(args.get("command") or ""), installed)
    return []


PARSERS: Mapping[str, Callable[[str, Path | None], Parsed]] = MappingProxyType(
    {
        "claude-stream-json": parse_claude,
        "codex-json": parse_codex,
        "gemini-stream-json": parse_gemini,
    }
)
