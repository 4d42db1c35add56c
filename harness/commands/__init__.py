"""CLI sub-commands, one module each; see harness.cli."""
