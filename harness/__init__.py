"""skill-eval: build a Python backend skill for coding agents and measure whether it helps."""

__version__ = "0.2.0"
