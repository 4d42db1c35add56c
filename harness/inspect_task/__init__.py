"""The benchmark as an Inspect task: the dataset and arms, the scorer, a sandbox provider built
on this project's jail, and reading Inspect logs into this project's reports.

Needs the ``inspect`` extra (``pip install 'skill-eval[inspect]'``); nothing else in the
harness imports this package.
"""
