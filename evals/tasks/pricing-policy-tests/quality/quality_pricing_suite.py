"""Quality probes: drifts beyond the announced mutants that the suite should still catch.

Each probe runs the suite (tests/test_pricing_policy.py) against copies of the package whose
pricing module carries one more drift each, and expects the suite to fail on every one (the
suite passing on the real module is the mutation check's job, part of `resolved`).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITE = "tests/test_pricing_policy.py"
PRICING = Path("ordersvc/domain/pricing.py")


def _suite_passes(tmp_path: Path, name: str, old: str, new: str) -> bool:
    """Whether the suite passes against the pricing module with `old` replaced by `new`."""
    package = tmp_path / name
    shutil.copytree(ROOT / "src" / "ordersvc", package / "ordersvc")
    module = package / PRICING
    source = module.read_text()
    assert source.count(old) == 1, f"cannot apply drift {name!r}: is pricing.py unchanged?"
    module.write_text(source.replace(old, new))
    command = [sys.executable, "-m", "pytest", "-q", "-x", "-c", str(ROOT / "pyproject.toml")]
    command += ["-p", "no:cacheprovider", "-p", "pytest_asyncio.plugin"]
    command += ["-o", f"pythonpath={package}", SUITE]
    result = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stdout[-2000:] + result.stderr[-2000:]
    return result.returncode == 0


def _surviving(tmp_path: Path, drifts: dict[str, tuple[str, str]]) -> list[str]:
    return [name for name, (old, new) in drifts.items() if _suite_passes(tmp_path, name, old, new)]


def test_the_suite_pins_the_input_validation(tmp_path: Path) -> None:
    """'Quantities must be positive', 'years must not be negative': a zero-unit line or a
    negative loyalty (a surcharge) slipping through is a drift the suite must catch."""
    drifts = {
        "zero-quantity-accepted": ("if quantity <= 0:", "if quantity < 0:"),
        "negative-years-accepted": ("if years < 0:", "if years < -1000:"),
    }
    assert _surviving(tmp_path, drifts) == []


def test_the_suite_pins_every_tier_threshold(tmp_path: Path) -> None:
    """Each bulk tier's own start, on its own: one tier moved by one unit changes prices."""
    drifts = {
        "first-tier-at-11": ('(10, Decimal("0.05"))', '(11, Decimal("0.05"))'),
        "second-tier-at-51": ('(50, Decimal("0.10"))', '(51, Decimal("0.10"))'),
        "third-tier-at-101": ('(100, Decimal("0.15"))', '(101, Decimal("0.15"))'),
    }
    assert _surviving(tmp_path, drifts) == []
