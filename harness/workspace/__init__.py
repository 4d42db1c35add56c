"""Workspace stage: build a task's starting repository and prepare agents' workspaces."""
