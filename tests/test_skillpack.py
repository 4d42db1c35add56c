"""The skill pack: lint (on the real pack and on small broken ones), build, install, uninstall."""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from harness.commands import skill_cmd
from harness.errors import HarnessError
from harness.skillpack import SKILL_NAME, skill_content_hash
from harness.skillpack.build import build_skill, folder_files, source_content_hash
from harness.skillpack.complete import imports_django
from harness.skillpack.lint import Finding, LintOptions, lint
from harness.skillpack.pack import REFERENCES

REPO = Path(__file__).resolve().parents[1]
MINI_REFERENCES = {"alpha.md": ("Usage", "Common mistakes")}
FAST = LintOptions(expected_references=MINI_REFERENCES, check_complete=False)
FULL = LintOptions(expected_references=MINI_REFERENCES)

GOOD_BLOCK = """\
def double(value: int) -> int:
    return value * 2


def main() -> None:
    assert double(2) == 4


if __name__ == "__main__":
    main()
"""


def skill_text(
    *,
    name: str = SKILL_NAME,
    description: str = "Patterns for Python services. Use when writing backend code.",
    extra_frontmatter: str = "",
    body: str = "",
) -> str:
    return (
        f"---\nname: {name}\ndescription: {description}\n{extra_frontmatter}---\n\n"
        "# Skill\n\nOpen [alpha](references/alpha.md) and see "
        "[its usage](references/alpha.md#usage).\n" + body
    )


def reference_text(
    *, block: str = GOOD_BLOCK, info: str = "python complete", extra: str = ""
) -> str:
    return (
        "# Alpha\n\nWhat alpha covers.\n\n## Usage\n\n"
        f"```{info}\n{block}```\n\n{extra}"
        "## Common mistakes\n\n| mistake | why it hurts | fix |\n|---|---|---|\n| a | b | c |\n"
    )


def write_pack(root: Path, *, skill: str | None = None, alpha: str | None = None) -> Path:
    (root / "skill").mkdir(parents=True, exist_ok=True)
    (root / "references").mkdir(exist_ok=True)
    (root / "skill" / "SKILL.md").write_text(skill if skill is not None else skill_text())
    (root / "references" / "alpha.md").write_text(alpha if alpha is not None else reference_text())
    return root


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# -- the real pack --------------------------------------------------------------------------


def test_real_pack_lints_clean() -> None:
    """CI guard: the shipped skill passes every check, including running each complete block."""
    findings = lint(REPO)
    assert findings == [], "\n".join(str(f) for f in findings)


# -- lint on synthetic packs ----------------------------------------------------------------


def test_good_synthetic_pack_is_clean_including_complete_blocks(tmp_path: Path) -> None:
    assert lint(write_pack(tmp_path), FULL) == []


def test_finding_prints_as_path_line_rule_message() -> None:
    finding = Finding("references/alpha.md", 12, "broken-anchor", "no heading")
    assert str(finding) == "references/alpha.md:12: broken-anchor: no heading"


@pytest.mark.parametrize(
    "name",
    ["Python-Backend", "claude-helper", "anthropic-skill", "-leading", "double--hyphen", "x" * 65],
)
def test_bad_name(tmp_path: Path, name: str) -> None:
    root = write_pack(tmp_path, skill=skill_text(name=name))
    findings = lint(root, FAST)
    assert any(f.rule == "name" and f.path == "skill/SKILL.md" and f.line == 2 for f in findings)


def test_name_must_match_the_built_folder(tmp_path: Path) -> None:
    findings = lint(write_pack(tmp_path, skill=skill_text(name="other-skill")), FAST)
    assert any(f.rule == "name" and SKILL_NAME in f.message for f in findings)


def test_description_too_long_or_with_angle_brackets(tmp_path: Path) -> None:
    long_pack = write_pack(tmp_path / "long", skill=skill_text(description="w" * 1025))
    assert "description" in rules(lint(long_pack, FAST))
    tag_pack = write_pack(tmp_path / "tag", skill=skill_text(description="Use for <api> code."))
    assert "description" in rules(lint(tag_pack, FAST))


def test_unknown_frontmatter_field_and_bad_yaml(tmp_path: Path) -> None:
    extra = write_pack(tmp_path / "extra", skill=skill_text(extra_frontmatter="version: 2\n"))
    assert any(f.rule == "frontmatter-field" and f.line == 4 for f in lint(extra, FAST))
    broken = write_pack(tmp_path / "yaml", skill=skill_text(extra_frontmatter="metadata: [x\n"))
    assert "frontmatter" in rules(lint(broken, FAST))


def test_body_over_budget(tmp_path: Path) -> None:
    many_lines = write_pack(tmp_path / "lines", skill=skill_text(body="line\n" * 500))
    assert any("lines" in f.message for f in lint(many_lines, FAST) if f.rule == "body-size")
    many_tokens = write_pack(tmp_path / "tokens", skill=skill_text(body="x" * 20_001 + "\n"))
    messages = [f.message for f in lint(many_tokens, FAST) if f.rule == "body-size"]
    assert any("ceil(chars / 4)" in m for m in messages)


def test_missing_anchor_and_missing_file(tmp_path: Path) -> None:
    body = "\nSee [gone](references/alpha.md#no-such-heading) and [lost](references/beta.md).\n"
    root = write_pack(tmp_path, skill=skill_text(body=body))
    findings = lint(root, FAST)
    expected_line = line_of(root / "skill" / "SKILL.md", "no-such-heading")
    assert any(f.rule == "broken-anchor" and f.line == expected_line for f in findings)
    assert any(f.rule == "broken-link" and "beta.md" in f.message for f in findings)


def test_anchors_follow_github_slugs_with_duplicate_suffixes(tmp_path: Path) -> None:
    extra = (
        "## Eager loading and N+1 queries\n\n## Example\n\n## Example\n\n"
        "Links: [a](#eager-loading-and-n1-queries), [b](#example), [c](#example-1), "
        "[d](#usage).\n\n"
    )
    root = write_pack(tmp_path, alpha=reference_text(extra=extra))
    assert lint(root, FAST) == []
    broken = write_pack(
        tmp_path / "broken", alpha=reference_text(extra=extra + "[e](#example-2)\n\n")
    )
    assert [f.rule for f in lint(broken, FAST)] == ["broken-anchor"]


def test_links_inside_code_are_ignored(tmp_path: Path) -> None:
    extra = "Inline `[x](missing.md)` is code.\n\n```markdown\n[y](missing.md)\n```\n\n"
    assert lint(write_pack(tmp_path, alpha=reference_text(extra=extra)), FAST) == []


def test_unparsable_block_reports_the_markdown_line(tmp_path: Path) -> None:
    block = "def broken(:\n    pass\n"
    extra = f"```python\nx = 1\n{block}```\n\n"
    root = write_pack(tmp_path, alpha=reference_text(extra=extra))
    findings = [f for f in lint(root, FAST) if f.rule == "python-syntax"]
    assert len(findings) == 1
    assert findings[0].line == line_of(root / "references" / "alpha.md", "def broken(:")


@pytest.mark.parametrize(
    "snippet",
    [
        "user = User()\ndata = user.dict()\n",
        "text = order.json()\n",
        "item = Item.parse_obj({'a': 1})\n",
        "item = Item.parse_raw('{}')\n",
        "item = Item.from_orm(row)\n",
        "from pydantic import BaseSettings\n",
        "from pydantic import validator\n",
        "from pydantic import parse_obj_as\n",
        "from sqlalchemy.orm import declarative_base\n",
        "from sqlalchemy.ext.declarative import declarative_base\n",
        "from jose import jwt\n",
        "from passlib.context import CryptContext\n",
        "users = session.query(User).all()\n",
        "@app.on_event('startup')\nasync def start() -> None: ...\n",
        "now = datetime.utcnow()\n",
        "loop = asyncio.get_event_loop()\n",
        "class Item(BaseModel):\n    class Config:\n        frozen = True\n",
        "class Item(BaseModel):\n    model_config = ConfigDict(orm_mode=True)\n",
        "config = {'json_encoders': {}}\n",
        "class Item(BaseModel):\n    @validator('name')\n    def check(cls, v: str) -> str: ...\n",
        "claims = jwt.decode(token, key)\n",
        "async def route(db: Session = Depends(get_db)) -> None: ...\n",
    ],
)
def test_outdated_api_in_a_block_is_flagged_on_its_line(tmp_path: Path, snippet: str) -> None:
    extra = f"```python\nimport asyncio\n\n{snippet}```\n\n"
    root = write_pack(tmp_path, alpha=reference_text(extra=extra))
    findings = [f for f in lint(root, FAST) if f.rule == "outdated-api"]
    assert findings, snippet
    first_code_line = line_of(root / "references" / "alpha.md", "import asyncio")
    snippet_lines = range(first_code_line + 2, first_code_line + 2 + snippet.count("\n"))
    assert all(f.line in snippet_lines for f in findings)


def test_current_apis_and_http_json_are_not_flagged(tmp_path: Path) -> None:
    snippet = (
        "from datetime import UTC, datetime\n"
        "from pydantic import BaseModel, ConfigDict, field_validator\n\n\n"
        "class Item(BaseModel):\n"
        "    model_config = ConfigDict(from_attributes=True, frozen=True)\n"
        "    name: str\n\n"
        "    @field_validator('name')\n"
        "    @classmethod\n"
        "    def strip(cls, value: str) -> str:\n"
        "        return value.strip()\n\n\n"
        "async def demo(client: Any, request: Any, session: Any) -> None:\n"
        "    response = await client.get('/items')\n"
        "    items = response.json()\n"
        "    body = await request.json()\n"
        "    listed = client.get('/items').json()\n"
        "    raw_response = (await client.get('/items')).json()\n"
        "    item = Item.model_validate(items[0])\n"
        "    raw = item.model_dump_json()\n"
        "    rows = await session.scalars(select(Item))\n"
        "    claims = jwt.decode(raw, 'k', algorithms=['HS256'])\n"
        "    when = datetime.now(UTC)\n"
        "    loop = asyncio.get_running_loop()\n"
    )
    extra = f"```python\n{snippet}```\n\n"
    assert lint(write_pack(tmp_path, alpha=reference_text(extra=extra)), FAST) == []


def test_outdated_forms_outside_python_blocks_are_allowed(tmp_path: Path) -> None:
    extra = "| `.dict()` | `model_dump()` |\n|---|---|\n\n```text\nuser.dict()\n```\n\n"
    assert lint(write_pack(tmp_path, alpha=reference_text(extra=extra)), FAST) == []


def test_failing_complete_block_reports_the_failing_markdown_line(tmp_path: Path) -> None:
    block = GOOD_BLOCK.replace("assert double(2) == 4", "assert double(2) == 5, 'wrong double'")
    root = write_pack(tmp_path, alpha=reference_text(block=block))
    findings = lint(root, FULL)
    assert [f.rule for f in findings] == ["run"]
    assert findings[0].line == line_of(root / "references" / "alpha.md", "assert double(2) == 5")
    assert "AssertionError" in findings[0].message


def test_complete_block_type_and_style_errors_map_to_markdown_lines(tmp_path: Path) -> None:
    block = "import os\n\n\n" + GOOD_BLOCK.replace("value: int) -> int", "value)")
    root = write_pack(tmp_path, alpha=reference_text(block=block))
    findings = lint(root, FULL)
    alpha = root / "references" / "alpha.md"
    assert any(f.rule == "ruff" and f.line == line_of(alpha, "import os") for f in findings)
    assert any(f.rule == "mypy" and f.line == line_of(alpha, "def double(value)") for f in findings)


def test_complete_block_that_hangs_is_stopped(tmp_path: Path) -> None:
    block = GOOD_BLOCK.replace("assert double(2) == 4", "while True:\n        pass")
    root = write_pack(tmp_path, alpha=reference_text(block=block))
    options = LintOptions(expected_references=MINI_REFERENCES, timeout=1.0)
    assert any(f.rule == "run" and "timed out" in f.message for f in lint(root, options))


def test_complete_blocks_run_without_api_keys(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    monkeypatch.setenv("SERVICE_TOKEN", "t")
    block = GOOD_BLOCK.replace(
        "assert double(2) == 4",
        "assert not {k for k in os.environ if 'API_KEY' in k or 'TOKEN' in k}",
    )
    root = write_pack(tmp_path, alpha=reference_text(block="import os\n\n\n" + block))
    assert lint(root, FULL) == []


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        ("import yaml\n\n\n" + GOOD_BLOCK, "import yaml"),
        (
            GOOD_BLOCK.replace("return value * 2", "return value * 2  # type: ignore"),
            "type: ignore",
        ),
        (GOOD_BLOCK.replace('if __name__ == "__main__":\n    main()\n', "main()\n"), "```python"),
    ],
    ids=["third-party-import", "type-ignore", "no-main-guard"],
)
def test_complete_block_must_be_a_standalone_script(
    tmp_path: Path, block: str, needle: str
) -> None:
    root = write_pack(tmp_path, alpha=reference_text(block=block))
    findings = [f for f in lint(root, FAST) if f.rule == "complete-block"]
    assert [f.line for f in findings] == [line_of(root / "references" / "alpha.md", needle)]


DJANGO_BLOCK = """\
import django
from django.apps import AppConfig
from django.conf import settings
from django.db import connection, models


class NotesConfig(AppConfig):
    name = __name__
    label = "notes"


settings.configure(
    INSTALLED_APPS=[f"{__name__}.NotesConfig"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
)
django.setup()


class Note(models.Model):
    text = models.CharField(max_length=20)

    class Meta:
        app_label = "notes"


def main() -> None:
    with connection.schema_editor() as editor:
        editor.create_model(Note)
    note = Note.objects.create(text="hi")
    assert Note.objects.get(pk=note.pk).text.upper() == "HI"


if __name__ == "__main__":
    main()
"""


def with_django_block(block: str = GOOD_BLOCK, django_block: str = DJANGO_BLOCK) -> str:
    return reference_text(block=block, extra=f"```python complete\n{django_block}```\n\n")


def test_a_django_block_type_checks_with_the_django_plugin(tmp_path: Path) -> None:
    """Without django-stubs' plugin mypy cannot type ``text = models.CharField(...)``
    ("Need type annotation"), so a clean lint shows the plugin saw the block's own models."""
    assert lint(write_pack(tmp_path, alpha=with_django_block()), FULL) == []


def test_django_and_plain_blocks_are_both_type_checked(tmp_path: Path) -> None:
    """A misspelt field is an error only the plugin reports; the plain block is still checked."""
    misspelt = DJANGO_BLOCK.replace('create(text="hi")', 'create(txt="hi")')
    untyped = GOOD_BLOCK.replace("value: int) -> int", "value)")
    root = write_pack(tmp_path, alpha=with_django_block(untyped, misspelt))
    alpha = root / "references" / "alpha.md"
    mypy = [f for f in lint(root, FULL) if f.rule == "mypy"]
    misspelt_line = line_of(alpha, 'create(txt="hi")')
    assert any(f.line == misspelt_line and '"txt" for model "Note"' in f.message for f in mypy)
    assert line_of(alpha, "def double(value)") in {f.line for f in mypy}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("import django\n", True),
        ("from django.db import models\n", True),
        ("import os, django.conf\n", True),
        ("from .django import x\n", False),
        ("import djangoish\n", False),
        ("def broken(:\n", False),
    ],
)
def test_which_blocks_count_as_django(code: str, expected: bool) -> None:
    assert imports_django(code) is expected


def test_missing_complete_block(tmp_path: Path) -> None:
    root = write_pack(tmp_path, alpha=reference_text(info="python"))
    assert rules(lint(root, FAST)) == {"complete-block"}


def test_long_reference_needs_contents_near_the_top(tmp_path: Path) -> None:
    filler = "text\n" * 310
    without = write_pack(tmp_path / "without", alpha=reference_text(extra=filler))
    assert rules(lint(without, FAST)) == {"toc"}
    contents = "# Alpha\n\n## Contents\n\n- [Usage](#usage)\n\n"
    with_toc = write_pack(
        tmp_path / "with", alpha=contents + reference_text(extra=filler).removeprefix("# Alpha\n")
    )
    assert lint(with_toc, FAST) == []


def test_expected_references_must_exist_be_linked_and_have_their_headings(tmp_path: Path) -> None:
    root = write_pack(tmp_path)
    (root / "references" / "orphan.md").write_text(reference_text())
    options = LintOptions(
        expected_references={**MINI_REFERENCES, "beta.md": ("Usage",), "orphan.md": ("Setup",)},
        check_complete=False,
    )
    findings = lint(root, options)
    assert (
        Finding("references/beta.md", 1, "missing-reference", "expected reference file is missing")
        in findings
    )
    assert any(
        f.rule == "unlinked-reference" and f.path == "references/orphan.md" for f in findings
    )
    assert any(f.rule == "required-heading" and "## Setup" in f.message for f in findings)


def test_lint_command_prints_findings_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_pack(tmp_path, skill=skill_text(name="Bad_Name"))
    assert run_cli("lint", "--root", str(root), "--no-run") == 1
    out = capsys.readouterr().out
    assert "skill/SKILL.md:2: name: " in out
    assert "SKILL.md body:" in out
    assert "ceil(chars / 4)" in out
    assert "alpha.md" in out


# -- build ----------------------------------------------------------------------------------


def test_build_writes_folder_and_deterministic_zip(tmp_path: Path) -> None:
    root = write_pack(tmp_path / "repo")
    first = build_skill(root, tmp_path / "dist", lint_options=FULL)
    assert first.folder == tmp_path / "dist" / SKILL_NAME
    assert (first.folder / "SKILL.md").read_text() == (root / "skill" / "SKILL.md").read_text()
    assert (first.folder / "references" / "alpha.md").is_file()
    with zipfile.ZipFile(first.zip_path) as archive:
        names = archive.namelist()
    assert all(name.startswith(f"{SKILL_NAME}/") for name in names)
    assert {f"{SKILL_NAME}/SKILL.md", f"{SKILL_NAME}/references/alpha.md"} <= set(names)
    zip_bytes = first.zip_path.read_bytes()

    second = build_skill(root, tmp_path / "dist", run_lint=False)
    assert second.zip_path.read_bytes() == zip_bytes
    assert second.content_hash == first.content_hash == skill_content_hash(second.folder)
    assert second.zip_sha256 == hashlib.sha256(zip_bytes).hexdigest()

    (root / "references" / "alpha.md").write_text(reference_text(extra="More.\n\n"))
    third = build_skill(root, tmp_path / "dist", run_lint=False)
    assert third.content_hash != first.content_hash
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        SKILL_NAME,
        f"{SKILL_NAME}.zip",
    ]


def test_build_refuses_a_pack_that_fails_lint_unless_told(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_pack(tmp_path / "repo", skill=skill_text(description="has <xml>"))
    out = tmp_path / "dist"
    with pytest.raises(HarnessError, match="lint"):
        run_cli("build", "--root", str(root), "--out", str(out))
    assert "description" in capsys.readouterr().out
    assert not (out / SKILL_NAME).exists()
    assert run_cli("build", "--root", str(root), "--out", str(out), "--no-lint") == 0
    assert "content hash:" in capsys.readouterr().out
    assert (out / f"{SKILL_NAME}.zip").is_file()


# -- install / uninstall ----------------------------------------------------------------------

EXPECTED_DIRS = {
    ("claude-code", "project"): "project/.claude/skills",
    ("claude-code", "user"): "home/.claude/skills",
    ("codex", "project"): "project/.agents/skills",
    ("codex", "user"): "home/.agents/skills",
    ("cursor", "project"): "project/.cursor/skills",
    ("cursor", "user"): "home/.cursor/skills",
    ("gemini", "project"): "project/.gemini/skills",
    ("gemini", "user"): "home/.gemini/skills",
    ("opencode", "project"): "project/.opencode/skills",
    ("opencode", "user"): "home/.config/opencode/skills",
    ("goose", "project"): "project/.agents/skills",
    ("goose", "user"): "home/.agents/skills",
    ("agents", "project"): "project/.agents/skills",
    ("agents", "user"): "home/.agents/skills",
}


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    skill_cmd.register(sub)
    args = parser.parse_args(["skill", *argv])
    code: int = args.handler(args)
    return code


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A synthetic pack in tmp/repo, HOME at tmp/home, a project at tmp/project."""
    write_pack(tmp_path / "repo")
    (tmp_path / "home").mkdir()
    (tmp_path / "project").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path


def install_args(env: Path, agent: str, scope: str, *extra: str) -> list[str]:
    return [
        "--agent",
        agent,
        "--scope",
        scope,
        "--project-dir",
        str(env / "project"),
        "--root",
        str(env / "repo"),
        "--out",
        str(env / "dist"),
        "--no-lint",
        *extra,
    ]


def uninstall_args(env: Path, agent: str, scope: str, *extra: str) -> list[str]:
    return ["--agent", agent, "--scope", scope, "--project-dir", str(env / "project"), *extra]


@pytest.mark.parametrize(("agent", "scope"), sorted(EXPECTED_DIRS))
def test_install_and_uninstall_for_each_agent_and_scope(
    env: Path, agent: str, scope: str, capsys: pytest.CaptureFixture[str]
) -> None:
    target = env / EXPECTED_DIRS[(agent, scope)] / SKILL_NAME
    assert run_cli("install", *install_args(env, agent, scope)) == 0
    assert str(target) in capsys.readouterr().out
    assert (target / "SKILL.md").read_text() == (env / "repo" / "skill" / "SKILL.md").read_text()
    assert (target / "references" / "alpha.md").is_file()
    assert skill_content_hash(target) == skill_content_hash(env / "dist" / SKILL_NAME)
    assert sorted(p.name for p in target.parent.iterdir()) == [SKILL_NAME]
    assert target.stat().st_mode & 0o777 == 0o755
    assert (target / ".skill-eval.json").stat().st_mode & 0o777 == 0o644

    assert run_cli("uninstall", *uninstall_args(env, agent, scope)) == 0
    assert not target.exists()
    assert list(target.parent.iterdir()) == []


def test_install_builds_when_dist_is_missing_or_stale(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli("install", *install_args(env, "claude-code", "project"))
    assert "building" in capsys.readouterr().out
    run_cli("install", *install_args(env, "claude-code", "project"))
    assert "building" not in capsys.readouterr().out
    (env / "repo" / "references" / "alpha.md").write_text(reference_text(extra="New.\n\n"))
    run_cli("install", *install_args(env, "claude-code", "project"))
    out = capsys.readouterr().out
    assert "building" in out
    assert "updated" in out
    installed = env / "project/.claude/skills" / SKILL_NAME / "references" / "alpha.md"
    assert "New." in installed.read_text()


def test_reinstall_is_a_no_op(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_cli("install", *install_args(env, "codex", "user"))
    capsys.readouterr()
    assert run_cli("install", *install_args(env, "codex", "user")) == 0
    assert "already installed" in capsys.readouterr().out


def test_install_refuses_to_overwrite_a_different_skill(env: Path) -> None:
    target = env / "project/.cursor/skills" / SKILL_NAME
    target.mkdir(parents=True)
    (target / "SKILL.md").write_text("someone else's skill\n")
    with pytest.raises(HarnessError, match=str(target)):
        run_cli("install", *install_args(env, "cursor", "project"))
    assert (target / "SKILL.md").read_text() == "someone else's skill\n"
    assert run_cli("install", *install_args(env, "cursor", "project", "--force")) == 0
    assert (target / "references" / "alpha.md").is_file()


def test_install_refuses_to_overwrite_an_edited_install(env: Path) -> None:
    run_cli("install", *install_args(env, "gemini", "user"))
    target = env / "home/.gemini/skills" / SKILL_NAME
    (target / "SKILL.md").write_text("edited by hand\n")
    with pytest.raises(HarnessError, match="--force"):
        run_cli("install", *install_args(env, "gemini", "user"))


def test_uninstall_refuses_a_foreign_or_edited_folder(env: Path) -> None:
    foreign = env / "home/.agents/skills" / SKILL_NAME
    foreign.mkdir(parents=True)
    (foreign / "SKILL.md").write_text("not ours\n")
    with pytest.raises(HarnessError, match=str(foreign)):
        run_cli("uninstall", *uninstall_args(env, "agents", "user"))
    assert foreign.is_dir()
    assert run_cli("uninstall", *uninstall_args(env, "agents", "user", "--force")) == 0
    assert not foreign.exists()

    run_cli("install", *install_args(env, "opencode", "project"))
    edited = env / "project/.opencode/skills" / SKILL_NAME
    (edited / "references" / "alpha.md").write_text("changed\n")
    with pytest.raises(HarnessError, match="changed"):
        run_cli("uninstall", *uninstall_args(env, "opencode", "project"))
    assert edited.is_dir()


def test_uninstall_when_nothing_is_installed(env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("uninstall", *uninstall_args(env, "goose", "project")) == 0
    assert "not installed" in capsys.readouterr().out


def test_cli_reports_a_refusal_on_one_line_with_exit_code_2(
    env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from harness.cli import main

    foreign = env / "project/.claude/skills" / SKILL_NAME
    foreign.mkdir(parents=True)
    (foreign / "SKILL.md").write_text("not ours\n")
    code = main(["skill", "uninstall", *uninstall_args(env, "claude-code", "project")])
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(foreign) in err


def test_markdown_is_read_as_commonmark_with_source_lines() -> None:
    from harness.skillpack.markdown import parse

    text = (
        "Setext title\n"  # 1
        "============\n"  # 2
        "\n"
        "- a list item with code:\n"  # 4
        "\n"
        "  ```python complete\n"  # 6
        "  x = 1\n"
        "  ```\n"
        "\n"
        "| see | [the cache](caching.md#invalidation) |\n"  # 10
        "|---|---|\n"
        "| `[not](a-link.md)` | [two](<two words.md>) |\n"  # 12
        "\n"
        "A paragraph that wraps\n"  # 14
        "onto [a second line](testing.md).\n"  # 15
        "\n"
        "## Caching `Cache[T]` *ports*\n"  # 17
        "\n"
        "```\n"  # 19
        "never closed\n"
    )
    doc = parse(text)
    assert [(h.level, h.text, h.line, h.anchor) for h in doc.headings] == [
        (1, "Setext title", 1, "setext-title"),
        (2, "Caching Cache[T] ports", 17, "caching-cachet-ports"),
    ]
    assert [(b.info, b.fence_line, b.code, b.closed) for b in doc.blocks] == [
        ("python complete", 6, "x = 1\n", True),
        ("", 19, "never closed\n", False),
    ]
    assert [(link.target, link.line) for link in doc.links] == [
        ("caching.md#invalidation", 10),
        ("two words.md", 12),
        ("testing.md", 15),
    ]


# -- the repository itself is an installable skill folder ------------------------------------


def test_skill_folder_links_the_references_so_a_copy_of_it_resolves(tmp_path: Path) -> None:
    """``skill/references`` points at the top-level ``references/``: a copy that follows it
    (``cp -rL skill/ dest``; ``npx skills add <checkout>``, run for real in
    test_clients_skills.py) is a skill whose links resolve."""
    link = REPO / "skill" / REFERENCES
    assert link.is_symlink()
    assert os.readlink(link) == f"../{REFERENCES}"
    copy = tmp_path / SKILL_NAME
    shutil.copytree(REPO / "skill", copy)  # follows symlinks, as the installers do
    copied = sorted(path.name for path in (copy / REFERENCES).iterdir())
    assert copied == sorted(path.name for path in (REPO / REFERENCES).glob("*.md"))
    assert lint(copy, LintOptions(check_complete=False)) == []


def test_build_and_install_of_the_real_pack_copy_files_not_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = build_skill(REPO, tmp_path / "dist", run_lint=False)
    references = {f"{REFERENCES}/{path.name}" for path in (REPO / REFERENCES).glob("*.md")}
    assert set(folder_files(result.folder)) == {"SKILL.md", *references}
    assert not any(path.is_symlink() for path in result.folder.rglob("*"))
    assert result.content_hash == source_content_hash(REPO)

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    project = tmp_path / "project"
    project.mkdir()
    where = ["--agent", "claude-code", "--scope", "project", "--project-dir", str(project)]
    source = ["--root", str(REPO), "--out", str(tmp_path / "dist"), "--no-lint"]
    assert run_cli("install", *where, *source) == 0
    installed = project / ".claude" / "skills" / SKILL_NAME
    assert skill_content_hash(installed) == result.content_hash
    assert lint(installed, LintOptions(check_complete=False)) == []
    assert run_cli("uninstall", *where) == 0
    assert not installed.exists()


def test_a_mistyped_project_dir_is_refused_not_created(env: Path) -> None:
    typo = env / "projcet"
    args = install_args(env, "claude-code", "project")
    args[args.index("--project-dir") + 1] = str(typo)
    with pytest.raises(HarnessError, match=r"--project-dir .*projcet: no such directory"):
        run_cli("install", *args)
    with pytest.raises(HarnessError, match="no such directory"):
        run_cli("uninstall", "--agent", "claude-code", "--scope", "project",
                "--project-dir", str(typo))  # fmt: skip
    assert not typo.exists()
