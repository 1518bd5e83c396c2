"""A fast reader for the block style the directory schema documents, and nothing more.

PyYAML builds a Python object per event and per mark: a 10,000-entry directory takes it
several seconds on a small server. This reader handles block mappings and sequences,
one-line plain or quoted scalars, one-line flow lists and mappings of scalars, and comments.
Anything else (block scalars, anchors, tags, multi-line scalars, escapes, odd indentation)
raises Unsupported, and the caller falls back to PyYAML: it never guesses. A property test
checks that both readers build the same tree, line numbers included.
"""

from __future__ import annotations

import re

from flows.directory.tree import NULLS, LList, LMap


class Unsupported(Exception):
    """The text uses YAML this reader does not handle; use the reference reader."""


_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_ ,./-]*?) *:(?: +|$)")
_FORBIDDEN = re.compile(
    "[\t\r\\\\\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]"
)
_PLAIN_START_BAD = frozenset("&*!|>%@`?:,[]{}#'\"")
_FLOW_PLAIN_BAD = re.compile(r"[\[\]{},]|: |:$| #|^[-?:](?: |$)|^[&*!|>%@`#'\"]")

Line = tuple[int, int, str]  # 1-based line number, indent, content (no indent, no trailing blank)


def parse_fast(text: str) -> object:
    """Parse a document; raise Unsupported for anything outside the documented style."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n")
    if _FORBIDDEN.search(text):
        raise Unsupported("tabs, carriage returns, backslashes or control characters")
    lines = _significant_lines(text)
    if not lines:
        return None
    if lines[0][1] != 0:
        raise Unsupported("indented document")
    reader = _Reader(lines)
    value = reader.block(0, 0)
    if reader.pos != len(lines):
        raise Unsupported("unexpected indentation")
    return value


def _significant_lines(text: str) -> list[Line]:
    out: list[Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.lstrip(" ")
        if not content or content[0] == "#":
            continue
        content = content.rstrip(" ")
        indent = len(raw) - len(raw.lstrip(" "))
        if indent == 0 and content[:3] in ("---", "...") and content[3:4] in ("", " "):
            if out or content != "---":
                raise Unsupported("document markers")
            continue
        if indent == 0 and content[0] == "%":
            raise Unsupported("directives")
        out.append((number, indent, content))
    return out


class _Reader:
    def __init__(self, lines: list[Line]) -> None:
        self.lines = lines
        self.pos = 0

    def block(self, pos: int, indent: int) -> object:
        self.pos = pos
        content = self.lines[pos][2]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        return self.mapping(indent)

    def nested(self, number: int, parent_indent: int, allow_same_indent_seq: bool) -> object:
        """The value of `key:` or `-` left empty on its line: a deeper block, or nothing."""
        if self.pos < len(self.lines):
            _, indent, content = self.lines[self.pos]
            if indent > parent_indent:
                return self.block(self.pos, indent)
            if (
                allow_same_indent_seq
                and indent == parent_indent
                and (content == "-" or content.startswith("- "))
            ):
                return self.sequence(indent)
        return None

    def mapping(self, indent: int) -> LMap:
        lines = self.lines
        result = LMap(lines[self.pos][0])
        while self.pos < len(lines):
            number, line_indent, content = lines[self.pos]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise Unsupported("unexpected indentation")
            if content == "-" or content.startswith("- "):
                break  # a sequence at this indent belongs to an outer mapping's key
            match = _KEY.match(content)
            if match is None:
                raise Unsupported("not a simple key")
            key = match.group(1)
            if key in NULLS:
                raise Unsupported("a null key")
            rest = content[match.end() :]
            self.pos += 1
            if not rest or rest[0] == "#":
                value = self.nested(number, indent, allow_same_indent_seq=True)
            else:
                value = scalar_or_flow(rest, number)
                self._no_continuation(indent)
            result.put(key, value, number)
        return result

    def sequence(self, indent: int) -> LList:
        lines = self.lines
        result = LList(lines[self.pos][0])
        while self.pos < len(lines):
            number, line_indent, content = lines[self.pos]
            if line_indent < indent:
                break
            if line_indent > indent:
                raise Unsupported("unexpected indentation")
            if not (content == "-" or content.startswith("- ")):
                break
            rest = content[1:].lstrip(" ")
            if not rest or rest[0] == "#":
                self.pos += 1
                item = self.nested(number, indent, allow_same_indent_seq=False)
                result.push(item, number if item is None else _line_of(item))
                continue
            if rest == "-" or rest.startswith("- "):
                raise Unsupported("nested sequence on one line")
            if _KEY.match(rest):
                inner_indent = line_indent + len(content) - len(rest)
                lines[self.pos] = (number, inner_indent, rest)
                result.push(self.mapping(inner_indent), number)
                continue
            self.pos += 1
            result.push(scalar_or_flow(rest, number), number)
            self._no_continuation(indent)
        return result

    def _no_continuation(self, indent: int) -> None:
        if self.pos < len(self.lines) and self.lines[self.pos][1] > indent:
            raise Unsupported("a value continued on the next line")


def _line_of(value: object) -> int:
    assert isinstance(value, LMap | LList)
    return value.line


def scalar_or_flow(text: str, number: int) -> object:
    """A value written on the rest of one line."""
    first = text[0]
    if first == "[":
        return _flow_sequence(text, number)
    if first == "{":
        return _flow_mapping(text, number)
    if first in ("'", '"'):
        value, rest = _quoted(text)
        if not _only_comment(rest):
            raise Unsupported("text after a quoted string")
        return value
    return _plain(text)


def _only_comment(rest: str) -> bool:
    stripped = rest.lstrip(" ")
    return not stripped or (stripped[0] == "#" and stripped != rest)


def _plain(text: str) -> str | None:
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut].rstrip(" ")
    first = text[0]
    if first in _PLAIN_START_BAD or (first == "-" and text[1:2] in ("", " ")):
        raise Unsupported("indicator at the start of a plain scalar")
    if ": " in text or text.endswith(":"):
        raise Unsupported("a colon inside a plain scalar")
    return None if text in NULLS else text


def _quoted(text: str) -> tuple[str, str]:
    quote = text[0]
    if quote == '"':
        end = text.find('"', 1)
        if end < 0:
            raise Unsupported("unterminated string")
        return text[1:end], text[end + 1 :]
    parts = []
    start = 1
    while True:
        end = text.find("'", start)
        if end < 0:
            raise Unsupported("unterminated string")
        parts.append(text[start:end])
        if text[end + 1 : end + 2] == "'":
            parts.append("'")
            start = end + 2
            continue
        return "".join(parts), text[end + 1 :]


def _flow_items(text: str, close: str) -> list[str]:
    """Split `[a, 'b, c', d]` into raw items; only scalars may be inside."""
    items: list[str] = []
    pos = 1
    n = len(text)
    while True:
        while pos < n and text[pos] == " ":
            pos += 1
        if pos >= n:
            raise Unsupported("flow collection continued on the next line")
        if text[pos] == close and not items:
            break
        if text[pos] in ("'", '"'):
            _, rest = _quoted(text[pos:])
            stop = n - len(rest)
            items.append(text[pos:stop])
            pos = stop
        else:
            stop = pos
            while stop < n and text[stop] not in ",[]{}":
                stop += 1
            items.append(text[pos:stop].rstrip(" "))
            pos = stop
        while pos < n and text[pos] == " ":
            pos += 1
        if pos >= n:
            raise Unsupported("flow collection continued on the next line")
        if text[pos] == ",":
            pos += 1
            continue
        if text[pos] == close:
            break
        raise Unsupported("nested flow collection")
    if not _only_comment(text[pos + 1 :]):
        raise Unsupported("text after a flow collection")
    if any(not item for item in items):
        raise Unsupported("empty flow item")
    return items


def _flow_scalar(item: str) -> str | None:
    if item[0] in ("'", '"'):
        value, rest = _quoted(item)
        if rest:
            raise Unsupported("text after a quoted string")
        return value
    if _FLOW_PLAIN_BAD.search(item):
        raise Unsupported("flow scalar with indicators")
    return None if item in NULLS else item


def _flow_sequence(text: str, number: int) -> LList:
    result = LList(number)
    for item in _flow_items(text, "]"):
        result.push(_flow_scalar(item), number)
    return result


def _flow_mapping(text: str, number: int) -> LMap:
    result = LMap(number)
    for item in _flow_items(text, "}"):
        key, sep, value = item.partition(": ")
        if not sep or key in NULLS or not _KEY.fullmatch(key + ": "):
            raise Unsupported("flow mapping item without a simple key")
        result.put(key, _flow_scalar(value.lstrip(" ")), number)
    return result
