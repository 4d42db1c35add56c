"""The benchmark as an Inspect task::

    inspect eval skill_eval/backend --model openai/gpt-5 -T arm=skill \\
        -T tasks=cached-product-read,blocking-call-in-async

- **dataset**: one sample per benchmark task (:mod:`harness.inspect_task.dataset`);
- **setup** (:func:`arm_setup`, run even when ``--solver`` replaces the agent): the arm applied
  as ``skill-eval run`` applies it. ``baseline``: no trace of the skill; ``skill``: a copy of
  the skill beside the repository, listed by name, description and location in the system
  prompt and read on demand; ``inline``: SKILL.md in the system prompt. The system prompt is
  the built-in agent's (:func:`harness.agents.anthropic_agent.system_prompt`), with the
  repository's path in this sandbox;
- **solver**: Inspect's ReAct agent with the built-in agent's persistent bash
  (:mod:`harness.inspect_task.bash_tool`; Inspect's ``bash()`` starts a fresh shell per call)
  and Inspect's text editor under the name the prompt gives it; any Inspect agent or solver can
  take its place (``--solver``);
- **scorer**: :func:`harness.inspect_task.scorer.skill_eval_scorer`, outside the sandbox;
- **sandbox**: this project's jail (``skill-eval``) unless ``--sandbox`` says otherwise
  (``docker:evals/inspect/compose.yaml``, ``k8s:...``).
"""

from __future__ import annotations

import posixpath
import tempfile
from pathlib import Path

from inspect_ai import Task, task
from inspect_ai.agent import Agent, react
from inspect_ai.model import ChatMessageSystem
from inspect_ai.solver import Generate, Solver, TaskState, solver
from inspect_ai.tool import ToolDef, text_editor
from inspect_ai.util import sandbox

from harness.agents.anthropic_agent import EDITOR_TOOL, system_prompt
from harness.agents.base import AgentRequest, Limits, SkillBundle
from harness.agents.skill import assemble_source, read_frontmatter
from harness.errors import HarnessError
from harness.inspect_task.bash_tool import persistent_bash
from harness.inspect_task.dataset import METADATA_KEY, SampleInfo, task_sample
from harness.inspect_task.sandbox import PROVIDER
from harness.inspect_task.scorer import (
    STORE_SKILL_DIR,
    STORE_START,
    STORE_WORKSPACE,
    skill_eval_scorer,
)
from harness.skillpack.build import skill_content_hash
from harness.store.models import ARMS, Arm
from harness.task.loader import load_suite
from harness.workspace.tree import iter_files

SKILLS_FOLDER = "skills"  # beside the repository, in the sandbox
COMMAND_TIMEOUT_S = int(Limits().command_timeout_s)


def _arm(value: str) -> Arm:
    for arm in ARMS:
        if value == arm:
            return arm
    raise HarnessError(f"-T arm={value}: not one of {', '.join(ARMS)}")


def _task_ids(tasks: str | list[str] | None) -> list[str] | None:
    if tasks is None or tasks == "":
        return None
    ids = tasks.split(",") if isinstance(tasks, str) else list(tasks)
    return [i.strip() for i in ids if i.strip()]


@solver
def arm_setup(arm: str, skill_source: str | None = None) -> Solver:
    """Stage the skill in the sandbox (not in the baseline) and put the system prompt first."""
    chosen = _arm(arm)

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        box = sandbox()
        where = await box.exec(["pwd"])
        head = await box.exec(["git", "rev-parse", "HEAD"])
        if not where.success or not head.success:
            raise RuntimeError(f"the sample's repository is not ready: {where.stderr}{head.stderr}")
        workspace = where.stdout.strip()
        state.store.set(STORE_START, head.stdout.strip())
        state.store.set(STORE_WORKSPACE, workspace)
        skill = None
        if chosen != "baseline":
            skill = await _stage_skill(skill_source, posixpath.dirname(workspace))
            state.store.set(STORE_SKILL_DIR, str(skill.folder))
        info = SampleInfo.model_validate(state.metadata[METADATA_KEY])
        request = AgentRequest(
            task=load_suite([info.task_id])[0],
            workspace=Path(workspace),
            arm=chosen,
            skill=skill,
            limits=Limits(),
            hidden=(),
        )
        state.messages.insert(0, ChatMessageSystem(content=system_prompt(request)))
        return state

    return solve


async def _stage_skill(skill_source: str | None, parent: str) -> SkillBundle:
    """Copy the skill into the sandbox at ``<parent>/skills/<name>/``."""
    with tempfile.TemporaryDirectory(prefix="skill-eval-skill-") as tmp:
        source = assemble_source(Path(skill_source) if skill_source else None, Path(tmp))
        meta, body = read_frontmatter(source / "SKILL.md")
        folder = posixpath.join(parent, SKILLS_FOLDER, meta["name"])
        for relative in iter_files(source):
            data = (source / relative).read_bytes()
            await sandbox().write_file(posixpath.join(folder, relative.as_posix()), data)
        return SkillBundle(
            name=meta["name"],
            description=meta["description"],
            body=body,
            folder=Path(folder),
            content_hash=skill_content_hash(source),
        )


def default_agent() -> Agent:
    """Inspect's ReAct agent with the built-in agent's tools: its persistent bash
    (:mod:`harness.inspect_task.bash_tool`) and the text editor."""
    editor = ToolDef(text_editor(timeout=COMMAND_TIMEOUT_S), name=EDITOR_TOOL["name"])
    return react(
        prompt=None,  # the system prompt is the arm's, put first by arm_setup
        tools=[persistent_bash(COMMAND_TIMEOUT_S), editor.as_tool()],
        submit=False,  # as the built-in agent: a reply without a tool call ends the session
    )


def skill_hash_of(skill_source: str | None) -> str:
    with tempfile.TemporaryDirectory(prefix="skill-eval-skill-") as tmp:
        return skill_content_hash(
            assemble_source(Path(skill_source) if skill_source else None, Path(tmp))
        )


@task
def backend(
    arm: str = "skill",
    tasks: str | list[str] | None = None,
    skill_dir: str | None = None,
) -> Task:
    """The skill-eval benchmark: ``-T arm=baseline|skill|inline``, ``-T tasks=a,b`` (default
    every task), ``-T skill_dir=DIR`` (default this repository's skill)."""
    chosen = _arm(arm)
    skill_hash = skill_hash_of(skill_dir) if chosen != "baseline" else None
    suite = load_suite(_task_ids(tasks))
    return Task(
        dataset=[task_sample(t, chosen, skill_hash) for t in suite],
        setup=arm_setup(chosen, skill_dir),
        solver=default_agent(),
        scorer=skill_eval_scorer(),
        sandbox=PROVIDER,  # --sandbox docker:evals/inspect/compose.yaml (or k8s:...) overrides it
        message_limit=2 * Limits().max_turns + 2,
        # one sample's error is recorded (an infrastructure error of that trial in the reports)
        # and the other samples run on
        fail_on_error=False,
        metadata={METADATA_KEY: {"arm": chosen, "skill_hash": skill_hash}},
        name="skill_eval/backend",
    )
