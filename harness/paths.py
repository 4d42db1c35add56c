"""Where the harness finds the benchmark suite and keeps its caches."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def suite_dir() -> Path:
    """The benchmark folder (fixture + tasks); ``SKILL_EVAL_SUITE`` overrides it for tests."""
    return Path(os.environ.get("SKILL_EVAL_SUITE", REPO_ROOT / "evals")).resolve()


def cache_dir() -> Path:
    """Per-machine cache of starting repositories, baselines and warm mypy caches."""
    explicit = os.environ.get("SKILL_EVAL_CACHE")
    if explicit:
        return Path(explicit).resolve()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "skill-eval"


def scoring_root() -> Path:
    """Scoring copies (which hold hidden tests) live here, so agents' commands can hide it."""
    return cache_dir() / "scoring"
