"""Scoring stage: checks, baselines and the scorer."""
