"""Trials per minute for the oracle agent with -j 2 on the benchmark suite.

.venv/bin/python benchmarks/run_throughput.py [--jobs 2] [--epochs 1] [TASK ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tasks", nargs="*", default=["all"])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        argv = [sys.executable, "-m", "harness.cli", "run", "--agent", "oracle", "--arms"]
        argv += ["baseline", "--epochs", str(args.epochs), "-j", str(args.jobs)]
        argv += ["--scoring-jobs", str(args.jobs), "--run-dir", str(run_dir), "--tasks"]
        started = time.perf_counter()
        subprocess.run([*argv, *args.tasks], check=True, capture_output=True)
        elapsed = time.perf_counter() - started
        trials = [json.loads(p.read_text()) for p in run_dir.glob("trials/*/trial.json")]
    resolved = sum(1 for t in trials if t["score"] and t["score"]["resolved"])
    print(
        f"{len(trials)} oracle trials (-j {args.jobs}) in {elapsed:.1f} s:"
        f" {len(trials) / elapsed * 60:.1f} trials per minute; {resolved} resolved"
    )


if __name__ == "__main__":
    main()
