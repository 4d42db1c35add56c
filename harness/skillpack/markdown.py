"""The Markdown the lint needs (fenced code blocks, headings, GitHub anchors and links), read
with markdown-it-py, a CommonMark parser (GitHub's tables enabled) with source line maps.

Line numbers are 1-based and refer to the Markdown file, so findings point at the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token

_SLUG_DROP = re.compile(r"[^\w\- ]", re.UNICODE)
_PARSER = MarkdownIt("commonmark").enable("table")


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


def github_slug(text: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, each space a hyphen."""
    return _SLUG_DROP.sub("", text.strip().lower()).replace(" ", "-")


def _rendered(inline: Token) -> str:
    """A heading's text as rendered: code spans keep their content, markup goes."""
    parts = [
        child.content
        for child in inline.children or []
        if child.type in ("text", "code_inline", "html_inline")
    ]
    return "".join(parts).strip()


def _closed(lines: list[str], token: Token) -> bool:
    """Whether a fence has its closing marker (an unclosed one runs to the end of the file)."""
    assert token.map is not None
    last = lines[token.map[1] - 1].strip() if token.map[1] - 1 > token.map[0] else ""
    marker = token.markup
    return len(last) >= len(marker) and set(last) == {marker[0]}


def _links(inline: Token, first: int) -> list[Link]:
    """Link and image targets in an inline token, each on its own source line."""
    found: list[Link] = []
    line = first
    for child in inline.children or []:
        if child.type in ("softbreak", "hardbreak"):
            line += 1
        elif child.type == "link_open":
            found.append(Link(unquote(str(child.attrs.get("href", ""))), line))
        elif child.type == "image":
            found.append(Link(unquote(str(child.attrs.get("src", ""))), line))
    return found


def parse(text: str, first_line: int = 1) -> MarkdownDoc:
    """Parse Markdown ``text`` whose first line is line ``first_line`` of its file."""
    lines = text.splitlines()
    blocks: list[CodeBlock] = []
    headings: list[Heading] = []
    links: list[Link] = []
    seen: dict[str, int] = {}
    tokens = _PARSER.parse(text)
    for index, token in enumerate(tokens):
        if token.map is None:
            continue
        number = first_line + token.map[0]
        if token.type == "fence":
            blocks.append(CodeBlock(token.info.strip(), number, token.content,
                                    _closed(lines, token)))  # fmt: skip
        elif token.type == "heading_open":
            rendered = _rendered(tokens[index + 1])
            slug = github_slug(rendered)
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            anchor = slug if count == 0 else f"{slug}-{count}"
            headings.append(Heading(int(token.tag[1]), rendered, number, anchor))
        if token.type == "inline":
            links.extend(_links(token, number))
    return MarkdownDoc(lines, blocks, headings, links)
