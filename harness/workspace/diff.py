"""The agent's change: the workspace against the task's starting tree, never against its git.

The workspace's ``.git`` is the agent's: its configuration can run programs (``core.fsmonitor``,
``diff.external``, filter drivers) and its HEAD can move (an agent that commits would leave an
empty diff against HEAD). So the diff is taken outside it: the starting tree and a copy of the
workspace's files (regular files only, caches and ``.git`` left out) are compared with
``git diff --no-index`` in a scratch directory, with no system, global or repository
configuration and external diff drivers and text conversion off.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from harness.workspace.tree import copy_tree

_ISOLATED_GIT = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_TERMINAL_PROMPT": "0",
    "LANG": "C.UTF-8",
    "PATH": "/usr/local/bin:/usr/bin:/bin",
}


def tree_diff(start: Path, workspace: Path) -> str:
    """A unified diff (``git apply``-able, binary included) from ``start`` to ``workspace``."""
    with tempfile.TemporaryDirectory(prefix="skill-eval-diff-") as tmp:
        root = Path(tmp)
        copy_tree(start, root / "a")
        copy_tree(workspace, root / "b")
        env = {**_ISOLATED_GIT, "HOME": tmp, "GIT_CEILING_DIRECTORIES": tmp}
        done = subprocess.run(
            [
                "git",
                "diff",
                "--no-index",
                "--no-prefix",
                "--binary",
                "--no-color",
                "--no-ext-diff",
                "--no-textconv",
                "a",
                "b",
            ],
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
        if done.returncode not in (0, 1):
            reason = done.stderr.decode(errors="replace").strip()[-300:]
            raise RuntimeError(f"git diff --no-index failed: {reason}")
        return done.stdout.decode("utf-8", errors="replace")
