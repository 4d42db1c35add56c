"""`skill-eval validate [TASK ...]`: prove each task can tell right from wrong."""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from harness.console import sized_console
from harness.errors import HarnessError

if TYPE_CHECKING:
    from rich.console import Console

    from harness.validity import TaskValidity

ORACLE_RUNS = 3
LEDGER = "validated.json"


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "validate",
        help="check tasks: clean start, oracle, nop, negatives, alternatives, probes, hidden lint",
        description="Prove each task can tell right from wrong: the start is clean, the reference"
        " solution is resolved every time, the empty change and every negative are rejected,"
        " every known-good alternative is resolved, each quality probe can pass and fail, and"
        " the hidden tests are ruff and mypy clean. One line per task as it finishes.",
        epilog="examples:\n  skill-eval validate\n  skill-eval validate cached-product-read -j 4",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("tasks", nargs="*", help="task ids (default: all)")
    parser.add_argument(
        "-j", "--jobs", type=int, default=2, help="concurrent scorings (default: 2)"
    )
    parser.add_argument(
        "--oracle-runs",
        type=int,
        default=ORACLE_RUNS,
        help=f"times the reference solution is scored; all must resolve (default: {ORACLE_RUNS})",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="skip tasks whose recorded proof still holds (same task, starting repository,"
        " scoring code and tool versions, in the suite's validated.json) and record the tasks"
        " found valid",
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.set_defaults(handler=run_validate)


def _mark(ok: bool) -> str:
    return "ok" if ok else "FAIL"


def print_matrix(results: list[TaskValidity], console: Console) -> None:
    from rich.table import Table

    table = Table(title="Task validity")
    columns = (
        "task",
        "start",
        "oracle",
        "nop",
        "negatives",
        "static-only",
        "alternatives",
        "probes",
        "hidden lint",
    )
    for column in (*columns, "s", "valid"):
        table.add_column(column, overflow="fold")
    for r in results:
        caught = sum(n.rejected for n in r.negatives)
        # negatives that pass the tests and are caught only by ruff, mypy or the layers
        static_only = sum(
            n.failed_checks == [n.rejected_by] and n.rejected_by in ("ruff", "mypy", "layers")
            for n in r.negatives
        )
        table.add_row(
            r.task_id,
            _mark(not r.start_problems),
            f"{sum(r.oracle)}/{len(r.oracle)}",
            _mark(r.nop_rejected),
            f"{caught}/{len(r.negatives)}",
            str(static_only),
            f"{len(r.alternatives) - len(r.rejected_alternatives)}/{len(r.alternatives)}",
            (f"{r.probes} FAIL" if r.quality_problems else f"{r.probes} ok") if r.probes else "-",
            str(len(r.hidden_test_problems)) if r.hidden_test_problems else "ok",
            f"{r.duration_s:.0f}",
            "yes" if r.valid else "NO",
        )
    console.print(table)
    for r in results:
        for problem in r.start_problems:
            console.print(f"{r.task_id}: start: {problem}", markup=False)
        for failure in r.oracle_failures:
            console.print(f"{r.task_id}: oracle not resolved: {failure}", markup=False)
        if not r.nop_rejected:
            console.print(
                f"{r.task_id}: nop was not rejected by the tests (failed: {r.nop_failed_checks})",
                markup=False,
            )
        for n in r.negatives:
            if not n.rejected:
                console.print(
                    f"{r.task_id}: negative {n.name!r} not rejected by {n.rejected_by}"
                    f" (failed checks: {n.failed_checks or 'none'})",
                    markup=False,
                )
        for problem in r.quality_problems:
            console.print(f"{r.task_id}: quality: {problem}", markup=False)
        for problem in r.hidden_test_problems:
            console.print(f"{r.task_id}: hidden tests: {problem}", markup=False)
        for name in r.rejected_alternatives:
            console.print(
                f"{r.task_id}: known-good alternative {name!r} was rejected:"
                f" {r.alternatives[name]}",
                markup=False,
            )


def _progress_line(result: TaskValidity, done: int, total: int, elapsed: float) -> str:
    """``[3/34] cached-product-read: valid in 41 s (about 9 min left)``."""
    left = elapsed / done * (total - done)
    eta = f" (about {left / 60:.0f} min left)" if done < total else ""
    verdict = "valid" if result.valid else "INVALID"
    return f"[{done}/{total}] {result.task_id}: {verdict} in {result.duration_s:.0f} s{eta}"


def run_validate(args: argparse.Namespace) -> int:
    from harness import ledger
    from harness.paths import suite_dir
    from harness.task import load_suite
    from harness.unexercised import EXEMPTIONS_FILE, apply_exemptions, load_exemptions
    from harness.validity import validate_task

    for flag, value in (("--jobs", args.jobs), ("--oracle-runs", args.oracle_runs)):
        if value < 1:
            raise HarnessError(f"{flag} must be at least 1 (got {value})")
    suite = load_suite(args.tasks or None)
    exemptions_path = suite_dir() / EXEMPTIONS_FILE
    # read before any scoring: a malformed file fails now, not after the whole suite
    exemptions = {} if args.tasks else load_exemptions(exemptions_path)
    started = time.monotonic()
    # a log file or CI job is not 80 columns wide: do not fold task ids there
    console = sized_console(stderr=args.json)
    progress = sized_console(stderr=True)
    ledger_path = suite_dir() / LEDGER
    book = ledger.load(ledger_path) if args.incremental else ledger.Ledger()
    keys: dict[str, str] = {}
    if args.incremental:  # the ledger's keys; a full validate records nothing
        digest = ledger.scoring_code_digest()
        keys = {t.id: ledger.validation_key(t, args.oracle_runs, digest) for t in suite}
    unchanged = [t for t in suite if t.id in book.tasks and book.tasks[t.id].key == keys[t.id]]
    for task in unchanged:
        entry = book.tasks[task.id]
        progress.print(f"{task.id}: unchanged since validated on {entry.validated_at}"
                       f" ({entry.summary})", markup=False)  # fmt: skip
    todo = [t for t in suite if t not in unchanged]
    by_id: dict[str, TaskValidity] = {}
    with ThreadPoolExecutor(max_workers=max(1, args.jobs // 2)) as pool:
        futures = [pool.submit(validate_task, t, args.oracle_runs, 2) for t in todo]
        for done, future in enumerate(as_completed(futures), start=1):
            result = future.result()
            by_id[result.task_id] = result
            progress.print(_progress_line(result, done, len(todo), time.monotonic() - started),
                           markup=False)  # fmt: skip
            if args.incremental and result.valid:
                ledger.record(ledger_path, book, result.task_id, keys[result.task_id],
                              _summary(result))  # fmt: skip
    results = [by_id[t.id] for t in todo]
    if args.json:
        print(json.dumps([asdict(r) | {"valid": r.valid} for r in results], indent=2))
    else:
        print_matrix(results, console)
    invalid = [r.task_id for r in results if not r.valid]
    if unchanged:
        console.print(
            f"{len(unchanged)} task(s) unchanged since their recorded validation"
            f" ({ledger_path.name}): " + ", ".join(t.id for t in unchanged),
            markup=False,
        )
    if not args.tasks:  # the whole suite: every reference exercised, every anchor alive
        from harness.paths import REPO_ROOT
        from harness.validity import reference_coverage

        by_file, problems = reference_coverage(suite, REPO_ROOT / "references")
        notes, problems = apply_exemptions(by_file, problems, exemptions, exemptions_path)
        for line in (*notes, *problems):
            console.print(f"coverage: {line}", markup=False)
    else:
        problems = []
    total = len(results) + len(unchanged)
    console.print(
        f"{total - len(invalid)}/{total} tasks valid"
        + (f" ({len(unchanged)} from the ledger)" if unchanged else "")
        + f" in {time.monotonic() - started:.0f} s",
        markup=False,
    )
    return 1 if invalid or problems or not total else 0


def _summary(result: TaskValidity) -> str:
    """What the proof covered, for the ledger: ``oracle 3/3, 3 negatives, 4 alternatives, ...``."""
    return (
        f"oracle {sum(result.oracle)}/{len(result.oracle)}, {len(result.negatives)} negatives,"
        f" {len(result.alternatives)} alternatives, {result.probes} probes"
    )
