"""This project's scorer as an Inspect scorer, run on the host, outside the agent's reach.

The final tree leaves the sandbox without git, as the run path sees a workspace: a small
stdlib-only script (:data:`TREE_SCRIPT`, run with ``python3 -I -S`` through ``sandbox().exec``,
so any provider works) walks the repository with the rules of
:func:`harness.workspace.tree.iter_files` (regular files only, :data:`IGNORED_DIRS` and
:data:`IGNORED_SUFFIXES` passed in from that module) and packs the files, bytes and mode, into a
gzipped tar in the sandbox's ``/tmp``; the host reads it back in base64 chunks small enough for
Inspect's exec output limit, rebuilds the tree in a temporary folder and scores it with
:func:`harness.scoring.scorer.score`, the diff against the task's start coming from
:func:`harness.workspace.diff.tree_diff`, as ``skill-eval run`` does. The agent's git
(``.gitignore``, filters, nested repositories, a deleted ``.git``) plays no part, and the
hidden tests never enter the sandbox. The value is ``resolved`` (1 or 0); the full
:class:`ScoreResult`, the diff and the skill files the agent opened are kept in the score's
metadata, which is what ``skill-eval report`` reads back. A failure to get or score the tree is
that sample's infrastructure error: a score that says so, never resolved, and the eval goes on.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from inspect_ai.model import ChatMessageAssistant
from inspect_ai.scorer import Score, Scorer, Target, accuracy, scorer, stderr
from inspect_ai.solver import TaskState
from inspect_ai.util import SandboxEnvironment, concurrency, sandbox

from harness.inspect_task.dataset import METADATA_KEY, SampleInfo
from harness.scoring.baseline import ensure_baseline
from harness.scoring.scorer import score
from harness.task.loader import load_task
from harness.workspace.diff import tree_diff
from harness.workspace.tree import IGNORED_DIRS, IGNORED_SUFFIXES

STORE_START = "skill_eval:start_commit"
STORE_WORKSPACE = "skill_eval:workspace"
STORE_SKILL_DIR = "skill_eval:skill_dir"
SCORING_JOBS = 2  # scoring is CPU-bound: at most this many samples score at once
MAX_DIFF_CHARS = 400_000  # the diff kept in the log for the reports' evidence
CHUNK_BYTES = 4 * 1024**2  # read back per exec: 5.6 MB of base64, under Inspect's 10 MiB
EXEC_TIMEOUT_S = 300

# In the sandbox, stdlib only. argv: the repository, the ignored folder names and file
# suffixes (JSON). Walks the repository as harness.workspace.tree.iter_files does, packs each
# regular file (bytes, mode) into a gzipped tar in /tmp and prints "<tar path> <size>". A file
# or folder the agent made unreadable is made readable again first (it owns them). A missing
# repository is an empty tree, as the run path would see it.
TREE_SCRIPT = r"""
import io, json, os, stat, sys, tarfile, tempfile
root, ignored = sys.argv[1], frozenset(json.loads(sys.argv[2]))
suffixes = tuple(json.loads(sys.argv[3]))

def readable(path, bits):
    if not os.access(path, bits):
        os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) | stat.S_IRUSR
                 | (stat.S_IXUSR if bits & os.X_OK else 0))

fd, out = tempfile.mkstemp(prefix="skill-eval-tree-", suffix=".tar.gz")
with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
    if os.path.isdir(root) and not os.path.islink(root):
        readable(root, os.R_OK | os.X_OK)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ignored)
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                readable(path, os.R_OK | os.X_OK)
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if name.endswith(suffixes) or os.path.islink(path) or not os.path.isfile(path):
                continue
            readable(path, os.R_OK)
            with open(path, "rb") as handle:
                data = handle.read()
                mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
            info = tarfile.TarInfo(os.path.relpath(path, root))
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
print(out, os.path.getsize(out))
"""

# argv: a file, an offset, a length; prints that slice in base64.
CHUNK_SCRIPT = r"""
import base64, sys
with open(sys.argv[1], "rb") as handle:
    handle.seek(int(sys.argv[2]))
    sys.stdout.write(base64.b64encode(handle.read(int(sys.argv[3]))).decode("ascii"))
"""


class ScoringError(Exception):
    """The tree could not be read or scored: an infrastructure error, not the agent's."""


async def _python(box: SandboxEnvironment, script: str, *args: str) -> str:
    done = await box.exec(
        ["python3", "-I", "-S", "-c", script, *args], cwd="/", timeout=EXEC_TIMEOUT_S
    )
    if not done.success:
        raise ScoringError(f"reading the tree in the sandbox failed: {done.stderr.strip()[-500:]}")
    return done.stdout


async def fetch_tree(box: SandboxEnvironment, workspace: str, dest: Path) -> None:
    """The sandbox's repository at ``workspace``, as the run path sees a workspace, rebuilt in
    ``dest`` (created): its regular files, bytes and executable bit; caches and ``.git`` are
    left out."""
    ignored = json.dumps(sorted(IGNORED_DIRS))
    packed = (
        await _python(box, TREE_SCRIPT, workspace, ignored, json.dumps(IGNORED_SUFFIXES))
    ).split()
    if len(packed) != 2 or not packed[1].isdigit():
        raise ScoringError(f"reading the tree in the sandbox printed {' '.join(packed)[:200]!r}")
    remote, size = packed[0], int(packed[1])
    try:
        with tempfile.TemporaryFile() as archive:
            offset = 0
            while offset < size:
                length = min(CHUNK_BYTES, size - offset)
                text = await _python(box, CHUNK_SCRIPT, remote, str(offset), str(length))
                chunk = base64.b64decode(text)
                if len(chunk) != length:
                    raise ScoringError(f"the tree's archive in the sandbox changed size: {remote}")
                archive.write(chunk)
                offset += length
            archive.seek(0)
            _unpack(archive, dest)
    finally:
        await box.exec(["rm", "-f", "--", remote], cwd="/", timeout=EXEC_TIMEOUT_S)


def _unpack(archive: Any, dest: Path) -> None:
    """Regular files only, each strictly inside ``dest``: the archive sat in the agent's /tmp."""
    dest.mkdir(parents=True)
    with tarfile.open(fileobj=archive, mode="r:gz") as tar:
        for member in tar:
            parts = PurePosixPath(member.name).parts
            if (
                not member.isreg()
                or not parts
                or member.name.startswith("/")
                or any(p in ("..", ".") for p in parts)
            ):
                raise ScoringError(f"the tree's archive holds an unexpected entry {member.name!r}")
            source = tar.extractfile(member)
            assert source is not None  # a regular member always has content
            target = dest.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            target.chmod(0o755 if member.mode & 0o100 else 0o644)


def score_tree(task_id: str, tree: Path) -> tuple[str, dict[str, Any]]:
    """The diff from the task's start to ``tree`` and the tree's score (blocking), as
    ``skill-eval run`` takes them from a workspace."""
    task = load_task(task_id)
    try:
        diff = tree_diff(ensure_baseline(task).start, tree)
    except Exception as exc:  # the trial still gets scored; record why there is no diff
        diff = f"# no diff: {exc}\n"
    return diff, score(task, tree).model_dump(mode="json")


def skill_reads(messages: list[Any], skill_dir: str | None) -> list[str]:
    """Skill files (relative to the skill folder) any tool call named, in first-seen order."""
    if not skill_dir:
        return []
    pattern = re.compile(re.escape(skill_dir.rstrip("/")) + r"/([\w./-]+\.md)")
    reads: list[str] = []
    for message in messages:
        if not isinstance(message, ChatMessageAssistant):
            continue
        for call in message.tool_calls or []:
            for value in call.arguments.values():
                for match in pattern.finditer(str(value)):
                    if match.group(1) not in reads:
                        reads.append(match.group(1))
    return reads


@scorer(metrics=[accuracy(), stderr()])
def skill_eval_scorer() -> Scorer:
    """``resolved`` as the value, the full ScoreResult in the metadata (see module docstring)."""

    async def run(state: TaskState, target: Target) -> Score:
        info = SampleInfo.model_validate(state.metadata[METADATA_KEY])
        skill_dir = state.store.get(STORE_SKILL_DIR)
        meta: dict[str, Any] = {
            "skill_reads": skill_reads(state.messages, skill_dir),
            "diff": "",
            "score": None,
            "scoring_error": None,
        }
        try:
            workspace = state.store.get(STORE_WORKSPACE)
            if not workspace:
                raise ScoringError("the sample has no workspace (its setup did not run)")
            with tempfile.TemporaryDirectory(prefix="skill-eval-inspect-tree-") as tmp:
                tree = Path(tmp) / "repo"
                await fetch_tree(sandbox(), str(workspace), tree)
                async with concurrency("skill-eval-scoring", SCORING_JOBS):
                    diff, result = await asyncio.to_thread(score_tree, info.task_id, tree)
            meta["diff"] = diff[:MAX_DIFF_CHARS]
        except Exception as exc:  # any failure here is the harness's, never the agent's
            meta["scoring_error"] = f"{type(exc).__name__}: {exc}"
            return Score(
                value=0,
                explanation=f"infrastructure error, no verdict: {meta['scoring_error']}",
                metadata={METADATA_KEY: meta},
            )
        meta["score"] = result
        failed = [c["name"] for c in result["checks"] if c["can_fail"] and not c["passed"]]
        explanation = "resolved" if result["resolved"] else f"failed: {', '.join(failed)}"
        if result.get("infra_error"):
            explanation = f"no verdict: {result['infra_error']}"
        return Score(
            value=1 if result["resolved"] else 0,
            answer=f"{meta['diff'].count(chr(10))} diff lines",
            explanation=explanation,
            metadata={METADATA_KEY: meta},
        )

    return run
