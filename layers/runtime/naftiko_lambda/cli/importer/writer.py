"""Capability mapping -> YAML text: the warnings as comments on top, keys in the mapping's order (pure).

The same mapping always gives the same bytes: keys keep their insertion order (never sorted),
shared sub-mappings are written out in full (no ``&anchors``), multi-line descriptions use
literal blocks, and lines wrap at ``WIDTH``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from .issues import ImportIssue

WIDTH = 120
"""Characters per line before long scalars wrap (the seeds' width)."""


# libyaml's emitter when there is one: the same text (the tests compare) in a quarter of the time.
class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: Any, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    node: yaml.ScalarNode = dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)
    return node


_Dumper.add_representer(str, _text)


def render(mapping: Mapping[str, Any], header: Sequence[str], issues: Sequence[ImportIssue]) -> str:
    """The file's text: ``header`` lines and one comment line per warning, then the YAML."""
    # The document's text (its title, version) may not end the comment and start YAML of its own.
    lines = [f"# {line[: len(line) - len(line.lstrip())]}{_one_line(line)}".rstrip() for line in header]
    if issues:
        lines.append(f"# {len(issues)} warning{'s' if len(issues) != 1 else ''} (JSON pointers into the source):")
        lines.extend(f"#   {_one_line(str(issue))}" for issue in issues)
    body = yaml.dump(dict(mapping), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=WIDTH)
    return "\n".join(lines) + ("\n" if lines else "") + body


def _one_line(text: str) -> str:
    """``text`` on one line: every run of white space (line breaks, \\u2028 ...) is one space, and
    no control character is left."""
    return " ".join("".join(c if c.isprintable() or c.isspace() else " " for c in text).split())
