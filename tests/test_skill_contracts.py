"""The skill's contracts stay one set across SKILL.md and the references.

Agents combine snippets from several files, so a second unit of work, a cache port with another
signature or a fake that no longer fits its port is the most expensive defect the skill can have.
Three checks keep that from coming back:

1. SKILL.md's Python snippets and the reference blocks marked ```` ```python contract ```` (the
   SQLAlchemy unit of work, the test fakes) are joined into one module and type-checked together
   with ``mypy --strict``, then run with a small scenario that drives them through FastAPI.
2. Every other definition of a canonical port or function anywhere in the pack (complete examples
   must repeat them to stay standalone) has exactly the canonical methods and bodies.
3. No class takes an open unit of work in ``__init__``: use cases take a factory.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.skillpack import markdown
from harness.skillpack.complete import default_cache_dir
from harness.skillpack.pack import REFERENCES, SKILL_FILE, PackLayout

REPO = Path(__file__).resolve().parents[1]
CONTRACT_TAG = "contract"
# Canonical definitions: SKILL.md holds them; any other copy must match them exactly.
CANONICAL_CLASSES = ("AbstractUnitOfWork", "Cache", "Clock")
CANONICAL_FUNCTIONS = ("problem", "status_for")
# The example project's package: its imports are resolved by the other contract blocks.
PROJECT_PACKAGE = "shop"

# Names the contract snippets use but deliberately leave to other sections (a settings class,
# the mapped repository, the request-id middleware, a cache adapter). Typed exactly as the
# references define them, so a snippet that calls them wrongly still fails.
PRELUDE = """\
from uuid import UUID as _UUID

from pydantic import SecretStr as _SecretStr
from pydantic_settings import BaseSettings as _BaseSettings
from sqlalchemy.ext.asyncio import AsyncSession as _AsyncSession
from starlette.types import ASGIApp as _ASGIApp, Receive as _Receive, Scope as _Scope
from starlette.types import Send as _Send


class Settings(_BaseSettings):
    database_url: _SecretStr = _SecretStr("sqlite+aiosqlite:///:memory:")


class RequestIdMiddleware:
    def __init__(self, app: _ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: _Scope, receive: _Receive, send: _Send) -> None:
        await self.app(scope, receive, send)


class InMemoryCache:
    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, value: bytes, ttl: float) -> None:
        return None

    async def delete(self, *keys: str) -> None:
        return None


class SqlAlchemyProductRepository:
    def __init__(self, session: _AsyncSession) -> None:
        self._session = session

    async def get(self, product_id: _UUID) -> "Product | None":
        raise NotImplementedError

    async def add(self, product: "Product") -> None:
        raise NotImplementedError

    def sync(self) -> None:
        raise NotImplementedError
"""

# How the pieces must fit: fakes satisfy the ports, the fake unit of work instantiates and rolls
# back, and SKILL.md's use case, error handlers and route work together over HTTP.
SCENARIO = """\
import asyncio as _asyncio
import json as _json
from datetime import UTC as _UTC, datetime as _datetime, timedelta as _timedelta
from uuid import uuid4 as _uuid4

import httpx as _httpx


async def _scenario() -> None:
    clock: Clock = FakeClock(_datetime(2026, 1, 1, tzinfo=_UTC))
    FakeClock(_datetime(2026, 1, 1, tzinfo=_UTC)).advance(_timedelta(seconds=1))
    cache: Cache = FakeCache()
    production_cache: Cache = InMemoryCache()
    assert clock.now().tzinfo is not None and production_cache is not cache

    mug = Product(id=_uuid4(), name="Mug", price=Money(Decimal("9.90"), "EUR"))
    store = FakeProductRepository(mug)
    repository: ProductRepository = store
    units: list[FakeUnitOfWork] = []

    def uow_factory() -> FakeUnitOfWork:
        units.append(FakeUnitOfWork(store))
        return units[-1]

    factory: UowFactory = uow_factory
    abstract: AbstractUnitOfWork = FakeUnitOfWork()
    assert repository is store and abstract is not None
    use_cases = UseCases(change_price=ChangeProductPrice(factory, cache))

    app = FastAPI()
    app.include_router(router)
    install_error_handlers(app)
    app.state.use_cases = use_cases
    transport = _httpx.ASGITransport(app=app)
    async with _httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        url = f"/products/{mug.id}/price"
        changed = await client.put(url, json={"amount": "12.50", "currency": "EUR"})
        assert changed.status_code == 200, changed.text
        assert _json.loads(changed.content)["amount"] == "12.50"
        assert store.rows[mug.id].price.amount == Decimal("12.50")
        assert units[-1].commits == 1

        refused = await client.put(url, json={"amount": "3", "currency": "USD"})
        body = _json.loads(refused.content)
        assert (refused.status_code, body["code"]) == (422, "rule_violation"), refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert store.rows[mug.id].price.currency == "EUR" and units[-1].commits == 0

        missing = await client.put(
            f"/products/{_uuid4()}/price", json={"amount": "1", "currency": "EUR"}
        )
        assert (missing.status_code, _json.loads(missing.content)["code"]) == (
            404,
            "product_not_found",
        )
        secret = "hunter2-secret-value"
        invalid = await client.put(url, json={"currency": "EUR", "password": secret})
        assert invalid.status_code == 422 and secret not in invalid.text, invalid.text
        unknown = await client.get("/nowhere")
        assert _json.loads(unknown.content)["code"] == "not_found"


_asyncio.run(_scenario())
"""


@dataclass(frozen=True)
class Snippet:
    path: str  # as shown in messages: skill/SKILL.md, references/testing.md
    fence_line: int
    code: str


@dataclass(frozen=True)
class Segment:
    first_line: int  # 1-based line of the joined module where the snippet starts
    snippet: Snippet


def pack_docs(root: Path) -> Iterator[tuple[str, markdown.MarkdownDoc]]:
    layout = PackLayout.from_root(root)
    for name, path in layout.files().items():
        if not name.endswith(".md"):
            continue
        text = path.read_text(encoding="utf-8")
        offset = 0
        if name == SKILL_FILE:
            _, text, offset = markdown.split_frontmatter(text)
        yield layout.display(path), markdown.parse(text, first_line=offset + 1)


def contract_snippets(root: Path) -> list[Snippet]:
    """SKILL.md's Python blocks, then the reference blocks tagged ``contract``, in file order."""
    skill: list[Snippet] = []
    tagged: list[Snippet] = []
    for shown, doc in pack_docs(root):
        for block in doc.blocks:
            if not block.is_python or block.is_complete:
                continue
            snippet = Snippet(shown, block.fence_line, block.code)
            if shown.endswith(SKILL_FILE):
                skill.append(snippet)
            elif CONTRACT_TAG in block.info.split()[1:]:
                tagged.append(snippet)
    return skill + tagged


def all_python_blocks(root: Path) -> Iterator[tuple[Snippet, ast.Module]]:
    for shown, doc in pack_docs(root):
        for block in doc.blocks:
            if block.is_python:
                yield Snippet(shown, block.fence_line, block.code), ast.parse(block.code)


def without_project_imports(code: str) -> str:
    """Blank out ``from shop... import ...`` (the names come from the other contract blocks)."""
    lines = code.splitlines()
    for node in ast.parse(code).body:
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == (
            PROJECT_PACKAGE
        ):
            for index in range(node.lineno - 1, node.end_lineno or node.lineno):
                lines[index] = ""
    return "\n".join(lines) + "\n"


def join(snippets: list[Snippet]) -> tuple[str, list[Segment]]:
    parts = [PRELUDE]
    segments: list[Segment] = []
    line = PRELUDE.count("\n") + 1
    for snippet in snippets:
        code = without_project_imports(snippet.code)
        segments.append(Segment(line, snippet))
        parts.append(code)
        line += code.count("\n")
    segments.append(
        Segment(line, Snippet("SCENARIO in tests/test_skill_contracts.py", 0, SCENARIO))
    )
    parts.append(SCENARIO)
    return "".join(parts), segments


def where(line: int, segments: list[Segment]) -> str:
    """The Markdown file and line that a line of the joined module came from."""
    for segment in reversed(segments):
        if line >= segment.first_line:
            snippet = segment.snippet
            offset = line - segment.first_line
            source = snippet.code.splitlines()[offset].strip() if snippet.fence_line == 0 else ""
            return f"{snippet.path}:{snippet.fence_line + offset + 1}" + (
                f" ({source})" if source else ""
            )
    return f"PRELUDE in tests/test_skill_contracts.py:{line}"


def run_mypy(module: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-error-summary",
            "--show-error-codes",
            "--cache-dir",
            str(default_cache_dir()),
            module.name,
        ],
        cwd=module.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def type_check_and_run(root: Path, tmp_path: Path) -> list[str]:
    """Problems with the joined contracts, each located in its Markdown file."""
    snippets = contract_snippets(root)
    source, segments = join(snippets)
    module = tmp_path / "skill_contracts.py"
    module.write_text(source, encoding="utf-8")
    problems: list[str] = []
    result = run_mypy(module)
    for line in result.stdout.splitlines():
        match = re.match(r"^skill_contracts\.py:(\d+): (error|note): (.*)$", line)
        if match and match[2] == "error":
            problems.append(f"{where(int(match[1]), segments)}: mypy: {match[3]}")
    if result.returncode not in (0, 1) or (result.returncode == 1 and not problems):
        problems.append(f"mypy failed: {result.stdout}{result.stderr}")
    if problems:
        return problems
    run = subprocess.run(
        [sys.executable, "-W", "error", module.name],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if run.returncode != 0:
        lines = [int(n) for n in re.findall(r'skill_contracts\.py", line (\d+)', run.stderr)]
        at = where(lines[-1], segments) if lines else "skill_contracts.py"
        problems.append(f"{at}: run: {run.stderr.strip().splitlines()[-1]}")
    return problems


# -- canonical definitions --------------------------------------------------------------------


def _normalised(node: ast.AST) -> str:
    return ast.dump(node, annotate_fields=True, include_attributes=False)


def class_shape(node: ast.ClassDef) -> str:
    """Bases and every method and class attribute with a value; bare annotations such as
    ``products: ProductRepository`` (the repositories an example needs) may differ."""
    kept = [
        statement
        for statement in node.body
        if not (isinstance(statement, ast.AnnAssign) and statement.value is None)
        and not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))
    ]
    return " | ".join(_normalised(part) for part in [*node.bases, *kept])


def definitions(tree: ast.Module) -> Iterator[ast.ClassDef | ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            names: tuple[str, ...] = CANONICAL_CLASSES
        elif isinstance(node, ast.FunctionDef):
            names = CANONICAL_FUNCTIONS
        else:
            continue
        if node.name in names:
            yield node


def shape(node: ast.ClassDef | ast.FunctionDef) -> str:
    if isinstance(node, ast.ClassDef):
        return class_shape(node)
    return _normalised(node)


def canonical_shapes(root: Path) -> dict[str, tuple[str, str]]:
    """name -> (shape, where it is defined), from the contract snippets."""
    found: dict[str, tuple[str, str]] = {}
    for snippet in contract_snippets(root):
        for node in definitions(ast.parse(snippet.code)):
            found.setdefault(node.name, (shape(node), f"{snippet.path}:{snippet.fence_line}"))
    return found


def drifted_definitions(root: Path) -> list[str]:
    canonical = canonical_shapes(root)
    problems = [
        f"no canonical definition of {name} in SKILL.md or a contract block"
        for name in (*CANONICAL_CLASSES, *CANONICAL_FUNCTIONS)
        if name not in canonical
    ]
    for snippet, tree in all_python_blocks(root):
        for node in definitions(tree):
            expected, origin = canonical[node.name]
            if shape(node) != expected:
                line = snippet.fence_line + node.lineno
                problems.append(f"{snippet.path}:{line}: {node.name} differs from {origin}")
    return problems


def other_unit_of_work_shapes(root: Path) -> list[str]:
    """Every ``*UnitOfWork`` class is the canonical ABC or derives from one: no fifth shape."""
    problems: list[str] = []
    for snippet, tree in all_python_blocks(root):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ClassDef) and node.name.endswith("UnitOfWork")):
                continue
            bases = [ast.unparse(base) for base in node.bases]
            if node.name != "AbstractUnitOfWork" and not any(
                base.endswith("UnitOfWork") for base in bases
            ):
                line = snippet.fence_line + node.lineno
                problems.append(
                    f"{snippet.path}:{line}: {node.name} does not derive from AbstractUnitOfWork"
                )
    return problems


def units_of_work_held_open(root: Path) -> list[str]:
    """``__init__`` parameters typed as a unit of work: shared by concurrent requests."""
    problems: list[str] = []
    for snippet, tree in all_python_blocks(root):
        for node in ast.walk(tree):
            if not (isinstance(node, ast.FunctionDef) and node.name == "__init__"):
                continue
            for argument in node.args.args + node.args.kwonlyargs:
                annotation = argument.annotation
                name = annotation.id if isinstance(annotation, ast.Name) else ""
                if name.endswith("UnitOfWork"):
                    line = snippet.fence_line + argument.lineno
                    problems.append(
                        f"{snippet.path}:{line}: `{argument.arg}: {name}` holds one unit of work; "
                        "take a factory (Callable[[], AbstractUnitOfWork])"
                    )
    return problems


# -- the tests ----------------------------------------------------------------------------------


def test_skill_snippets_and_reference_contracts_type_check_and_run_together(
    tmp_path: Path,
) -> None:
    snippets = contract_snippets(REPO)
    assert any(s.path.startswith(f"{REFERENCES}/") for s in snippets), "no contract blocks"
    problems = type_check_and_run(REPO, tmp_path)
    assert problems == [], "\n".join(problems)


def test_copies_of_canonical_definitions_match() -> None:
    problems = drifted_definitions(REPO)
    assert problems == [], "\n".join(problems)


def test_every_unit_of_work_derives_from_the_one_abstract_class() -> None:
    problems = other_unit_of_work_shapes(REPO)
    assert problems == [], "\n".join(problems)


def test_use_cases_take_a_unit_of_work_factory() -> None:
    problems = units_of_work_held_open(REPO)
    assert problems == [], "\n".join(problems)


# -- the checks catch drift (on small synthetic packs) --------------------------------------------


def write_pack(root: Path, skill_code: str, reference_code: str) -> Path:
    (root / "skill").mkdir(parents=True)
    (root / "references").mkdir()
    skill = f"---\nname: x\ndescription: y\n---\n\n# X\n\n```python\n{skill_code}```\n"
    reference = f"# R\n\n```python\n{reference_code}```\n"
    (root / "skill" / SKILL_FILE).write_text(skill)
    (root / "references" / "r.md").write_text(reference)
    return root


CLOCK = "class Clock(Protocol):\n    def now(self) -> datetime: ...\n"


@pytest.mark.parametrize(
    ("copy", "drifted"),
    [
        (CLOCK, False),
        ("class Clock(Protocol):\n    def now(self) -> float: ...\n", True),
        ("class Clock(Protocol):\n    def __call__(self) -> datetime: ...\n", True),
    ],
)
def test_a_drifted_copy_is_reported(tmp_path: Path, copy: str, drifted: bool) -> None:
    problems = [p for p in drifted_definitions(write_pack(tmp_path, CLOCK, copy)) if "Clock" in p]
    expected = ["references/r.md:4: Clock differs from skill/SKILL.md:8"] if drifted else []
    assert problems == expected


def test_a_use_case_holding_a_unit_of_work_is_reported(tmp_path: Path) -> None:
    held = "class PlaceOrder:\n    def __init__(self, uow: AbstractUnitOfWork) -> None: ...\n"
    factory = (
        "class PlaceOrder:\n"
        "    def __init__(self, uow_factory: Callable[[], AbstractUnitOfWork]) -> None: ...\n"
    )
    problems = units_of_work_held_open(write_pack(tmp_path, factory, held))
    assert len(problems) == 1
    assert problems[0].startswith("references/r.md:5: `uow: AbstractUnitOfWork` holds one")


def test_a_second_unit_of_work_shape_is_reported(tmp_path: Path) -> None:
    second = "class UnitOfWork(Protocol):\n    async def commit(self) -> None: ...\n"
    derived = "class SqlUnitOfWork(AbstractUnitOfWork):\n    pass\n"
    problems = other_unit_of_work_shapes(write_pack(tmp_path, derived, second))
    assert problems == ["references/r.md:4: UnitOfWork does not derive from AbstractUnitOfWork"]
