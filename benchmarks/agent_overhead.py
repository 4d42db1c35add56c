"""The harness's own overhead per agent turn, against a local fake Messages API.

Each scripted turn asks for a cheap editor `view`; the fake answers instantly, so the time per
turn is the harness's: SDK request/response handling, the cache-breakpoint copy of the
conversation, tool execution and bookkeeping. A second series uses bash (`true`) in the trial's
persistent sandboxed shell, whose start is paid once per trial and included here.

    .venv/bin/python benchmarks/agent_overhead.py [--turns N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.agents.anthropic_agent import AnthropicAgent
from harness.agents.base import AgentRequest, Limits
from harness.agents.pricing import load_prices
from harness.task import load_task
from harness.workspace.prepare import prepare
from tests.fake_anthropic import Step, bash, done, editor, message, serve

MINI = Path(__file__).resolve().parents[1] / "tests" / "data" / "suite"


def per_turn(kind: str, turns: int) -> float:
    task = load_task("add-discount", MINI)
    step = (
        editor(command="view", path="src/minisvc/domain/pricing.py")
        if kind == "view"
        else (bash("true"))
    )
    script: list[Step] = [lambda _b: message([step])] * turns + [lambda _b: done()]
    with tempfile.TemporaryDirectory() as tmp, serve(script) as api:
        workspace = prepare(task, Path(tmp) / "ws")
        agent = AnthropicAgent(
            model="claude-sonnet-4-6", prices=load_prices(), base_url=api.url, api_key="x"
        )
        request = AgentRequest(
            task=task,
            workspace=workspace,
            arm="baseline",
            skill=None,
            limits=Limits(max_turns=turns + 1, wall_seconds=600),
            hidden=(),
        )
        started = time.perf_counter()
        result = agent.run(request)
        elapsed = time.perf_counter() - started
    assert result.turns == turns + 1, result.detail
    return elapsed / (turns + 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for kind in ("view", "bash"):
        samples = [per_turn(kind, args.turns) for _ in range(args.repeats)]
        print(
            f"{kind:5} tool: median {statistics.median(samples) * 1000:.1f} ms per turn"
            f" ({args.turns + 1} turns x {args.repeats})"
        )


if __name__ == "__main__":
    main()
