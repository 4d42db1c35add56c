"""Rich consoles sized for where their output goes.

In a terminal, rich measures it. Anywhere else (a log, CI, a pipe) rich would assume 80 columns
and fold task ids and run labels in two; a log has no width, so tables get a wide one.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console

LOG_WIDTH = 160


def sized_console(*, stderr: bool = False) -> Console:
    """A console on stdout (or stderr): the terminal's width, or ``LOG_WIDTH`` in a log.

    ``COLUMNS``, when set, wins as it does for rich itself."""
    stream = sys.stderr if stderr else sys.stdout
    in_log = not stream.isatty() and not os.environ.get("COLUMNS")
    return Console(stderr=stderr, width=LOG_WIDTH if in_log else None)
