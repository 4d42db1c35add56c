"""`skill-eval run`: agents on tasks, per arm, model and epoch; scored, stored, resumable."""

from __future__ import annotations

import argparse
import contextlib
import shlex
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.agents.base import Agent
    from harness.store.models import Arm, RunManifest, TrialRecord
    from harness.store.runner import PlannedTrial

AGENTS = ("anthropic", "command", "oracle", "nop", "patch")
DEFAULT_MODEL = "claude-sonnet-4-6"
# What a resumed run takes from its manifest (flag -> argument name); giving one of these with
# another value than the run started with is refused, never silently ignored.
RESUMED_FLAGS = {
    "--agent": "agent",
    "--model": "model",
    "--tasks": "tasks",
    "--arms": "arms",
    "--epochs": "epochs",
    "--skill-dir": "skill_dir",
    "--max-turns": "max_turns",
    "--max-output-tokens": "max_output_tokens",
    "--wall-seconds": "wall_seconds",
    "--command-timeout": "command_timeout",
    "--base-url": "base_url",
    "--preset": "preset",
    "--command": "command_template",
    "--patch": "patch",
}
RUN_DEFAULTS: dict[str, Any] = {}


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run agents on tasks and score every trial",
        description="Run an agent on benchmark tasks in each arm, score every trial, and store"
        " it under the run directory (resumable).",
        epilog="examples:\n"
        "  skill-eval run --agent anthropic --model claude-sonnet-4-6 --epochs 3 -j 4\n"
        "  skill-eval run --agent command --preset claude-code --tasks cached-product-read\n"
        "  skill-eval run --agent command --command 'my-agent --cwd {workspace} {prompt}'\n"
        "  skill-eval run --agent patch --patch evals/recorded/blind-2026-11 --epochs 2\n"
        "  skill-eval run --resume runs/20261129-101500-anthropic\n"
        "--command placeholders: {prompt} (the task prompt, one argument), {prompt_file} (a file"
        " holding it),\n  {workspace} (the repository to edit), {model} (the --model value).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--agent",
        choices=AGENTS,
        default="anthropic",
        help="who solves the tasks (default: anthropic, the built-in agent on the Messages API)",
    )
    p.add_argument(
        "--model", action="append", help=f"model id, repeat for several (default: {DEFAULT_MODEL})"
    )
    p.add_argument("--tasks", nargs="+", default=["all"], help="'all' or task ids (default: all)")
    p.add_argument(
        "--arms",
        default="baseline,skill",
        help="comma list of baseline, skill, inline (default: baseline,skill)",
    )
    p.add_argument("--epochs", type=int, default=1, help="trials per task and arm (default: 1)")
    p.add_argument(
        "-j", "--jobs", type=int, default=2, help="trials whose agents run at once (default: 2)"
    )
    p.add_argument("--scoring-jobs", type=int, default=2, help="trials scored at once (default: 2)")
    p.add_argument("--run-dir", type=Path, help="where the run is stored (new)")
    p.add_argument("--resume", type=Path, metavar="DIR", help="finish an interrupted run")
    p.add_argument("--skill-dir", type=Path, help="evaluate this skill folder instead")
    p.add_argument(
        "--max-turns", type=int, default=60, help="built-in agent: model turns (default: 60)"
    )
    p.add_argument(
        "--max-output-tokens",
        type=int,
        default=16_000,
        help="built-in agent: tokens per model turn (default: 16000)",
    )
    p.add_argument("--wall-seconds", type=float, help="per trial (default: the task's limit)")
    p.add_argument(
        "--command-timeout",
        type=float,
        default=120.0,
        help="built-in agent: seconds per shell command (default: 120)",
    )
    p.add_argument("--base-url", help="Messages API base URL (default: the SDK's)")
    p.add_argument("--prices", type=Path, help="price table JSON overriding the packaged one")
    p.add_argument(
        "--preset", choices=("claude-code", "codex", "gemini"), help="for --agent command"
    )
    p.add_argument(
        "--command",
        dest="command_template",
        help="for --agent command: the command line, with placeholders (see below)",
    )
    p.add_argument(
        "--patch",
        type=Path,
        help="for --agent patch: a unified diff applied to every trial, or a folder of recorded"
        " solutions (DIR/solver.json, DIR/TASK/ARM-EPOCH.patch and optional .json)",
    )
    p.add_argument(
        "--keep-workspaces",
        action="store_true",
        help="keep each trial's workspace under the run directory (default: removed)",
    )
    p.add_argument(
        "--display",
        choices=("auto", "rich", "plain", "none"),
        default="auto",
        help="progress: a live bar (rich), one line per finished trial (plain), or nothing until"
        " the summary (none); default auto: rich in a terminal, plain otherwise",
    )
    p.add_argument(
        "--max-infra-errors",
        type=int,
        default=0,
        metavar="N",
        help="exit 0 despite up to N infrastructure errors (default 0: any makes the exit 1)",
    )
    p.set_defaults(handler=run_run)
    RUN_DEFAULTS.update({dest: p.get_default(dest) for dest in RESUMED_FLAGS.values()})


def parse_arms(text: str) -> list[Arm]:
    from harness.store.models import ARMS

    arms = [a.strip() for a in text.split(",") if a.strip()]
    bad = [a for a in arms if a not in ARMS]
    if bad or not arms:
        raise HarnessError(f"--arms: unknown arm(s) {bad or text!r}; choose from {', '.join(ARMS)}")
    return [a for a in ARMS if a in arms]


def build_agent(args: argparse.Namespace, model: str) -> Agent:
    from harness.agents.builtin import NopAgent, OracleAgent, PatchAgent

    if args.prices is not None and args.agent in ("oracle", "nop", "patch"):
        raise HarnessError(
            f"--prices: --agent {args.agent} calls no model, so a price table would be ignored;"
            " it applies to --agent anthropic and command"
        )
    if args.agent == "oracle":
        return OracleAgent()
    if args.agent == "nop":
        return NopAgent()
    if args.agent == "patch":
        if args.patch is None:
            raise HarnessError("--agent patch needs --patch FILE_OR_DIR")
        return PatchAgent(args.patch)
    if args.agent == "command":
        from harness.agents.command import CommandAgent
        from harness.agents.pricing import load_prices

        prices = load_prices(args.prices)  # for clients that report tokens but no cost
        return CommandAgent.from_options(args.preset, args.command_template, model, prices)
    from harness.agents.anthropic_agent import AnthropicAgent
    from harness.agents.pricing import load_prices

    prices = load_prices(args.prices)
    if not _has_credentials(args.base_url):  # else every trial ends in the same infra error
        raise HarnessError(
            "--agent anthropic needs ANTHROPIC_API_KEY in the environment (or"
            " ANTHROPIC_AUTH_TOKEN, or an Anthropic profile); none is set"
            + (" and --base-url does not replace it" if args.base_url else "")
        )
    return AnthropicAgent(model=model, prices=prices, base_url=args.base_url)


def _has_credentials(base_url: str | None) -> bool:
    """Whether the SDK finds a credential, as the agent's own client will look for one."""
    import anthropic

    client = anthropic.Anthropic(base_url=base_url, max_retries=0)
    return bool(client.api_key or client.auth_token or client.credentials)


def _check_numbers(args: argparse.Namespace) -> None:
    for flag, value in (
        ("--epochs", args.epochs),
        ("--jobs", args.jobs),
        ("--scoring-jobs", args.scoring_jobs),
        ("--max-turns", args.max_turns),
    ):
        if value < 1:
            raise HarnessError(f"{flag} must be at least 1 (got {value})")


def run_run(args: argparse.Namespace) -> int:
    from harness import __version__
    from harness.agents.base import Limits
    from harness.agents.skill import assemble_source
    from harness.paths import suite_dir
    from harness.scoring.baseline import tool_versions
    from harness.skillpack.build import skill_content_hash
    from harness.store.models import RunManifest, TrialSpec
    from harness.store.run_store import RunStore
    from harness.store.runner import PlannedTrial, Runner, default_hidden
    from harness.task import load_suite

    _check_numbers(args)
    if args.resume is not None and args.run_dir is not None:
        raise HarnessError("--resume and --run-dir are exclusive")
    if args.resume is not None:
        previous = RunStore.open(args.resume).manifest()
        resumed = _options_from_manifest(args, previous)
        _refuse_resume_changes(args, resumed)
        args = resumed
    arms = parse_arms(args.arms)
    models = args.model or [DEFAULT_MODEL]
    if args.agent in ("oracle", "nop", "patch"):
        models = [args.agent]
    tasks = load_suite(None if args.tasks == ["all"] else args.tasks)
    agents = {model: build_agent(args, model) for model in models}
    if args.agent == "patch":  # recorded solutions carry their solver's name
        agents = {agent.model: agent for agent in agents.values()}
        models = list(agents)
    _preflight(args, arms, agents)
    run_dir = (
        args.resume
        or args.run_dir
        or Path("runs") / (datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + f"-{args.agent}")
    )
    if args.resume is None and run_dir.exists() and any(run_dir.iterdir()):
        raise HarnessError(f"--run-dir {run_dir}: exists and is not empty (use --resume)")
    staging = Path(tempfile.mkdtemp(prefix="skill-eval-skill-"))
    try:  # the staging folder goes on every path out, an error's too
        needs_skill = any(arm != "baseline" for arm in arms)
        kept_skills = sorted((run_dir / "skill").glob("*/SKILL.md")) if args.resume else []
        skill_source: Path | None = None
        if kept_skills:  # a resumed run evaluates the exact skill copy it started with
            skill_source = kept_skills[0].parent
        elif needs_skill:
            skill_source = assemble_source(args.skill_dir, staging)
        skill_hash = skill_content_hash(skill_source) if skill_source else None
        plan: list[PlannedTrial] = []
        for task in tasks:
            for model, agent in agents.items():
                for arm in arms:
                    for epoch in range(1, args.epochs + 1):
                        spec = TrialSpec(
                            task_id=task.id,
                            task_hash=task.content_hash,
                            arm=arm,
                            agent=agent.name,
                            model=model,
                            agent_settings=agent.settings(),
                            skill_hash=skill_hash if arm != "baseline" else None,
                            harness_version=__version__,
                            epoch=epoch,
                        )
                        plan.append(PlannedTrial(spec=spec, task=task, agent=agent))
        manifest = RunManifest(
            run_id=run_dir.name,
            created_at=datetime.now(UTC),
            harness_version=__version__,
            tool_versions=tool_versions(),
            agent=args.agent,
            models=models,
            arms=arms,
            epochs=args.epochs,
            tasks={t.id: t.content_hash for t in tasks},
            skill_hash=skill_hash,
            skill_dir=str(args.skill_dir) if args.skill_dir else None,
            agent_settings=_cli_settings(args),
            settings_fingerprints={m: plan_fp(plan, m) for m in models},
        )
        if args.resume is not None:
            store = RunStore.open(run_dir)
            refuse_mixed(store.manifest(), manifest)
        else:
            store = RunStore.create(run_dir, manifest)
        if skill_source is not None:  # the run keeps the exact skill it evaluated
            kept = run_dir / "skill" / skill_source.name
            if not kept.exists():
                shutil.copytree(skill_source, kept)
            skill_source = kept
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    done = {r.key for r in store.records() if not r.infra_error}
    todo = [t for t in plan if t.key not in done]
    limits = Limits(
        max_turns=args.max_turns,
        max_output_tokens=args.max_output_tokens,
        wall_seconds=args.wall_seconds or 0.0,
        command_timeout_s=args.command_timeout,
    )
    runner = Runner(
        store=store,
        limits=limits,
        skill_source=skill_source,
        hidden=default_hidden(suite_dir(), keep=(run_dir,)),
        jobs=args.jobs,
        scoring_jobs=args.scoring_jobs,
        keep_workspaces=args.keep_workspaces,
    )
    print(f"run {run_dir}: {len(plan)} trials, {len(plan) - len(todo)} already done")
    try:
        stopped = _run_with_progress(runner, todo, len(plan) - len(todo), len(plan), args.display)
    except KeyboardInterrupt:  # every finished trial is already stored, atomically
        saved = sum(1 for _ in store.records())
        print(
            f"\ninterrupted: {saved}/{len(plan)} trials saved in {run_dir};"
            f" resume with: skill-eval run --resume {run_dir}",
            file=sys.stderr,
        )
        raise
    with contextlib.suppress(OSError):
        (run_dir / "work").rmdir()
    records = list(store.records())
    _print_summary(records, run_dir)
    return _infra_verdict(records, run_dir, len(plan), stopped, args.max_infra_errors)


def _preflight(args: argparse.Namespace, arms: list[Arm], agents: dict[str, Any]) -> None:
    """What would make every trial fail for the setup, said once, before anything is spent."""
    from harness.agents.command import CommandAgent

    for agent in agents.values():
        if not isinstance(agent, CommandAgent):
            continue
        if "inline" in arms:
            raise HarnessError(
                "--arms inline: needs --agent anthropic (the inline arm puts SKILL.md in a"
                " system prompt, which an external CLI does not take)"
            )
        words = shlex.split(agent.template)
        binary = words[0] if words else ""
        if not binary or shutil.which(binary) is None:
            flag = f"--preset {args.preset}" if args.preset else "--command"
            raise HarnessError(f"{flag}: {binary or 'the command'!r} is not on PATH")


def _infra_verdict(
    records: list[TrialRecord], run_dir: Path, planned: int, stopped: str | None, allowed: int
) -> int:
    """Exit 0 when the run is complete and at most ``allowed`` trials hit the infrastructure."""
    infra = [r for r in records if r.infra_error]
    causes: dict[str, int] = {}
    for record in infra:
        cause = _cause(record)
        causes[cause] = causes.get(cause, 0) + 1
    for cause, count in sorted(causes.items(), key=lambda item: -item[1])[:5]:
        print(f"infrastructure error x{count}: {cause}")
    if stopped:
        print(f"stopped early: {stopped}")
    missing = planned - len({r.key for r in records})
    if infra or missing:
        print(
            f"{len(infra)} infrastructure error(s), {missing} trial(s) not run of {planned};"
            f" they are not the agent's results. Fix the cause, then: skill-eval run --resume"
            f" {run_dir}"
        )
    return 1 if len(infra) > allowed or missing else 0


def trial_line(record: TrialRecord) -> str:
    """``cached-product-read skill e2 resolved 412s $0.83``: one finished trial, for logs."""
    spec = record.spec
    if record.infra_error:
        verdict = f"infrastructure error: {_cause(record)[:120]}"
    elif record.resolved:
        verdict = "resolved"
    else:
        failed = record.score.failed_checks if record.score else []
        verdict = "not resolved" + (f" ({', '.join(failed)})" if failed else "")
    seconds = (record.finished_at - record.started_at).total_seconds()
    return (
        f"{spec.task_id} {spec.model} {spec.arm} e{spec.epoch} {verdict}"
        f" {seconds:.0f}s ${record.agent.usage.cost_usd:.2f}"
    )


def _cause(record: TrialRecord) -> str:
    text = record.scoring_error or record.agent.detail or "no detail recorded"
    return " ".join(text.split())[:200]


def plan_fp(plan: list[PlannedTrial], model: str) -> str:
    fingerprints = {t.spec.settings_fingerprint() for t in plan if t.spec.model == model}
    return ",".join(sorted(fingerprints))


def _cli_settings(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("max_turns", "max_output_tokens", "wall_seconds", "command_timeout", "base_url")
    settings: dict[str, Any] = {k: getattr(args, k) for k in keys}
    settings["tasks"] = args.tasks
    settings.update(preset=args.preset, command=args.command_template)
    settings["patch"] = str(args.patch) if args.patch else None
    return settings


def _options_from_manifest(args: argparse.Namespace, manifest: RunManifest) -> argparse.Namespace:
    """A resumed run uses the settings it started with."""
    merged = argparse.Namespace(**vars(args))
    merged.agent = manifest.agent
    merged.model = manifest.models
    merged.arms = ",".join(manifest.arms)
    merged.epochs = manifest.epochs
    merged.skill_dir = Path(manifest.skill_dir) if manifest.skill_dir else None
    for key, value in manifest.agent_settings.items():
        if key in ("patch",):
            merged.patch = Path(value) if value else None
        elif key == "command":
            merged.command_template = value
        else:
            setattr(merged, key, value)
    return merged


def _refuse_resume_changes(given: argparse.Namespace, resumed: argparse.Namespace) -> None:
    """A flag given with --resume that the run's own settings would override: say so, stop."""
    changes: list[str] = []
    for flag, dest in RESUMED_FLAGS.items():
        value, kept = getattr(given, dest, None), getattr(resumed, dest, None)
        if dest not in RUN_DEFAULTS or value == RUN_DEFAULTS[dest]:
            continue  # not given (or given as the default, which cannot be told apart)
        if dest == "model":
            value, kept = list(value or []), list(kept or [])
        elif dest == "arms":
            value, kept = parse_arms(str(value)), parse_arms(str(kept))
        elif isinstance(kept, str) and dest in ("skill_dir", "patch"):
            kept = Path(kept)
        if value != kept:
            changes.append(f"{flag} {value} (the run has {kept})")
    if changes:
        raise HarnessError(
            "--resume: the run keeps the settings it started with; "
            + "; ".join(changes)
            + ". Start a new run (--run-dir) to change them."
        )


def refuse_mixed(previous: RunManifest, current: RunManifest) -> None:
    """Resuming must not mix trials whose settings differ: say what changed, and stop."""
    changes: list[str] = []
    if previous.harness_version != current.harness_version:
        changes.append(f"harness {previous.harness_version} -> {current.harness_version}")
    if previous.tool_versions != current.tool_versions:
        changes.append("scoring tool versions")
    changed_tasks = [t for t, h in current.tasks.items() if previous.tasks.get(t) != h]
    if changed_tasks:
        changes.append(f"task content ({', '.join(sorted(changed_tasks)[:5])})")
    if previous.skill_hash != current.skill_hash:
        changes.append("skill content")
    if previous.settings_fingerprints != current.settings_fingerprints:
        changes.append("agent or model settings")
    if changes:
        raise HarnessError(
            "--resume: refusing to mix trials; changed since the run started: " + "; ".join(changes)
        )


SAME_INFRA_ERRORS_TO_STOP = 5


def _run_with_progress(
    runner: Any, todo: list[PlannedTrial], done: int, total: int, display: str = "auto"
) -> str | None:
    """Run ``todo`` showing progress as ``display`` says; the reason it stopped early, if it did.

    ``rich``: a live bar with the trials in flight, each finished trial printed above it;
    ``plain``: one line per finished trial and nothing else, for logs; ``none``: nothing until
    the summary; ``auto``: rich in a terminal, plain anywhere else (CI, ``make eval | tee``)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from harness.console import sized_console

    out = sized_console()
    bar_shown = display == "rich" or (display == "auto" and out.is_terminal)
    lines = display != "none"
    tally = {"resolved": 0, "scored": 0, "infra": 0, "cost": 0.0}
    running: dict[str, str] = {}

    def describe() -> str:
        return (
            f"resolved {tally['resolved']}/{tally['scored']}  infra errors {tally['infra']}"
            f"  ${tally['cost']:.2f}"
        )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[running]}"),
        console=out,
        disable=not bar_shown,
    ) as progress:
        bar = progress.add_task(describe(), total=total, completed=done, running="")
        streak: list[str] = []
        stopped: list[str] = []

        def on_start(trial: PlannedTrial) -> None:
            spec = trial.spec
            running[trial.key] = f"{spec.task_id} {spec.arm} e{spec.epoch}"
            progress.update(bar, running=in_flight(list(running.values())))

        def on_trial(record: TrialRecord) -> bool:
            """Count the trial; False stops the run (the same infrastructure error, again)."""
            running.pop(record.key, None)
            if lines:  # above the live bar, or alone in a log
                progress.console.print(trial_line(record), markup=False, highlight=False)
            tally["cost"] = float(tally["cost"]) + record.agent.usage.cost_usd
            if record.infra_error:
                tally["infra"] = int(tally["infra"]) + 1
                streak.append(_cause(record))
            else:
                tally["scored"] = int(tally["scored"]) + 1
                tally["resolved"] = int(tally["resolved"]) + int(record.resolved)
                streak.clear()
            progress.update(
                bar, advance=1, description=describe(), running=in_flight(list(running.values()))
            )
            recent = streak[-SAME_INFRA_ERRORS_TO_STOP:]
            if len(recent) == SAME_INFRA_ERRORS_TO_STOP and len(set(recent)) == 1:
                stopped.append(
                    f"{SAME_INFRA_ERRORS_TO_STOP} trials in a row ended in the same"
                    f" infrastructure error ({recent[0]})"
                )
                return False
            return True

        runner.run(todo, on_trial, on_start)
    return stopped[0] if stopped else None


def in_flight(names: list[str], shown: int = 3) -> str:
    """``running: cached-product-read skill e1, money-value-object baseline e2 +3``."""
    if not names:
        return ""
    more = f" +{len(names) - shown}" if len(names) > shown else ""
    return "running: " + ", ".join(names[:shown]) + more


def _print_summary(records: list[TrialRecord], run_dir: Path) -> None:
    from rich.table import Table

    from harness.console import sized_console

    table = Table(title=f"Run summary: {run_dir}")
    for column in ("model", "arm", "trials", "resolved", "infra errors", "cost $"):
        table.add_column(column)
    groups: dict[tuple[str, str], list[TrialRecord]] = {}
    for record in records:
        groups.setdefault((record.spec.model, record.spec.arm), []).append(record)
    for (model, arm), group in sorted(groups.items()):
        scored = [r for r in group if not r.infra_error]
        resolved = sum(r.resolved for r in scored)
        table.add_row(
            model,
            arm,
            str(len(group)),
            f"{resolved}/{len(scored)}",
            str(len(group) - len(scored)),
            f"{sum(r.agent.usage.cost_usd for r in group):.2f}",
        )
    sized_console().print(table)
    print(f"next: skill-eval report {run_dir} --format html --out {run_dir / 'report.html'}")
