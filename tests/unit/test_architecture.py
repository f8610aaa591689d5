"""The house's rule, kept by its imports: every dependency points down the flow (docs/architecture.md).

    cli/                    may use anything
    exposes/   settings.py  the adapters and the entries' settings
    runner/    credentials  the runner; bind keys -> secrets
    consumes/               building, sending and decoding upstream requests
    capability/             file -> model
    errors, deadline, observability, addresses, documents   the ground floor

Read from the code (every import, module level or deferred), not from a picture.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "layers" / "runtime" / "naftiko_lambda"
GROUND = {"errors", "deadline", "observability", "addresses", "documents"}
ALLOWED = {
    "ground": {"ground"},
    "capability": {"ground", "capability"},
    "consumes": {"ground", "capability", "consumes"},
    "credentials": {"ground", "capability", "consumes", "credentials"},
    "runner": {"ground", "capability", "consumes", "runner"},
    "settings": {"ground", "capability", "consumes", "credentials", "runner", "settings"},
    "exposes": {"ground", "capability", "runner", "credentials", "exposes", "entries"},
    # an entry drops every cache after a SnapStart restore through the package's public reset_caches
    "entries": {"ground", "capability", "runner", "credentials", "exposes", "entries", "settings", "face"},
    "cli": {"ground", "capability", "consumes", "credentials", "runner", "exposes", "entries", "settings", "cli"},
    "face": {"ground", "capability", "consumes", "credentials", "runner", "exposes", "entries", "settings"},
}
ENTRIES = {"exposes.lambda_entry", "exposes.rest.handler", "exposes.mcp.handler"}
"""The Lambda entries: the only modules of exposes/ that read settings."""


def _room(module: str) -> str:
    """The part of the house a module (``consumes.request``, dotted below naftiko_lambda) is in."""
    if module in ENTRIES:
        return "entries"
    head = module.split(".")[0]
    if head in GROUND:
        return "ground"
    return head or "face"


def _module(file: Path) -> str:
    parts = list(file.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(file: Path) -> set[str]:
    """Every module of the package ``file`` imports (module level or deferred), dotted."""
    module = _module(file)
    package = module.split(".") if file.name == "__init__.py" else module.split(".")[:-1]
    package = [p for p in package if p]
    found: set[str] = set()
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - node.level + 1]
            target = ".".join([*base, *([node.module] if node.module else [])])
            if node.module:
                found.add(target)
            else:  # ``from .. import x``: a module of that package, or a name its face holds
                for alias in node.names:
                    below = PACKAGE.joinpath(*base, alias.name)
                    is_module = below.with_suffix(".py").exists() or below.is_dir()
                    found.add(".".join([*base, alias.name]) if is_module else ".".join(base))
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("naftiko_lambda"):
            found.add((node.module or "").removeprefix("naftiko_lambda").lstrip("."))
        elif isinstance(node, ast.Import):
            found |= {
                a.name.removeprefix("naftiko_lambda.") for a in node.names if a.name.startswith("naftiko_lambda.")
            }
    return found


def _rows() -> list[tuple[str, str]]:
    """(importing module, imported module) for every import of the package."""
    return [(_module(f), target) for f in sorted(PACKAGE.rglob("*.py")) for target in sorted(_imports(f))]


def test_every_import_points_down_the_flow() -> None:
    wrong = [
        f"{mine} ({_room(mine)}) imports {target} ({_room(target)})"
        for mine, target in _rows()
        if _room(target) not in ALLOWED[_room(mine)]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    ("room", "never"),
    [
        ("exposes", "consumes"),
        ("entries", "consumes"),
        ("settings", "exposes"),
        ("runner", "exposes"),
        ("consumes", "runner"),
        ("capability", "consumes"),
    ],
)
def test_the_rules_the_issue_names(room: str, never: str) -> None:
    assert [(mine, target) for mine, target in _rows() if _room(mine) == room and _room(target) == never] == []


def test_the_reader_sees_the_imports() -> None:
    """The check can fail: it finds the imports it judges."""
    rows = set(_rows())
    assert ("runner.steps", "consumes.request") in rows and ("exposes.rest.endpoint", "runner.runtime") in rows
    assert ("settings", "runner.runtime") in rows and ("cli.serve", "exposes.lambda_entry") in rows
