"""The ecosystem's installer, the real ``skills`` CLI (``npx skills add``, pinned), installs the
skill from a local git checkout of this repository with links that resolve.

The repository keeps ``references/`` at the top and ``skill/references`` as a symlink to it; the
installer copies ``skill/`` and dereferences that link, so the installed skill is self-contained.
The run is non-interactive (``--yes``, named agents and skill, no stdin), with telemetry off
(``DISABLE_TELEMETRY``, ``DO_NOT_TRACK``) and a fresh HOME and environment, so it neither phones
home nor detects the agent that may be running the tests; a local source needs no network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.paths import REPO_ROOT
from harness.skillpack import SKILL_NAME
from harness.skillpack.lint import LintOptions, lint
from harness.skillpack.pack import REFERENCES
from tests.client_sessions import installed_file

# Where each agent loads project skills, as the installer writes them (and harness/skillpack
# /install.py agrees): Claude Code its own folder, Codex the shared .agents/skills.
AGENT_DIRS = {"claude-code": ".claude/skills", "codex": ".agents/skills"}


Installer = tuple[Path, Path]  # the Node.js binary and the skills CLI it runs


@pytest.fixture
def installer() -> Installer:
    """The pinned skills CLI, and the Node.js it needs (>= 22.20; the machine's may be older)."""
    node = installed_file("node", Path("node") / "bin" / "node")
    return node, installed_file("skills", Path("skills") / "bin" / "cli.mjs")


def skills_add(installer: Installer, source: Path, project: Path, home: Path, *flags: str) -> str:
    """``skills add SOURCE`` into ``project`` for Claude Code and Codex; returns its output."""
    node, cli = installer
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "DISABLE_TELEMETRY": "1",
        "DO_NOT_TRACK": "1",
        "NO_COLOR": "1",
    }
    agents = [arg for agent in AGENT_DIRS for arg in ("--agent", agent)]
    command = [str(node), str(cli), "add", str(source), "--yes", *agents]
    done = subprocess.run(
        [*command, "--skill", SKILL_NAME, *flags],
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A local git checkout of this repository: what a user runs ``skills add`` on."""
    dest = tmp_path / "skill-eval"
    subprocess.run(
        ["git", "clone", "--quiet", str(REPO_ROOT), str(dest)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert (dest / "skill" / REFERENCES).is_symlink()
    return dest


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "project").mkdir()
    (tmp_path / "home").mkdir()
    return tmp_path / "project", tmp_path / "home"


@pytest.mark.parametrize("flags", [(), ("--copy",)], ids=["symlink", "copy"])
def test_skills_add_installs_a_skill_whose_links_resolve(
    installer: Installer, checkout: Path, project: tuple[Path, Path], flags: tuple[str, ...]
) -> None:
    folder, home = project
    skills_add(installer, checkout, folder, home, *flags)
    shutil.rmtree(checkout)  # the installed skill must not point back into the checkout
    references = sorted(path.name for path in (REPO_ROOT / REFERENCES).glob("*.md"))
    for agent, skills_dir in AGENT_DIRS.items():
        installed = folder / skills_dir / SKILL_NAME
        assert (installed / "SKILL.md").is_file(), f"{agent}: no {installed}/SKILL.md"
        assert sorted(path.name for path in (installed / REFERENCES).iterdir()) == references
        assert lint(installed, LintOptions(check_complete=False)) == [], agent


def test_the_lint_catches_an_install_whose_references_did_not_come_along(
    installer: Installer, checkout: Path, project: tuple[Path, Path]
) -> None:
    """What the test above guards against: without the references, SKILL.md's links break."""
    folder, home = project
    (checkout / "skill" / REFERENCES).unlink()  # an installer that skipped the symlink
    skills_add(installer, checkout, folder, home, "--copy")
    installed = folder / AGENT_DIRS["claude-code"] / SKILL_NAME
    assert (installed / "SKILL.md").is_file()
    findings = lint(installed, LintOptions(check_complete=False))
    assert {f.rule for f in findings} >= {"broken-link", "missing-reference"}
