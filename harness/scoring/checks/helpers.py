"""Which changes to a protected test helper (``tests/fakes.py`` and the like) are extensions.

A change to the code often needs the fakes to grow with it: a new port method needs the fake
repository to implement it, or mypy and the visible tests fail through no fault of the change.
But the fakes also carry the visible and hidden tests' assumptions, so they must not change
behaviour. The line drawn here: the agent may *add* definitions under new names and nothing
else. Every statement of the original stays, unchanged and in order (classes may gain members);
the new statements are imports, functions, classes or assignments binding names that the
original module does not use anywhere, and none is a dunder (``__getattr__`` and friends
change lookups that existing code relies on). Anything else is restored.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence

_NEW_STATEMENTS = (
    ast.Import,
    ast.ImportFrom,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.Assign,
    ast.AnnAssign,
)


def _bound(stmt: ast.stmt) -> list[str]:
    """Names a statement binds in its scope; a target that is not a plain name never passes."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign):
        targets = [stmt.target]
    else:
        return []
    return [t.id if isinstance(t, ast.Name) else "<complex target>" for t in targets]


def _names(tree: ast.AST) -> set[str]:
    """Every identifier the module mentions: bound, used, or an attribute."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.add(node.name)
        elif isinstance(node, ast.alias):
            found.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.arg):
            found.add(node.arg)
    return found


def _header(cls: ast.ClassDef) -> str:
    """The class statement without its body: name, bases, keywords and decorators."""
    parts = (cls.bases, cls.keywords, cls.decorator_list)
    return cls.name + "".join(f"|{len(p)}:" + ",".join(ast.dump(n) for n in p) for p in parts)


def _additions(old: Sequence[ast.stmt], new: Sequence[ast.stmt]) -> Iterator[ast.stmt] | None:
    """The statements ``new`` adds around ``old`` kept in order, or None if ``old`` is not kept.

    A class in ``old`` may reappear with extra members; those are checked recursively.
    """
    added: list[ast.stmt] = []
    position = 0
    for stmt in new:
        if position < len(old):
            before = old[position]
            if ast.dump(stmt) == ast.dump(before):
                position += 1
                continue
            if (
                isinstance(stmt, ast.ClassDef)
                and isinstance(before, ast.ClassDef)
                and _header(stmt) == _header(before)
            ):
                members = _additions(before.body, stmt.body)
                if members is None:
                    return None
                added += members
                position += 1
                continue
        added.append(stmt)
    return iter(added) if position == len(old) else None


def added_names(before: str, after: str) -> list[str] | None:
    """The names ``after`` adds to ``before``, if it only extends it; None otherwise."""
    try:
        old, new = ast.parse(before), ast.parse(after)
    except SyntaxError:
        return None
    taken = _names(old)
    additions = _additions(old.body, new.body)
    if additions is None:
        return None
    names: list[str] = []
    for stmt in additions:
        if not isinstance(stmt, _NEW_STATEMENTS):
            return None
        for name in _bound(stmt):
            fresh = name.isidentifier() and name not in taken and name not in names
            if not fresh or (name.startswith("__") and name.endswith("__")):
                return None
            names.append(name)
    return names
