"""`skill-eval failures --propose`: ask a model to draft a patch to the weakest reference sections.

The draft is written to a file for a person to review; nothing is applied. The official SDK
resolves ``ANTHROPIC_API_KEY`` and ``ANTHROPIC_BASE_URL`` itself; ``base_url`` overrides the latter.
"""

from __future__ import annotations

import re
from pathlib import Path

import anthropic
from anthropic.types import TextBlock

from harness.errors import HarnessError
from harness.report.failures import Section, evidence
from harness.skillpack.markdown import parse

MAX_TOKENS = 8000
TRIALS_PER_SECTION = 6
SYSTEM = (
    "You maintain the reference documents of a coding-agent skill about Python backend "
    "architecture. Agents read these references on demand while they work. You are shown "
    "reference sections and evidence of agents failing tasks that rely on them. Improve the "
    "sections so an agent who reads them avoids these failures: be specific, keep the existing "
    "style, keep code examples complete and correct, do not bloat. Answer with a short rationale, "
    "then one unified diff in a ```diff block whose paths are references/<file> with a/ and b/ "
    "prefixes, changing only the sections shown."
)
_DIFF_BLOCK = re.compile(r"^```diff[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def section_text(references_dir: Path, reference: str) -> str:
    """The Markdown of ``file.md#anchor``: its heading down to the next heading as high."""
    name, anchor = reference.split("#", 1)
    path = references_dir / name
    if not path.is_file():
        raise HarnessError(f"{path}: reference file not found (cited as {reference!r})")
    lines = path.read_text(encoding="utf-8").splitlines()
    headings = parse("\n".join(lines)).headings
    start = next((h for h in headings if h.anchor == anchor), None)
    if start is None:
        raise HarnessError(f"{path}: no section #{anchor} (cited as {reference!r})")
    end = next(
        (h.line for h in headings if h.line > start.line and h.level <= start.level),
        len(lines) + 1,
    )
    return "\n".join(lines[start.line - 1 : end - 1])


def build_prompt(sections: list[Section], references_dir: Path) -> str:
    parts: list[str] = []
    for section in sections:
        parts += [
            f"## references/{section.reference}",
            "",
            f"Current text of the section ({section.path}):",
            "",
            "<section>",
            section_text(references_dir, section.reference),
            "</section>",
            "",
            f"Failing trials that relied on it ({len(section.failures)} in all):",
            "",
        ]
        for record in section.failures[:TRIALS_PER_SECTION]:
            read = section.was_read(record)
            seen = "no skill" if read is None else "read it" if read else "did not read it"
            parts.append(f"- task {record.spec.task_id}, arm {record.spec.arm} ({seen}):")
            parts += [f"  {line}" for line in evidence(record)]
        parts.append("")
    return "\n".join(parts)


def extract_diff(reply: str) -> str | None:
    blocks = _DIFF_BLOCK.findall(reply)
    return "".join(blocks) if blocks else None


def propose_patch(
    sections: list[Section],
    references_dir: Path,
    model: str,
    *,
    base_url: str | None = None,
) -> tuple[str, bool]:
    """Ask ``model`` for a patch; return the draft and whether it held a diff block."""
    prompt = build_prompt(sections, references_dir)
    try:
        client = anthropic.Anthropic(base_url=base_url, max_retries=2, timeout=600.0)
        message = client.messages.create(
            model=model,
            max_tokens=MAX_TOKENS,
            system=SYSTEM,
            messages=[{"role": "user", "content": prompt}],
        )
    except anthropic.AnthropicError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise HarnessError(f"--propose: the Messages API call failed: {first}") from None
    except TypeError as exc:  # how this SDK reports that no credential was found
        if "authentication" not in str(exc):
            raise
        raise HarnessError("--propose: no API credentials (set ANTHROPIC_API_KEY)") from None
    reply = "".join(b.text for b in message.content if isinstance(b, TextBlock))
    diff = extract_diff(reply)
    return (diff, True) if diff is not None else (reply, False)
