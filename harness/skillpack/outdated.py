"""Find outdated library APIs in Python code by walking its AST.

The rules are deliberately narrow: each one matches a form that only the old API has (an import,
a method name, a keyword), so code using the current APIs never trips them. ``.dict()`` and
``.json()`` are the exception, as httpx and Starlette have methods of those names; they are only
flagged on receivers that do not look like a response or request, and never when awaited.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

_PYDANTIC_IMPORTS = {
    "BaseSettings": "import BaseSettings from pydantic_settings (with SettingsConfigDict)",
    "validator": "use @field_validator",
    "root_validator": "use @model_validator",
    "parse_obj_as": "use TypeAdapter(T).validate_python(...)",
    "parse_raw_as": "use TypeAdapter(T).validate_json(...)",
}
_ATTRIBUTES = {
    "parse_obj": "use Model.model_validate(...)",
    "parse_raw": "use Model.model_validate_json(...)",
    "parse_file": "read the file and use Model.model_validate_json(...)",
    "from_orm": "use Model.model_validate(obj) with ConfigDict(from_attributes=True)",
    "parse_obj_as": "use TypeAdapter(T).validate_python(...)",
    "update_forward_refs": "use Model.model_rebuild()",
    "schema_json": "use json.dumps(Model.model_json_schema())",
    "__fields__": "use Model.model_fields",
    "on_event": "use FastAPI(lifespan=...) with an async context manager",
    "add_event_handler": "use FastAPI(lifespan=...) with an async context manager",
    "get_event_loop": "use asyncio.get_running_loop() inside coroutines",
    "declarative_base": "subclass sqlalchemy.orm.DeclarativeBase",
}
_CONFIG_NAMES = {
    "orm_mode": "use model_config = ConfigDict(from_attributes=True)",
    "json_encoders": "use @field_serializer or PlainSerializer",
    "allow_mutation": "use ConfigDict(frozen=True)",
}
_V1_DUMP_KWARGS = {
    "include",
    "exclude",
    "by_alias",
    "exclude_unset",
    "exclude_defaults",
    "exclude_none",
}
_V1_FIELD_KWARGS = {
    "regex": "pattern=",
    "const": "Literal[...]",
    "min_items": "min_length=",
    "max_items": "max_length=",
    "allow_mutation": "frozen=",
}
_HTTP_RECEIVER = re.compile(r"(^|_)(r|res|resp|req)(_|$)|response|request")
_HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request", "send"}


@dataclass(frozen=True)
class Usage:
    line: int
    message: str


def outdated_usages(tree: ast.AST) -> list[Usage]:
    """Every outdated API use in ``tree``, one per (line, message), in line order."""
    finder = _Finder()
    finder.visit(tree)
    unique = {(u.line, u.message): u for u in finder.found}
    return sorted(unique.values(), key=lambda u: (u.line, u.message))


def _terminal_name(node: ast.expr) -> str:
    """``a.b.session`` -> ``session``; ``self._session`` -> ``_session``; calls -> their callee."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _terminal_name(node.func)
    return ""


def _session_like(node: ast.expr) -> bool:
    name = _terminal_name(node).lower()
    return "session" in name or name in {"db", "s"}


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: list[Usage] = []
        self._awaited: set[int] = set()
        self._class_depth = 0

    def _add(self, node: ast.AST, message: str) -> None:
        self.found.append(Usage(getattr(node, "lineno", 1), message))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._check_module(node, module)
        for alias in node.names:
            name = alias.name
            if module == "pydantic" and name in _PYDANTIC_IMPORTS:
                self._add(
                    node, f"`from pydantic import {name}` is Pydantic v1: {_PYDANTIC_IMPORTS[name]}"
                )
            elif name == "declarative_base":
                self._add(
                    node, "declarative_base() is legacy: subclass sqlalchemy.orm.DeclarativeBase"
                )
            elif module == "sqlalchemy.orm" and name == "mapper":
                self._add(node, "classical mapper() is gone: use registry.map_imperatively()")
            elif module == "asyncio" and name == "get_event_loop":
                self._add(node, "get_event_loop is deprecated: use asyncio.get_running_loop()")
        self.generic_visit(node)

    def _check_module(self, node: ast.AST, module: str) -> None:
        root = module.split(".")[0]
        if root == "jose":
            self._add(node, "python-jose is unmaintained: use PyJWT (import jwt)")
        elif root == "passlib":
            self._add(node, "passlib is unmaintained: use pwdlib (PasswordHash.recommended())")
        elif module == "pydantic.v1" or module.startswith("pydantic.v1."):
            self._add(node, "pydantic.v1 is the v1 compatibility layer: use the v2 API")
        elif module.startswith("sqlalchemy.ext.declarative"):
            self._add(
                node, "sqlalchemy.ext.declarative is legacy: use sqlalchemy.orm.DeclarativeBase"
            )

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if self._class_depth and node.name == "Config":
            self._add(
                node, "nested `class Config` is Pydantic v1: use model_config = ConfigDict(...)"
            )
        for decorator in node.decorator_list:
            self.visit(decorator)
        self._class_depth += 1
        for statement in node.body:
            self.visit(statement)
        self._class_depth -= 1
        for base in node.bases:
            self.visit(base)
        for keyword in node.keywords:
            self.visit(keyword)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            name = _terminal_name(decorator)
            if name in {"validator", "root_validator"}:
                replacement = "field_validator" if name == "validator" else "model_validator"
                self._add(decorator, f"@{name} is Pydantic v1: use @{replacement}")
        defaults = [*node.args.defaults, *(d for d in node.args.kw_defaults if d is not None)]
        for default in defaults:
            if isinstance(default, ast.Call) and _terminal_name(default.func) == "Depends":
                self._add(
                    default,
                    "`param: T = Depends(f)` is the old form: "
                    "use `param: Annotated[T, Depends(f)]`",
                )
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        saved, self._class_depth = self._class_depth, 0
        self._visit_function(node)
        self._class_depth = saved

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        saved, self._class_depth = self._class_depth, 0
        self._visit_function(node)
        self._class_depth = saved

    def visit_Await(self, node: ast.Await) -> None:
        self._awaited.add(id(node.value))
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr in _ATTRIBUTES:
            self._add(node, f".{attr} is outdated: {_ATTRIBUTES[attr]}")
        elif attr in _CONFIG_NAMES:
            self._add(node, f"{attr} is Pydantic v1 config: {_CONFIG_NAMES[attr]}")
        elif attr in {"utcnow", "utcfromtimestamp"} and _terminal_name(node.value) in {
            "datetime",
            "dt",
        }:
            self._add(
                node,
                f"datetime.{attr}() is deprecated: use datetime.now(UTC) / "
                "datetime.fromtimestamp(ts, UTC)",
            )
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _CONFIG_NAMES:
            self._add(node, f"{node.id} is Pydantic v1 config: {_CONFIG_NAMES[node.id]}")
        elif node.id in {"parse_obj_as", "parse_raw_as"}:
            self._add(node, f"{node.id} is Pydantic v1: {_PYDANTIC_IMPORTS[node.id]}")
        self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> None:
        if node.arg in _CONFIG_NAMES:
            self._add(node.value, f"{node.arg} is Pydantic v1 config: {_CONFIG_NAMES[node.arg]}")
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        for key in node.keys:
            if isinstance(key, ast.Constant) and key.value in _CONFIG_NAMES:
                self._add(key, f"{key.value} is Pydantic v1 config: {_CONFIG_NAMES[key.value]}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        keywords = {k.arg for k in node.keywords if k.arg}
        if isinstance(func, ast.Attribute):
            self._check_method_call(node, func, keywords)
        callee = _terminal_name(func)
        if callee == "Field":
            for keyword in sorted(keywords & _V1_FIELD_KWARGS.keys()):
                self._add(
                    node, f"Field({keyword}=...) is Pydantic v1: use {_V1_FIELD_KWARGS[keyword]}"
                )
        elif callee == "sessionmaker" and "class_" in keywords:
            self._add(
                node,
                "sessionmaker(class_=AsyncSession) is the old form: "
                "use async_sessionmaker(engine, expire_on_commit=False)",
            )
        self.generic_visit(node)

    def _check_method_call(self, node: ast.Call, func: ast.Attribute, keywords: set[str]) -> None:
        method, receiver = func.attr, func.value
        if method in {"dict", "json"}:
            v1_kwargs = keywords & _V1_DUMP_KWARGS
            receiver_name = _terminal_name(receiver).lower()
            if isinstance(receiver, ast.Call) and receiver_name in _HTTP_VERBS:
                receiver_name = "response"
            bare = not node.args and not node.keywords
            plain_receiver = (
                not _HTTP_RECEIVER.search(receiver_name) and id(node) not in self._awaited
            )
            if v1_kwargs or (bare and plain_receiver and receiver_name not in {"", "dict", "json"}):
                replacement = "model_dump()" if method == "dict" else "model_dump_json()"
                self._add(node, f".{method}() is Pydantic v1: use .{replacement}")
        elif method == "query" and _session_like(receiver):
            self._add(
                node,
                "session.query() is legacy: use session.execute(select(...)) / "
                "session.scalars(select(...))",
            )
        elif method == "copy" and "update" in keywords:
            self._add(node, ".copy(update=...) is Pydantic v1: use .model_copy(update=...)")
        elif (
            method == "execute"
            and _session_like(receiver)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            self._add(node, "raw SQL strings are rejected by SQLAlchemy 2: wrap them in text()")
        elif (
            method == "decode"
            and isinstance(receiver, ast.Name)
            and receiver.id == "jwt"
            and not keywords & {"algorithms", "options"}
        ):
            self._add(node, "jwt.decode without algorithms=[...] accepts any algorithm: pass it")
