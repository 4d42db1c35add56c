"""Lint the skill pack: the Agent Skills format, links and anchors, and every Python block.

``lint(root)`` takes the repository root (``skill/SKILL.md`` + ``references/``) or a built skill
folder (``SKILL.md`` + ``references/``) and returns typed findings, printed as
``path:line: rule: message``. An empty list means the pack is fit to ship.
"""

from __future__ import annotations

import ast
import difflib
import math
import posixpath
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote

import yaml

from harness.skillpack import markdown
from harness.skillpack.complete import SourceBlock, check_blocks
from harness.skillpack.outdated import outdated_usages
from harness.skillpack.pack import REFERENCES, SKILL_FILE, PackLayout

ALLOWED_FIELDS = ("name", "description", "license", "compatibility", "metadata", "allowed-tools")
NAME_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_BODY_LINES = 500
MAX_BODY_TOKENS = 5000
TOC_THRESHOLD = 300
TOC_WITHIN = 40
TOKEN_ESTIMATOR = "ceil(chars / 4)"
# What a complete block may import besides the standard library (the eval environment has these).
# Django and asgiref (its dependency, home of sync_to_async) are there for django.md's example.
COMPLETE_IMPORTS = frozenset(
    {
        "django",
        "asgiref",
        "pydantic",
        "pydantic_settings",
        "fastapi",
        "starlette",
        "sqlalchemy",
        "aiosqlite",
        "httpx",
        "pytest",
        "jwt",
        "pwdlib",
        "argon2",
    }
)
_TYPE_IGNORE = re.compile(r"#\s*type:\s*ignore")

# The references and the `##` headings other documents link to (from the skill brief).
EXPECTED_REFERENCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "project-structure.md": (
            "Layers and the dependency rule",
            "Package layout",
            "The composition root",
            "Enforcing layers with import-linter",
            "Common mistakes",
        ),
        "code-style.md": (
            "Typing",
            "Naming",
            "Early return",
            "Immutability",
            "Async for I/O",
            "Errors and exceptions",
            "Common mistakes",
        ),
        "architecture-patterns.md": (
            "Use cases",
            "Repositories",
            "Unit of work",
            "Dependency injection",
            "Ports and adapters",
            "Common mistakes",
        ),
        "domain-driven-design.md": (
            "Entities and value objects",
            "Money",
            "Aggregates and invariants",
            "Domain events",
            "Domain errors",
            "When not to use DDD",
            "Common mistakes",
        ),
        "api-design.md": (
            "Request and response schemas",
            "Validation",
            "Error mapping",
            "Pagination",
            "Idempotency keys",
            "Dependencies",
            "Common mistakes",
        ),
        "database-patterns.md": (
            "Typed models",
            "Async sessions",
            "Transactions",
            "Eager loading and N+1 queries",
            "Optimistic locking",
            "Migrations",
            "Common mistakes",
        ),
        "caching.md": (
            "Cache port and adapters",
            "Cache-aside in a use case",
            "Invalidation",
            "Serialisation",
            "Stampedes and TTLs",
            "Common mistakes",
        ),
        "event-driven.md": (
            "Domain and integration events",
            "In-process event bus",
            "Transactional outbox",
            "Sagas and compensation",
            "Idempotent consumers",
            "Common mistakes",
        ),
        "microservices.md": (
            "Timeouts",
            "Retries with backoff",
            "Circuit breaker",
            "Rate limiting",
            "External API clients",
            "Common mistakes",
        ),
        "security.md": (
            "Password hashing",
            "JWT authentication",
            "Role-based authorisation",
            "Secrets",
            "Input validation",
            "Common mistakes",
        ),
        "observability.md": (
            "Structured logging",
            "Request IDs",
            "Health checks",
            "Metrics",
            "Tracing",
            "Common mistakes",
        ),
        "testing.md": (
            "Test layout",
            "Unit tests with fakes",
            "API tests with httpx",
            "Database tests",
            "Testing the tests",
            "Common mistakes",
        ),
        "deployment.md": (
            "Settings",
            "Lifespan",
            "Migrating legacy code",
            "Running the service",
            "Containers",
            "Common mistakes",
        ),
        "django.md": (
            "Service layer",
            "Transactions and side effects",
            "Queries and N+1",
            "Async views",
            "The HTTP edge",
            "Settings and deployment",
            "Migrations",
            "Testing",
            "Common mistakes",
        ),
    }
)
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.rule}: {self.message}"


@dataclass(frozen=True)
class LintOptions:
    """What to check. Tests point ``expected_references`` at small synthetic packs."""

    expected_references: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: EXPECTED_REFERENCES
    )
    check_complete: bool = True
    timeout: float = 30.0
    workers: int | None = None
    mypy_cache_dir: Path | None = None


@dataclass(frozen=True)
class PackStats:
    body_lines: int
    body_chars: int
    body_tokens: int
    reference_lines: dict[str, int]
    complete_blocks: int


def estimate_tokens(text: str) -> int:
    """The token estimate used for the SKILL.md budget: ceil(chars / 4)."""
    return math.ceil(len(text) / 4)


def lint(root: Path, options: LintOptions | None = None) -> list[Finding]:
    """Every problem in the pack at ``root``, sorted by file and line."""
    opts = options or LintOptions()
    pack = _Pack.load(PackLayout.from_root(root))
    findings = [
        *pack.check_frontmatter(),
        *pack.check_body_size(),
        *pack.check_links(),
        *pack.check_references(opts.expected_references),
    ]
    python_findings, complete = pack.check_python_blocks()
    findings.extend(python_findings)
    if opts.check_complete:
        problems = check_blocks(
            complete,
            timeout=opts.timeout,
            workers=opts.workers,
            mypy_cache_dir=opts.mypy_cache_dir,
        )
        findings.extend(Finding(p.path, p.md_line, p.tool, p.message) for p in problems)
    return sorted(set(findings))


def pack_stats(root: Path) -> PackStats:
    """Sizes for the lint summary."""
    pack = _Pack.load(PackLayout.from_root(root))
    _, complete = pack.check_python_blocks()
    return PackStats(
        body_lines=len(pack.body.splitlines()),
        body_chars=len(pack.body),
        body_tokens=estimate_tokens(pack.body),
        reference_lines={
            posixpath.basename(name): len(doc.lines)
            for name, doc in pack.docs.items()
            if name.startswith(f"{REFERENCES}/")
        },
        complete_blocks=len(complete),
    )


@dataclass
class _Pack:
    layout: PackLayout
    files: dict[str, Path]
    frontmatter: str | None
    body: str
    body_offset: int
    docs: dict[str, markdown.MarkdownDoc]

    @classmethod
    def load(cls, layout: PackLayout) -> _Pack:
        files = layout.files()
        text = layout.skill_md.read_text(encoding="utf-8")
        frontmatter, body, offset = markdown.split_frontmatter(text)
        docs = {SKILL_FILE: markdown.parse(body, first_line=offset + 1)}
        for name, path in files.items():
            if name != SKILL_FILE and name.endswith(".md"):
                docs[name] = markdown.parse(path.read_text(encoding="utf-8"))
        return cls(layout, files, frontmatter, body, offset, docs)

    def shown(self, name: str) -> str:
        return self.layout.display(self.files[name]) if name in self.files else name

    # -- frontmatter ------------------------------------------------------------------------

    def check_frontmatter(self) -> list[Finding]:
        where = self.shown(SKILL_FILE)
        if self.frontmatter is None:
            return [
                Finding(
                    where, 1, "frontmatter", "SKILL.md must start with --- YAML frontmatter ---"
                )
            ]
        try:
            data: Any = yaml.safe_load(self.frontmatter)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = 2 + (mark.line if mark is not None else 0)
            return [Finding(where, line, "frontmatter", f"frontmatter is not valid YAML: {exc}")]
        if not isinstance(data, dict):
            return [Finding(where, 2, "frontmatter", "frontmatter must be a YAML mapping")]

        def line_of(key: str) -> int:
            for index, line in enumerate(self.frontmatter.splitlines() if self.frontmatter else []):
                if re.match(rf"^{re.escape(key)}\s*:", line):
                    return index + 2
            return 1

        findings: list[Finding] = []

        def add(key: str, rule: str, message: str) -> None:
            findings.append(Finding(where, line_of(key), rule, message))

        for key in data:
            if key not in ALLOWED_FIELDS:
                add(
                    str(key),
                    "frontmatter-field",
                    f"unknown field {key!r}; allowed: {', '.join(ALLOWED_FIELDS)}",
                )
        name = data.get("name")
        if not isinstance(name, str) or not name:
            add("name", "name", "`name` is required and must be a non-empty string")
        else:
            if len(name) > MAX_NAME:
                add("name", "name", f"`name` has {len(name)} characters (max {MAX_NAME})")
            if not NAME_PATTERN.match(name):
                add(
                    "name",
                    "name",
                    f"`name` {name!r} must be lowercase letters, digits and "
                    "single hyphens, not starting or ending with a hyphen",
                )
            if "anthropic" in name or "claude" in name:
                add("name", "name", "`name` must not contain 'anthropic' or 'claude'")
            if name != self.layout.folder_name:
                add(
                    "name",
                    "name",
                    f"`name` {name!r} differs from the skill folder name "
                    f"{self.layout.folder_name!r}",
                )
        description = data.get("description")
        if not isinstance(description, str) or not description.strip():
            add("description", "description", "`description` is required and must be a string")
        else:
            if len(description) > MAX_DESCRIPTION:
                add(
                    "description",
                    "description",
                    f"`description` has {len(description)} characters (max {MAX_DESCRIPTION})",
                )
            if "<" in description or ">" in description:
                add("description", "description", "`description` must not contain < or >")
        compatibility = data.get("compatibility")
        if compatibility is not None and (
            not isinstance(compatibility, str) or len(compatibility) > MAX_COMPATIBILITY
        ):
            add(
                "compatibility",
                "compatibility",
                f"`compatibility` must be a string of at most {MAX_COMPATIBILITY} characters",
            )
        metadata = data.get("metadata")
        if metadata is not None and not (
            isinstance(metadata, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
        ):
            add("metadata", "metadata", "`metadata` must map strings to strings")
        for key in ("license", "allowed-tools"):
            if key in data and not isinstance(data[key], str):
                add(key, "frontmatter-field", f"`{key}` must be a string")
        return findings

    def check_body_size(self) -> list[Finding]:
        where = self.shown(SKILL_FILE)
        lines = len(self.body.splitlines())
        tokens = estimate_tokens(self.body)
        findings: list[Finding] = []
        if lines >= MAX_BODY_LINES:
            findings.append(
                Finding(
                    where,
                    self.body_offset + 1,
                    "body-size",
                    f"body has {lines} lines (must be under {MAX_BODY_LINES})",
                )
            )
        if tokens >= MAX_BODY_TOKENS:
            findings.append(
                Finding(
                    where,
                    self.body_offset + 1,
                    "body-size",
                    f"body is ~{tokens} estimated tokens ({TOKEN_ESTIMATOR}; "
                    f"must be under {MAX_BODY_TOKENS})",
                )
            )
        return findings

    # -- links ------------------------------------------------------------------------------

    def check_links(self) -> list[Finding]:
        findings: list[Finding] = []
        for name, doc in self.docs.items():
            for link in doc.links:
                problem = self._link_problem(name, link.target)
                if problem:
                    rule, message = problem
                    findings.append(Finding(self.shown(name), link.line, rule, message))
        return findings

    def _link_problem(self, source: str, target: str) -> tuple[str, str] | None:
        if _SCHEME.match(target):
            return None
        path, _, anchor = target.partition("#")
        path = unquote(path)
        if not path:
            resolved = source
        else:
            resolved = posixpath.normpath(posixpath.join(posixpath.dirname(source), path))
            if resolved.startswith("../") or resolved == "..":
                return "broken-link", f"{target!r} points outside the skill folder"
            if resolved not in self.files:
                if any(name.startswith(resolved.rstrip("/") + "/") for name in self.files):
                    return None
                return "broken-link", f"{target!r}: no file {resolved!r} in the skill"
        if not anchor or not resolved.endswith(".md"):
            return None
        doc = self.docs.get(resolved)
        if doc is not None and unquote(anchor) not in doc.anchors:
            hint = _closest(unquote(anchor), doc.anchors)
            suffix = f" (did you mean #{hint}?)" if hint else ""
            return "broken-anchor", f"{target!r}: no heading with anchor #{anchor}{suffix}"
        return None

    # -- references -------------------------------------------------------------------------

    def check_references(self, expected: Mapping[str, Sequence[str]]) -> list[Finding]:
        findings: list[Finding] = []
        skill_where = self.shown(SKILL_FILE)
        linked = {
            posixpath.normpath(unquote(link.target.partition("#")[0]))
            for link in self.docs[SKILL_FILE].links
            if not _SCHEME.match(link.target) and link.target.partition("#")[0]
        }
        for filename in expected:
            if f"{REFERENCES}/{filename}" not in self.docs:
                display = self.layout.display(self.layout.references_dir / filename)
                findings.append(
                    Finding(display, 1, "missing-reference", "expected reference file is missing")
                )
        for name, doc in self.docs.items():
            if not name.startswith(f"{REFERENCES}/"):
                continue
            where = self.shown(name)
            filename = posixpath.basename(name)
            if name not in linked:
                findings.append(
                    Finding(where, 1, "unlinked-reference", f"{skill_where} does not link {name}")
                )
            findings.extend(self._check_reference(where, doc, expected.get(filename, ())))
        return findings

    @staticmethod
    def _check_reference(
        where: str, doc: markdown.MarkdownDoc, required: Sequence[str]
    ) -> list[Finding]:
        findings: list[Finding] = []
        first = next(((i, line) for i, line in enumerate(doc.lines) if line.strip()), None)
        if first is None or not re.match(r"^# \S", first[1]):
            findings.append(
                Finding(
                    where,
                    (first[0] + 1) if first else 1,
                    "title",
                    "a reference starts with a `# Title` line",
                )
            )
        if len(doc.lines) > TOC_THRESHOLD and not any(
            h.level == 2 and h.text.lower() == "contents" and h.line <= TOC_WITHIN
            for h in doc.headings
        ):
            findings.append(
                Finding(
                    where,
                    1,
                    "toc",
                    f"{len(doc.lines)} lines: needs a `## Contents` section "
                    f"within the first {TOC_WITHIN} lines",
                )
            )
        present = {h.text for h in doc.headings if h.level == 2}
        for heading in required:
            if heading not in present:
                findings.append(
                    Finding(
                        where,
                        1,
                        "required-heading",
                        f"missing `## {heading}` (#{markdown.github_slug(heading)})",
                    )
                )
        if not any(block.is_complete for block in doc.blocks):
            findings.append(
                Finding(
                    where, 1, "complete-block", "no ```python complete block (a runnable example)"
                )
            )
        return findings

    # -- python blocks ----------------------------------------------------------------------

    def check_python_blocks(self) -> tuple[list[Finding], list[SourceBlock]]:
        findings: list[Finding] = []
        complete: list[SourceBlock] = []
        for name, doc in self.docs.items():
            where = self.shown(name)
            for block in doc.blocks:
                if not block.is_python:
                    continue
                if not block.closed:
                    findings.append(
                        Finding(where, block.fence_line, "fence", "code block is never closed")
                    )
                try:
                    tree = ast.parse(block.code)
                except SyntaxError as exc:
                    line = block.md_line(exc.lineno or 1)
                    findings.append(
                        Finding(where, line, "python-syntax", f"does not parse: {exc.msg}")
                    )
                    continue
                for usage in outdated_usages(tree):
                    findings.append(
                        Finding(where, block.md_line(usage.line), "outdated-api", usage.message)
                    )
                if block.is_complete:
                    findings.extend(_check_complete_shape(where, block, tree))
                    complete.append(SourceBlock(where, block))
        return findings, complete


def _check_complete_shape(where: str, block: markdown.CodeBlock, tree: ast.Module) -> list[Finding]:
    """A complete block is a standalone script: allowed imports, a main guard, no suppressions."""
    findings: list[Finding] = []
    for number, line in enumerate(block.code.splitlines(), start=1):
        if _TYPE_IGNORE.search(line):
            findings.append(
                Finding(
                    where,
                    block.md_line(number),
                    "complete-block",
                    "`# type: ignore` is not allowed in a complete block",
                )
            )
    allowed = COMPLETE_IMPORTS | sys.stdlib_module_names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = ["." * node.level + (node.module or "")]
        else:
            continue
        for module in modules:
            if module.split(".")[0] not in allowed:
                findings.append(
                    Finding(
                        where,
                        block.md_line(node.lineno),
                        "complete-block",
                        f"imports {module!r}: a complete block may import only "
                        f"the standard library and {', '.join(sorted(COMPLETE_IMPORTS))}",
                    )
                )
    last = tree.body[-1] if tree.body else None
    if not (
        isinstance(last, ast.If)
        and isinstance(last.test, ast.Compare)
        and isinstance(last.test.left, ast.Name)
        and last.test.left.id == "__name__"
        and any(
            isinstance(c, ast.Constant) and c.value == "__main__" for c in last.test.comparators
        )
    ):
        findings.append(
            Finding(
                where,
                block.fence_line,
                "complete-block",
                'a complete block ends with `if __name__ == "__main__":`',
            )
        )
    return findings


def _closest(anchor: str, anchors: set[str]) -> str | None:
    matches = difflib.get_close_matches(anchor, sorted(anchors), n=1, cutoff=0.6)
    return matches[0] if matches else None
