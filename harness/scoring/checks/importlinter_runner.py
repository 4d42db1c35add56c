"""Run import-linter in its own process and print a JSON report of every contract.

Run as ``python -m harness.scoring.checks.importlinter_runner PYPROJECT`` with the workspace's
``src`` on ``PYTHONPATH``: grimp resolves the root package through the import system, so this must
never run inside the harness's own process.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _chains(metadata: Any) -> list[list[dict[str, Any]]]:
    """Every import chain in a contract's metadata, whatever the contract type's layout."""
    found: list[list[dict[str, Any]]] = []

    def is_link(item: Any) -> bool:
        return isinstance(item, dict) and {"importer", "imported", "line_numbers"} <= set(item)

    def walk(node: Any) -> None:
        if isinstance(node, list) and node and all(is_link(i) for i in node):
            found.append(
                [
                    {
                        "importer": str(link["importer"]),
                        "imported": str(link["imported"]),
                        "line_numbers": [int(n) for n in link["line_numbers"] if int(n) > 0],
                    }
                    for link in node
                ]
            )
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)

    walk(metadata)
    return found


def main(config: str) -> dict[str, Any]:
    from importlinter.application import use_cases
    from importlinter.configuration import configure

    configure()
    use_cases._register_built_in_contract_types()  # what the lint-imports CLI does first
    options = use_cases.read_user_options(config_filename=config)
    report = use_cases.create_report(options, cache_dir=None)
    contracts = []
    for contract, check in report.get_contracts_and_checks():
        contracts.append(
            {
                "name": contract.name,
                "kept": bool(check.kept),
                "chains": _chains(check.metadata),
                "warnings": list(check.warnings),
            }
        )
    return {"contracts": contracts}


if __name__ == "__main__":
    try:
        result = main(sys.argv[1])
    except Exception as exc:
        key = "syntax_error" if type(exc).__name__ == "SourceSyntaxError" else "error"
        result = {key: f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result))
