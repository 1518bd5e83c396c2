"""The YAML file as a tree of plain values that remember their line numbers.

Every scalar stays a string (or None for an empty/null value): the schema, not YAML 1.1's
implicit typing, decides what is a number, a date or a time, so `17:00` is never the integer
1020 and the language code `no` is never False. Two readers build the same tree: the
reference one on PyYAML's node API, and a fast one for the plain block style the schema
documents (see fastyaml.py), which hands anything else to the reference reader. The loader
(loader.py, read_tree) tries the fast one first.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

NULLS = frozenset({"", "~", "null", "Null", "NULL"})


class LMap(dict[str, object]):
    """A mapping with the line of each key, and the keys that appeared twice."""

    __slots__ = ("duplicates", "key_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []  # key, first line, repeated line

    def put(self, key: str, value: object, line: int) -> None:
        if key in self.key_lines:
            self.duplicates.append((key, self.key_lines[key], line))
        self.key_lines[key] = line
        self[key] = value


class LList(list[object]):
    """A sequence with the line of each item."""

    __slots__ = ("item_lines", "line")

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.item_lines: list[int] = []

    def push(self, value: object, line: int) -> None:
        self.item_lines.append(line)
        self.append(value)


@dataclass
class SyntaxProblem(Exception):
    """The text is not YAML; line is 1-based when the parser could tell."""

    line: int | None
    reason: str


def parse_reference(text: str) -> object:
    """PyYAML's composer (all scalars as strings), converted to the located tree."""
    try:
        node = yaml.compose(text, Loader=yaml.CBaseLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SyntaxProblem(mark.line + 1 if mark else None, reason or str(exc)) from None
    except yaml.YAMLError as exc:
        raise SyntaxProblem(None, str(exc)) from None
    return None if node is None else _convert(node, set())


def _convert(node: yaml.Node, seen: set[int]) -> object:
    if isinstance(node, yaml.ScalarNode):
        if node.style in (None, "") and node.value in NULLS:  # plain: "" from the C loader
            return None
        return node.value
    if id(node) in seen:  # an alias that contains itself: YAML allows it, a directory can't
        raise SyntaxProblem(node.start_mark.line + 1, "a recursive alias")
    seen = seen | {id(node)}
    line = node.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode):
        seq = LList(line)
        for item in node.value:
            seq.push(_convert(item, seen), item.start_mark.line + 1)
        return seq
    mapping = LMap(line)
    for key_node, value_node in node.value:
        key = _convert(key_node, seen)
        if not isinstance(key, str):
            raise SyntaxProblem(key_node.start_mark.line + 1, "a key must be a plain word")
        mapping.put(key, _convert(value_node, seen), key_node.start_mark.line + 1)
    return mapping
