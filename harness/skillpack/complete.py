"""Check ```python complete blocks: ruff, mypy --strict, and a real run.

Every block is written to its own file with a unique module name. ruff and mypy each run once over
all of them (one mypy process is far cheaper than one per block), while the runs go in parallel,
each in its own working directory with API keys removed from the environment. Every error is mapped
back to the line of the Markdown file it came from.

A block that imports Django is type-checked on its own, with django-stubs' mypy plugin: without it
``Model.objects``, field types and reverse relations are unknown to mypy. The plugin imports a
settings module and reads the models from Django's app registry, so the block is its own settings
module: it configures Django when imported (``settings.configure(...)`` and ``django.setup()`` at
the top level, its models in an installed app), and ``main()`` stays behind the ``__main__`` guard.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.scoring import sandbox
from harness.skillpack.markdown import CodeBlock

RUFF_RULES = "E,F,W,I,B,UP,SIM,RUF,ASYNC"
LINE_LENGTH = 100
DJANGO_MYPY_CONFIG = """\
[mypy]
plugins = mypy_django_plugin.main

[mypy.plugins.django-stubs]
django_settings_module = {module}
"""
_MYPY_LINE = re.compile(
    r"^(?P<file>[^:\s]+\.py):(?P<line>\d+):(?:\d+:)? (?P<kind>error): (?P<msg>.*)$"
)


@dataclass(frozen=True)
class BlockProblem:
    """One problem in a block; ``md_line`` is the line in the Markdown file."""

    path: str
    md_line: int
    tool: str
    message: str


@dataclass(frozen=True)
class SourceBlock:
    """A complete block and the Markdown file (as displayed) it came from."""

    path: str
    block: CodeBlock


@dataclass(frozen=True)
class _Extracted:
    source: SourceBlock
    file: Path
    workdir: Path


def default_cache_dir() -> Path:
    """A mypy cache shared by every lint run, so third-party stubs are analysed once."""
    return Path(tempfile.gettempdir()) / f"skill-eval-mypy-cache-{os.getuid()}"


def check_blocks(
    blocks: Sequence[SourceBlock],
    *,
    timeout: float = 30.0,
    workers: int | None = None,
    mypy_cache_dir: Path | None = None,
) -> list[BlockProblem]:
    """Run ruff, mypy --strict and the script itself for every block; return the problems."""
    if not blocks:
        return []
    with tempfile.TemporaryDirectory(prefix="skill-lint-") as tmp:
        root = Path(tmp)
        code_dir = root / "blocks"
        code_dir.mkdir()
        extracted: list[_Extracted] = []
        for index, source in enumerate(blocks):
            stem = re.sub(r"\W", "_", Path(source.path).stem)
            module = f"skillblock_{index:03d}_{stem}_l{source.block.fence_line}"
            file = code_dir / f"{module}.py"
            file.write_text(source.block.code, encoding="utf-8")
            workdir = root / "run" / module
            workdir.mkdir(parents=True)
            extracted.append(_Extracted(source, file, workdir))
        django = [item for item in extracted if imports_django(item.source.block.code)]
        plain = [item for item in extracted if item not in django]
        cache = mypy_cache_dir or default_cache_dir()
        pool_size = workers or min(8, (os.cpu_count() or 2) + 2)
        with ThreadPoolExecutor(max_workers=pool_size) as pool:
            futures: list[Future[list[BlockProblem]]] = [
                pool.submit(_ruff, extracted, code_dir, timeout)
            ]
            if plain:
                futures.append(pool.submit(_mypy, plain, code_dir, timeout, cache))
            for item in django:
                config = root / f"{item.file.stem}.mypy.ini"
                config.write_text(DJANGO_MYPY_CONFIG.format(module=item.file.stem))
                # its own cache: the plugin's settings are part of mypy's cache key
                futures.append(
                    pool.submit(_mypy, [item], code_dir, timeout, cache / "django", config)
                )
            futures.extend(pool.submit(_run, item, timeout) for item in extracted)
            problems = [problem for future in futures for problem in future.result()]
    return sorted(problems, key=lambda p: (p.path, p.md_line, p.tool, p.message))


def imports_django(code: str) -> bool:
    """Whether a block imports Django (and so needs django-stubs' plugin to type-check)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules = [node.module or ""]
        else:
            continue
        if any(module.split(".")[0] == "django" for module in modules):
            return True
    return False


def _by_file(extracted: Sequence[_Extracted]) -> dict[str, _Extracted]:
    return {item.file.name: item for item in extracted}


def _mypy(
    extracted: Sequence[_Extracted],
    code_dir: Path,
    timeout: float,
    cache: Path,
    config: Path | None = None,
) -> list[BlockProblem]:
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--no-error-summary",
        "--hide-error-context",
        "--no-pretty",
        "--show-error-codes",
        "--cache-dir",
        str(cache),
        *(["--config-file", str(config)] if config else []),
        *(item.file.name for item in extracted),
    ]
    # mypy's first run over pydantic, SQLAlchemy and FastAPI takes a while: allow for it.
    result = _execute(command, code_dir, max(timeout * 4, 120.0))
    if isinstance(result, str):
        return [_whole(extracted[0], "mypy", result)]
    files = _by_file(extracted)
    problems: list[BlockProblem] = []
    for line in result.stdout.splitlines():
        match = _MYPY_LINE.match(line.strip())
        if match and (item := files.get(Path(match["file"]).name)):
            problems.append(_at(item, int(match["line"]), "mypy", match["msg"].strip()))
        elif match:
            problems.append(_whole(extracted[0], "mypy", line.strip()))
    if result.returncode not in (0, 1) or (result.returncode == 1 and not problems):
        detail = _last_line(result.stderr or result.stdout) or f"exit code {result.returncode}"
        problems.append(_whole(extracted[0], "mypy", f"mypy failed: {detail}"))
    return problems


def _ruff(extracted: Sequence[_Extracted], code_dir: Path, timeout: float) -> list[BlockProblem]:
    command = [
        sys.executable,
        "-m",
        "ruff",
        "check",
        "--isolated",
        "--no-cache",
        "--select",
        RUFF_RULES,
        "--line-length",
        str(LINE_LENGTH),
        "--output-format",
        "json",
        *(item.file.name for item in extracted),
    ]
    result = _execute(command, code_dir, timeout)
    if isinstance(result, str):
        return [_whole(extracted[0], "ruff", result)]
    try:
        reports = json.loads(result.stdout or "[]")
    except json.JSONDecodeError:
        detail = _last_line(result.stderr or result.stdout)
        return [_whole(extracted[0], "ruff", f"ruff failed: {detail}")]
    files = _by_file(extracted)
    problems: list[BlockProblem] = []
    for report in reports:
        item = files.get(Path(str(report.get("filename", ""))).name)
        if item is None:
            continue
        row = int((report.get("location") or {}).get("row", 1))
        code = report.get("code") or "syntax"
        problems.append(_at(item, row, "ruff", f"{code} {report.get('message', '')}".strip()))
    return problems


def _run(item: _Extracted, timeout: float) -> list[BlockProblem]:
    """Run the block like scoring runs workspace code: no network, scrubbed env, timeout."""
    done = sandbox.run([sys.executable, str(item.file)], cwd=item.workdir, timeout_s=timeout)
    if done.timed_out:
        return [_whole(item, "run", f"timed out after {timeout:.0f} s")]
    result = subprocess.CompletedProcess(
        [str(item.file)], done.returncode, stdout=done.stdout, stderr=done.stderr
    )
    traceback_line = re.compile(rf'File "{re.escape(str(item.file))}", line (\d+)')
    warning_line = re.compile(rf"^{re.escape(str(item.file))}:(\d+): (\w+Warning): (.*)$")
    if result.returncode != 0:
        lines = [int(m) for m in traceback_line.findall(result.stderr)]
        error = _last_line(result.stderr) or "no output on stderr"
        message = f"exited with code {result.returncode}: {error}"
        if lines:
            return [_at(item, lines[-1], "run", message)]
        return [_whole(item, "run", message)]
    problems = [
        _at(item, int(m[1]), "run", f"{m[2]} at run time: {m[3].strip()}")
        for m in (warning_line.match(line) for line in result.stderr.splitlines())
        if m
    ]
    return problems


def _execute(
    command: Sequence[str], cwd: Path, timeout: float, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str] | str:
    """Run ``command``; a string describes why it could not finish."""
    try:
        return subprocess.run(
            list(command),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:.0f} s"
    except OSError as exc:
        return f"could not start {command[0]}: {exc}"


def _at(item: _Extracted, code_line: int, tool: str, message: str) -> BlockProblem:
    line = item.source.block.md_line(code_line)
    return BlockProblem(item.source.path, line, tool, message)


def _whole(item: _Extracted, tool: str, message: str) -> BlockProblem:
    return BlockProblem(item.source.path, item.source.block.fence_line, tool, message)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""
