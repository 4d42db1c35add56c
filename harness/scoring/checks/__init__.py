"""The scoring checks, each a plug-in implementing :class:`harness.scoring.checks.base.Check`."""

from harness.scoring.checks.base import Baseline, Check, ScoringContext
from harness.scoring.checks.interference import InterferenceCheck
from harness.scoring.checks.mutation import MutationCheck
from harness.scoring.checks.quality import QualityCheck
from harness.scoring.checks.static import LayersCheck, MypyCheck, RuffCheck
from harness.scoring.checks.suppressions import SuppressionsCheck
from harness.scoring.checks.tamper import TamperGuard
from harness.scoring.checks.tests_check import TestsCheck


def default_checks() -> list[Check]:
    return [
        TamperGuard(),
        RuffCheck(),
        MypyCheck(),
        LayersCheck(),
        TestsCheck(),
        SuppressionsCheck(),
        InterferenceCheck(),
        MutationCheck(),
        QualityCheck(),
    ]


__all__ = ["Baseline", "Check", "ScoringContext", "default_checks"]
