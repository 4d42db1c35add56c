"""The little Markdown the lint needs: fenced code blocks, headings, GitHub anchors and links.

Line numbers are 1-based and refer to the Markdown file, so findings point at the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?[ \t]*$")
_CLOSING_HASHES = re.compile(r"(?:^|[ \t]+)#+[ \t]*$")
_INLINE_LINK = re.compile(
    r"!?\[(?P<text>(?:[^\[\]]|\[[^\[\]]*\])*)\]\((?P<target>[^()\s]*(?:\([^()]*\)[^()\s]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_ANGLE_LINK = re.compile(
    r"!?\[(?P<text>[^\]]*)\]\(<(?P<target>[^>]*)>(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_REF_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(?P<target>[^\s>]+)>?")
_CODE_SPAN = re.compile(r"(`+)(?:.+?)\1")
_SLUG_DROP = re.compile(r"[^\w\- ]", re.UNICODE)


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block. ``fence_line`` is the line of the opening fence."""

    info: str
    fence_line: int
    code: str
    closed: bool

    @property
    def language(self) -> str:
        words = self.info.split()
        return words[0].lower() if words else ""

    @property
    def is_python(self) -> bool:
        return self.language.startswith("python")

    @property
    def is_complete(self) -> bool:
        return self.language == "python" and "complete" in self.info.split()[1:]

    def md_line(self, code_line: int) -> int:
        """The Markdown line that holds line ``code_line`` (1-based) of the block."""
        return self.fence_line + max(code_line, 1)


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    line: int
    anchor: str


@dataclass(frozen=True)
class Link:
    target: str
    line: int


@dataclass(frozen=True)
class MarkdownDoc:
    lines: list[str]
    blocks: list[CodeBlock]
    headings: list[Heading]
    links: list[Link]

    @property
    def anchors(self) -> set[str]:
        return {h.anchor for h in self.headings}


def split_frontmatter(text: str) -> tuple[str | None, str, int]:
    """Split ``---`` YAML frontmatter from the body.

    Returns (frontmatter or None, body, number of lines before the body).
    """
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "---":
        return None, text, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip("\r\n") in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 1
    return None, text, 0


def heading_text(raw: str) -> str:
    """The rendered text of a heading: inline code, links and emphasis markers removed."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", raw)
    text = re.sub(r"(`+)(.+?)\1", r"\2", text)
    text = re.sub(r"\*+", "", text)
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text) if "`" not in raw else text
    return text.strip()


def github_slug(text: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, each space a hyphen."""
    return _SLUG_DROP.sub("", text.strip().lower()).replace(" ", "-")


def parse(text: str, first_line: int = 1) -> MarkdownDoc:
    """Parse Markdown ``text`` whose first line is line ``first_line`` of its file."""
    lines = text.splitlines()
    blocks: list[CodeBlock] = []
    headings: list[Heading] = []
    links: list[Link] = []
    seen: dict[str, int] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        number = first_line + index
        fence = _FENCE.match(line)
        if fence and not (fence["fence"][0] == "`" and "`" in fence["info"]):
            marker = fence["fence"]
            indent = len(fence["indent"])
            body: list[str] = []
            closed = False
            index += 1
            while index < len(lines):
                candidate = lines[index]
                stripped = candidate.strip()
                if stripped.startswith(marker[0] * len(marker)) and set(stripped) == {marker[0]}:
                    closed = True
                    break
                body.append(_strip_indent(candidate, indent))
                index += 1
            code = "\n".join(body) + ("\n" if body else "")
            blocks.append(CodeBlock(fence["info"].strip(), number, code, closed))
            index += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            raw = _CLOSING_HASHES.sub("", heading["text"] or "")
            rendered = heading_text(raw)
            slug = github_slug(rendered)
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchor = slug if count == 0 else f"{slug}-{count}"
            headings.append(Heading(len(heading["hashes"]), rendered, number, anchor))
        links.extend(Link(target, number) for target in _links_in(line))
        index += 1
    return MarkdownDoc(lines, blocks, headings, links)


def _strip_indent(line: str, indent: int) -> str:
    removable = len(line) - len(line.lstrip(" "))
    return line[min(indent, removable) :]


def _links_in(line: str) -> list[str]:
    definition = _REF_DEFINITION.match(line)
    if definition:
        return [definition["target"]]
    visible = _CODE_SPAN.sub(lambda m: " " * len(m.group(0)), line)
    targets = [m["target"] for m in _ANGLE_LINK.finditer(visible)]
    targets.extend(m["target"] for m in _INLINE_LINK.finditer(visible))
    return targets
