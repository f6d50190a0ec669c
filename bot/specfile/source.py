"""YAML read with the line of every value, so that each problem can point at its line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """Safe YAML in which dates and times stay text: the programme's times are local to the
    event, and the checker reads them itself."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class SourceError(Exception):
    def __init__(self, line: int | None, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass
class Source:
    data: Any
    lines: dict[Path, int] = field(default_factory=dict)
    duplicates: list[Path] = field(default_factory=list)

    def line_of(self, path: Path) -> int | None:
        """The line of the value at `path`, or of its nearest enclosing value."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


def parse(text: str) -> Source:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise SourceError(line, f"{error.problem or error}") from error
    if root is None:
        return Source(data=None)
    source = Source(data=None)
    constructor = _Loader("")
    source.data = _build(root, (), source, constructor)
    return source


def _build(node: yaml.Node, path: Path, source: Source, constructor: _Loader) -> Any:
    source.lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = constructor.construct_object(key_node)
            key = str(key) if not isinstance(key, str) else key
            if key in mapping:
                source.duplicates.append((*path, key))
            mapping[key] = _build(value_node, (*path, key), source, constructor)
        return mapping
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(item, (*path, index), source, constructor)
            for index, item in enumerate(node.value)
        ]
    return constructor.construct_object(node)
