"""`skill-eval report` (does the skill help, where, at what cost) and `skill-eval failures`."""

from __future__ import annotations

import argparse
import io
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import HarnessError

if TYPE_CHECKING:
    from harness.report.aggregate import Comparison, Report
    from harness.report.failures import Section

FORMATS = ("terminal", "markdown", "html")


def register(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="summarise runs: resolved rates, quality, uplift, cost",
        description="Summarise one or more runs: resolved rates and quality with intervals over"
        " tasks, the paired comparison of two sides, cost, and optional CI gates.",
        epilog="examples:\n"
        "  skill-eval report runs/R\n"
        "  skill-eval report runs/R --format html --out report.html\n"
        "  skill-eval report runs/A runs/B --baseline-run A --treatment-run B"
        " --baseline-arm skill --treatment-arm skill\n"
        "  skill-eval report runs/R --min-uplift 0   # CI: exit 1 unless the skill is shown"
        " to help",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument(
        "runs",
        nargs="+",
        type=Path,
        metavar="RUN",
        help="run directories, or Inspect logs (.eval/.json files, or a folder of them: one run)",
    )
    report.add_argument(
        "--format", choices=FORMATS, default="terminal", help="output format (default: terminal)"
    )
    report.add_argument("--out", type=Path, help="write the report to FILE (atomically)")
    side = report.add_argument_group("comparison (a side is a run, a model and an arm)")
    # None until given: an arm given by hand must exist; a default one may be absent (two
    # one-arm runs still get their report, with nothing to compare, not an error)
    side.add_argument("--baseline-arm", help="baseline, skill or inline (default: baseline)")
    side.add_argument("--treatment-arm", help="baseline, skill or inline (default: skill)")
    side.add_argument("--baseline-model", help="default: every model (each against itself)")
    side.add_argument("--treatment-model", help="default: the baseline's model")
    side.add_argument("--baseline-run", help="run id or directory; default: every run")
    side.add_argument("--treatment-run", help="run id or directory; default: the baseline's run")
    gate = report.add_argument_group(
        "gates: each decides on a one-sided 95% bound over tasks; exit 1 when not met, 2 when"
        " the data cannot decide (infrastructure errors, tasks missing from a side, all tied)"
    )
    gate.add_argument(
        "--fail-under",
        type=_unit,
        metavar="RATE",
        help="fail unless the treatment's resolved rate is shown to be at least RATE"
        " (its lower bound over tasks)",
    )
    gate.add_argument(
        "--min-uplift",
        type=float,
        metavar="PP",
        help="fail unless the treatment is shown to help by at least PP percentage points"
        " (the lower bound of the mean per-task difference; 0: any help)",
    )
    gate.add_argument(
        "--max-regression",
        type=float,
        metavar="PP",
        help="non-inferiority: fail only if the treatment is shown to be worse by more than PP"
        " percentage points (the upper bound of the difference below -PP)",
    )
    report.set_defaults(handler=run_report)

    compare = sub.add_parser(
        "compare",
        help="compare two sides, each RUN[:MODEL[:ARM]]: the paired report, shortly",
        description="The paired report of two sides, each written RUN[:MODEL[:ARM]] (a run"
        " directory, then optionally a model and an arm). A side's arm defaults to its run's"
        " only arm, else baseline for the first side and skill for the second; its model to"
        " every model.",
        epilog="examples:\n"
        "  skill-eval compare runs/A runs/B                # one arm per run\n"
        "  skill-eval compare runs/A::skill runs/B::skill  # the same arm in two runs\n"
        "  skill-eval compare runs/R:claude-sonnet-4-6:baseline runs/R:claude-opus-4-1:baseline",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    compare.add_argument("baseline", metavar="BASELINE", help="RUN[:MODEL[:ARM]]")
    compare.add_argument("treatment", metavar="TREATMENT", help="RUN[:MODEL[:ARM]]")
    compare.add_argument(
        "--format", choices=FORMATS, default="terminal", help="output format (default: terminal)"
    )
    compare.add_argument("--out", type=Path, help="write the report to FILE (atomically)")
    compare.set_defaults(handler=run_compare)

    fail = sub.add_parser("failures", help="what went wrong, grouped by reference section")
    fail.add_argument(
        "run", type=Path, metavar="RUN", help="run directory, or an Inspect log (file or folder)"
    )
    fail.add_argument("--out", type=Path, help="write the digest to FILE (atomically)")
    fail.add_argument("--propose", action="store_true", help="draft a patch to the references")
    fail.add_argument("--model", help="model that drafts the patch (with --propose)")
    fail.add_argument(
        "--sections", type=int, default=3, help="how many top sections to patch (default: 3)"
    )
    fail.add_argument(
        "--patch",
        type=Path,
        default=Path("references-proposal.patch"),
        help="where the draft patch goes, never applied (default: references-proposal.patch)",
    )
    fail.add_argument("--root", type=Path, help="repository holding skill/ and references/")
    fail.set_defaults(handler=run_failures)


def _unit(text: str) -> float:
    """A rate: ``0.6`` or ``60%``."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate (0.6 or 60%)") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not a rate between 0 and 1 (or 0-100%)")
    return value


def write_output(path: Path, text: str, flag: str = "--out") -> None:
    """Write atomically (a reader never sees half a file); refuse to replace a directory."""
    from harness.store.run_store import write_atomic

    if path.is_dir():
        raise HarnessError(f"{flag} {path}: is a directory")
    try:
        write_atomic(path, text)
    except OSError as exc:  # name the flag and the file, not the temporary beside it
        raise HarnessError(f"{flag} {path}: {exc.strerror or exc}") from None
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)  # write_atomic's temporary file is private (0600)


def _side(text: str, first: bool) -> tuple[Path, str | None, str]:
    """``RUN[:MODEL[:ARM]]`` -> (run directory, model or None, arm).

    An arm or model left out is the run's only one when it has one (``compare runs/nop
    runs/oracle`` compares the nop agent with the oracle); else the arm is baseline for the
    first side and skill for the second, and the model every model."""
    from harness.report.runs import load_run

    run, _, rest = text.partition(":")
    model, _, arm = rest.partition(":")
    path = Path(run)
    records = load_run(path).records
    arms = sorted({record.spec.arm for record in records})
    models = sorted({record.spec.model for record in records})
    if not arm:
        arm = arms[0] if len(arms) == 1 else ("baseline" if first else "skill")
    if not model and len(models) == 1:
        model = models[0]
    side = "BASELINE" if first else "TREATMENT"
    if arms and arm not in arms:
        raise HarnessError(f"{side} {text}: no trial has arm {arm!r} (arms: {', '.join(arms)})")
    if models and model and model not in models:
        raise HarnessError(
            f"{side} {text}: no trial has model {model!r} (models: {', '.join(models)})"
        )
    return path, model or None, arm


def run_compare(args: argparse.Namespace) -> int:
    base_run, base_model, base_arm = _side(args.baseline, first=True)
    treat_run, treat_model, treat_arm = _side(args.treatment, first=False)
    report_args = argparse.Namespace(
        runs=[base_run, treat_run],
        format=args.format,
        out=args.out,
        baseline_arm=base_arm,
        treatment_arm=treat_arm,
        baseline_model=base_model,
        treatment_model=treat_model,
        baseline_run=str(base_run),
        treatment_run=str(treat_run),
        fail_under=None,
        min_uplift=None,
        max_regression=None,
    )
    return run_report(report_args)


def _distinct(paths: list[Path]) -> list[Path]:
    """The same run named twice is one run (it would otherwise be counted twice)."""
    seen: set[Path] = set()
    kept: list[Path] = []
    for path in paths:
        key = path.resolve()
        if key not in seen:
            seen.add(key)
            kept.append(path)
    return kept


def run_report(args: argparse.Namespace) -> int:
    from rich.console import Console

    from harness.console import sized_console
    from harness.report.aggregate import Selector, build_report
    from harness.report.html import render_html
    from harness.report.markdown import render_markdown
    from harness.report.runs import load_runs
    from harness.report.terminal import render_terminal

    runs = load_runs(_distinct(args.runs))
    for flag, wanted in (
        ("--baseline-run", args.baseline_run),
        ("--treatment-run", args.treatment_run),
    ):
        if wanted is not None and not any(run.matches(wanted) for run in runs):
            known = ", ".join(run.label for run in runs)
            raise HarnessError(f"{flag} {wanted}: not one of the runs given ({known})")
    arms = {record.spec.arm for run in runs for record in run.records}
    for flag, arm in (
        ("--baseline-arm", args.baseline_arm),
        ("--treatment-arm", args.treatment_arm),
    ):
        if arm is not None and arms and arm not in arms:
            raise HarnessError(
                f"{flag} {arm}: no trial has that arm (arms: {', '.join(sorted(arms))})"
            )
    report = build_report(
        runs,
        Selector(args.baseline_arm or "baseline", args.baseline_model, args.baseline_run),
        Selector(args.treatment_arm or "skill", args.treatment_model, args.treatment_run),
    )
    if args.format == "terminal" and args.out is None:
        render_terminal(report, sized_console())
    elif args.format == "terminal":
        buffer = io.StringIO()
        render_terminal(report, Console(file=buffer, width=160, no_color=True))
        write_output(args.out, buffer.getvalue())
    else:
        text = render_markdown(report) if args.format == "markdown" else render_html(report)
        if args.out is None:
            print(text)
        else:
            write_output(args.out, text)
    if args.out is not None:
        print(f"report written to {args.out}")
    return _gates(report, args.fail_under, args.min_uplift, args.max_regression)


def _gates(
    report: Report,
    fail_under: float | None,
    min_uplift: float | None,
    max_regression: float | None = None,
) -> int:
    """0: every gate met; 1: a gate failed; 2: the data cannot decide a gate."""
    from harness.report import fmt

    failures: list[str] = []
    undecided: list[str] = []
    gated = fail_under is not None or min_uplift is not None or max_regression is not None
    if gated and (incomplete := fmt.incomplete_warning(report)) is not None:
        undecided.append(incomplete)
    if fail_under is not None:
        groups = report.treatment_groups()
        if not groups:
            raise HarnessError(f"--fail-under: no trials in arm {report.treatment.arm!r}")
        for g in groups:
            name, rate = report.label(g.key), g.resolved_over_tasks
            if g.infra_errors:
                undecided.append(
                    f"--fail-under: {name} has {g.infra_errors} infrastructure error(s);"
                    " resume the run first"
                )
            elif rate.value is None or rate.lower < fail_under:
                failures.append(
                    f"--fail-under {fail_under * 100:.0f}%: {name} resolved"
                    f" {fmt.over_tasks(rate)} over {rate.tasks} tasks; its one-sided 95% lower"
                    f" bound {rate.lower * 100:.1f}% is below {fail_under * 100:.0f}%"
                )
    for flag, value in (("--min-uplift", min_uplift), ("--max-regression", max_regression)):
        if value is None:
            continue
        if not report.comparisons:
            raise HarnessError(
                f"{flag}: nothing to compare (arms {report.baseline.arm!r} "
                f"and {report.treatment.arm!r})"
            )
        for c in report.comparisons:
            verdict = _comparison_gate(report, c, flag, value)
            if verdict is not None:
                (failures if verdict[0] else undecided).append(verdict[1])
    for line in failures:
        print(f"gate failed: {line}")
    for line in undecided:
        print(f"gate cannot decide: {line}")
    return 2 if undecided else 1 if failures else 0


def _comparison_gate(
    report: Report, c: Comparison, flag: str, pp: float
) -> tuple[bool, str] | None:
    """None when met; (True, why) when failed; (False, why) when the data cannot decide."""
    from harness.report import fmt

    name = fmt.comparison(report, c)
    if not c.complete:
        return False, f"{flag}: {fmt.dropped(report, c) or name + ': infrastructure errors'}"
    d = c.difference
    if d is None or d.lower is None or d.upper is None or d.ci is None:
        return False, f"{flag}: {name}: fewer than two common tasks"
    if not d.informative:
        return False, f"{flag}: {name}: no informative tasks (all {d.tasks} tied: the ceiling)"
    interval = (
        f"mean per-task difference {fmt.pp(d.mean)}, 95% CI [{d.ci[0] * 100:+.1f},"
        f" {d.ci[1] * 100:+.1f}] pp over {d.tasks} tasks"
    )
    if flag == "--min-uplift" and d.lower * 100 < pp:
        return True, (
            f"{flag} {pp:+.1f} pp: {name}: {interval}; its one-sided 95% lower bound"
            f" {d.lower * 100:+.1f} pp is below {pp:+.1f} pp"
        )
    if flag == "--max-regression" and d.upper * 100 < -pp:
        return True, (
            f"{flag} {pp:.1f} pp: {name}: {interval}; its one-sided 95% upper bound"
            f" {d.upper * 100:+.1f} pp shows a loss of more than {pp:.1f} pp"
        )
    return None


def run_failures(args: argparse.Namespace) -> int:
    from harness.report.failures import collect_sections, failures_digest, rank_sections
    from harness.report.runs import load_run

    if args.propose and not args.model:
        raise HarnessError("--propose needs --model (the model that drafts the patch)")
    run = load_run(args.run)
    digest = failures_digest(run)
    if args.out is None:
        print(digest)
    else:
        write_output(args.out, digest)
        print(f"digest written to {args.out}")
    if args.propose:
        sections = rank_sections(collect_sections(run))[: args.sections]
        _propose(args, [s for s in sections if "#" in s.reference])
    return 0


def _propose(args: argparse.Namespace, sections: list[Section]) -> None:
    from harness.report.propose import propose_patch
    from harness.skillpack.pack import PackLayout, find_pack_root

    if not sections:
        print("nothing to propose: no failing trials cite a reference section")
        return
    layout = PackLayout.from_root(args.root or find_pack_root())
    if args.patch.is_dir():
        raise HarnessError(f"--patch {args.patch}: is a directory")
    draft, has_diff = propose_patch(sections, layout.references_dir, args.model)
    write_output(args.patch, draft if draft.endswith("\n") else draft + "\n", "--patch")
    what = "draft patch" if has_diff else "model reply (it held no ```diff block)"
    cited = ", ".join(s.reference for s in sections)
    print(f"{what} for {cited} written to {args.patch}: review it; nothing was applied")
