"""The documentation's shape stays true: a short README that maps the docs/ pages, links that a
reader of the repository can open, a configuration page that names exactly the environment
variables settings.py reads, and example capabilities that validate.

The variables are taken from settings.py's own code (every string constant there that looks like
an environment name: ``environ.get("MCP_AUTH")``, ``MCP_OAUTH_CLIENT``, the prefixes of the
``CAPABILITY_SECRET_<NAME>`` and ``UPSTREAM_BASE_URI_<NAMESPACE>`` families), so a variable
added there without a row in docs/configuration.md fails here, and so does a row for one it
does not read.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from naftiko_lambda.cli import main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
SETTINGS = ROOT / "layers" / "runtime" / "naftiko_lambda" / "settings.py"
PACKAGE = SETTINGS.parent
CONFIGURATION = DOCS / "configuration.md"
README_LIMIT = 8000

LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`+[^`\n]*`+")
HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*#*[ \t]*$", re.MULTILINE)
ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+_?")
"""An environment variable's name as settings.py writes it; one ending in ``_`` is a family's prefix."""
DOCUMENTED = re.compile(r"`([A-Z][A-Z0-9_]*)(<[A-Z]+>)?`")
"""A backticked name in a table's first column; ``PREFIX_<NAME>`` documents a family."""
READ = re.compile(r"""(?:environ\.get|environ\[|getenv)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
"""An environment variable read by its literal name (``os.environ.get("X")``, ``environ["X"]``)."""


def pages() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md")), ROOT / "bench" / "README.md"]


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code: links in code are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def links(page: Path) -> list[str]:
    return LINK.findall(prose(page.read_text(encoding="utf-8")))


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def section_table(page: Path, title: str) -> list[list[str]]:
    """The rows (cells) of the first table under the ``## title`` heading of ``page``."""
    text = page.read_text(encoding="utf-8")
    match = re.search(rf"^## {re.escape(title)}[ \t]*\n(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"{page.name} has no '## {title}' section"
    rows = [line.strip() for line in match.group(1).splitlines() if line.strip().startswith("|")]
    cells = [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows]
    return [row for row in cells[2:] if row]  # past the header and its --- line


def documented(rows: list[list[str]]) -> tuple[set[str], set[str]]:
    """(the plain names, the family prefixes) in the first column of ``rows``."""
    names, families = set(), set()
    for row in rows:
        for name, family in DOCUMENTED.findall(row[0]):
            (families if family else names).add(name)
    return names, families


def settings_variables() -> tuple[set[str], set[str]]:
    """(the names, the family prefixes) settings.py reads: every str constant of its code that
    is an environment name (docstrings are prose, never one whole name)."""
    names, families = set(), set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENV_NAME.fullmatch(node.value):
            (families if node.value.endswith("_") else names).add(node.value)
    return names, families


def test_the_readme_is_short() -> None:
    size = len(README.read_bytes())
    assert size <= README_LIMIT, f"README.md is {size} bytes: move detail into docs/ (limit {README_LIMIT})"


def test_the_readme_maps_every_docs_page() -> None:
    linked = {(README.parent / target.split("#")[0]).resolve() for target in links(README)}
    missing = [p.name for p in sorted(DOCS.glob("*.md")) if p.resolve() not in linked]
    assert not missing, f"README.md does not link to docs/{missing}"


@pytest.mark.parametrize("page", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_opens_in_the_repository(page: Path) -> None:
    assert page.is_file(), f"{page.relative_to(ROOT)} is missing"
    broken = []
    for target in links(page):
        if re.match(r"(https?|mailto):", target):
            continue
        if "../shared" in target or target.startswith("/") or re.match(r"[a-z][a-z0-9+.-]*:", target):
            broken.append(f"{target}: outside the repository")
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.is_relative_to(ROOT) or not file.exists():
            broken.append(f"{target}: no such file in the repository")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(f"{target}: {file.name} has no heading #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_configuration_page_names_exactly_what_settings_reads() -> None:
    names, families = settings_variables()
    assert len(names) >= 20 and families, "settings.py's variables were not found: has its shape changed?"
    doc_names, doc_families = documented(section_table(CONFIGURATION, "Runtime variables"))
    assert doc_names - names == set(), "docs/configuration.md lists variables settings.py does not read"
    assert names - doc_names == set(), "settings.py reads variables docs/configuration.md does not list"
    assert doc_families == families, "the CAPABILITY_SECRET_<NAME>-style families differ"


def test_variables_read_outside_settings_are_documented_and_real() -> None:
    """The runtime's other reads (Powertools' service name, Lambda's init type, the importer's
    SOURCE_DATE_EPOCH) are on the page too, and what the page lists beside them is read somewhere."""
    listed, _ = documented(section_table(CONFIGURATION, "Runtime variables"))
    elsewhere, _ = documented(section_table(CONFIGURATION, "Read elsewhere"))
    sources = [p for p in PACKAGE.rglob("*.py") if p != SETTINGS]
    read = {name for p in sources for name in READ.findall(p.read_text(encoding="utf-8"))}
    assert read - listed - elsewhere == set(), "the package reads variables docs/configuration.md does not list"
    around = [*sources, ROOT / "template.yaml", ROOT / "dev", *ROOT.glob("*/Makefile"), *ROOT.glob("*/*/Makefile")]
    text = "\n".join(p.read_text(encoding="utf-8") for p in around)
    unread = sorted(name for name in elsewhere if not re.search(rf"\b{name}\b", text))
    assert not unread, f"docs/configuration.md lists {unread}, which nothing here reads or sets"


def yaml_blocks(page: Path) -> list[str]:
    return re.findall(r"^```yaml\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize(
    ("page", "strict"),
    [(README, True), (DOCS / "capability-format.md", True), (DOCS / "signing.md", False)],
    ids=["README.md", "capability-format.md", "signing.md"],
)
def test_the_example_capabilities_validate(
    page: Path, strict: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every yaml block that is a whole capability (it opens with its version) is valid;
    signing.md's only with the schema's note that it does not list oauth1."""
    examples = [block for block in yaml_blocks(page) if block.startswith(("naftiko:", "ikanos:"))]
    assert examples, f"{page.name} has no example capability"
    for number, block in enumerate(examples):
        file = tmp_path / f"example{number}.yaml"
        file.write_text(block, encoding="utf-8")
        code = main(["validate", *(["--strict"] if strict else []), str(file)])
        assert code == 0, f"{page.name}, example {number + 1}:\n{capsys.readouterr().out}"
