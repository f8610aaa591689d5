"""Issue 20: the reference's own beta4 fixtures (``../shared/ikanos-beta4``): which load, which are
shared section files, which are refused and why. The table is the report the issue asks for; a
change in any verdict fails here and is decided on purpose.

Refused on purpose (negative fixtures of the reference, or what cannot run on Lambda): an unknown
``ref``, an aggregate without a namespace, imports of files that are not there or of the folder,
an import without ``import``, hints that contradict a flow's semantics (the reference only warns;
this runtime refuses a file that says two things, as it does for alpha2), reverse tunnels.
Loaded with a part left out ("unserved", named): control ports, Avro and Protobuf answers, a
call's outputs written as a map, calls to operations that do not exist, an operation with
nothing to run.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from naftiko_lambda.capability.files import is_capability_file, read_raw
from naftiko_lambda.capability.load import inspect_capability
from naftiko_lambda.cli import main
from naftiko_lambda.errors import SpecError

from ..conftest import ROOT

pytestmark = pytest.mark.corpus
FIXTURES = ROOT.parent / "shared" / "ikanos-beta4" / "modules"
EXPECTED = {
    "ikanos-engine/src/test/resources/aggregates/aggregate-basic.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/aggregates/aggregate-hints-override.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/aggregates/aggregate-invalid-ref.yaml": (
        "refused",
        "ref 'unknown.nonexistent' names no aggregate function (known",
    ),
    "ikanos-engine/src/test/resources/aggregates/aggregate-shared-mock.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/aggregates/aggregate-step-with-namespace.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/baseuri-trailing-slash-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/control/control-capability.yaml": (
        "loads",
        "a control port (health, metrics, logs, reload) nee",
    ),
    "ikanos-engine/src/test/resources/control/control-observability-disabled.yaml": (
        "loads",
        "a control port (health, metrics, logs, reload) nee",
    ),
    "ikanos-engine/src/test/resources/control/control-scripting-capability.yaml": (
        "loads",
        "a control port (health, metrics, logs, reload) nee",
    ),
    "ikanos-engine/src/test/resources/embedding/embedding-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/formats/avro-capability.yaml": ("loads", "output format 'avro' is not supported"),
    "ikanos-engine/src/test/resources/formats/csv-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/formats/html-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/formats/markdown-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/formats/proto-capability.yaml": (
        "loads",
        "output format 'protobuf' is not supported",
    ),
    "ikanos-engine/src/test/resources/formats/xml-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/formats/yaml-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/http/http-body-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/http/http-forward-value-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/http/http-header-query-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/imports/aggregates/shared.aggregates.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/binds/shared.binds.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/consumes/shared-clients.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/consumes/shared.consumes.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/exposes/shared-servers.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/exposes/shared.exposes.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/invalid/empty-section.consumes.yml": ("shared", ""),
    "ikanos-engine/src/test/resources/imports/invalid/malformed.yml": ("unreadable", "invalid YAML"),
    "ikanos-engine/src/test/resources/mcp/mcp-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/mcp/mcp-hints-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/mcp/mcp-resources-prompts-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/mcp/mcp-stdio-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/mcp/mcp-step-with-namespace-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/mcp/mcp-tool-handler-with-mustache-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/nested-object-output-capability.yaml": ("loads", ""),
    "ikanos-engine/src/test/resources/observability/observability-capability.yaml": (
        "loads",
        "a control port (health, metrics, logs, reload) nee",
    ),
    "ikanos-engine/src/test/resources/observability/observability-disabled.yaml": (
        "loads",
        "a control port (health, metrics, logs, reload) nee",
    ),
    "ikanos-engine/src/test/resources/register.capability.yml": ("loads", ""),
    "ikanos-engine/src/test/resources/skill-capability.yaml": ("loads", ""),
    "ikanos-spec/src/main/resources/schemas/examples/capability-binary-content.yml": ("loads", ""),
    "ikanos-spec/src/main/resources/schemas/examples/reverse-tunnel-ziti.yml": (
        "refused",
        "a reverse tunnel (ziti) cannot run on AWS Lambda: it needs a",
    ),
    "ikanos-spec/src/test/resources/capabilities/capability-spurious-name.yml": ("loads", "must be a list, not dict"),
    "ikanos-spec/src/test/resources/capabilities/capability-valid.yml": ("loads", ""),
    "ikanos-spec/src/test/resources/imports/aggregate-duplicate-function-name.yaml": (
        "loads",
        "call target 'weather-api.get-forecast' does not ex",
    ),
    "ikanos-spec/src/test/resources/imports/aggregates-namespace-missing.yaml": ("shared", ""),
    "ikanos-spec/src/test/resources/imports/capability-aggregates-namespace-missing.yaml": (
        "refused",
        "an aggregate needs a namespace",
    ),
    "ikanos-spec/src/test/resources/imports/capability-exposes-namespace-missing.yaml": (
        "loads",
        "nothing to run: give a call, steps, a ref, or outp",
    ),
    "ikanos-spec/src/test/resources/imports/exposes-namespace-missing.yaml": ("shared", ""),
    "ikanos-spec/src/test/resources/imports/import-duplicate-alias.yaml": (
        "refused",
        "'./weather-api.yml' cannot be read: No such file or director",
    ),
    "ikanos-spec/src/test/resources/imports/import-from-self.yaml": (
        "refused",
        "'.' is a folder: name the file to import from",
    ),
    "ikanos-spec/src/test/resources/imports/import-missing-fields.yaml": (
        "refused",
        "an imported consumes entry needs `import` (a namespace) and ",
    ),
    "ikanos-spec/src/test/resources/imports/standalone-with-imports.yaml": ("shared", ""),
    "ikanos-spec/src/test/resources/rules/spectral-semantics-consistent.yaml": ("loads", ""),
    "ikanos-spec/src/test/resources/rules/spectral-semantics-inconsistent.yaml": (
        "refused",
        "inconsistent with weather.get-forecast: hints say it modifie",
    ),
    "ikanos-spec/src/test/resources/rules/spectral-tunnel-fallback-direct-public.yaml": ("loads", ""),
    "ikanos-spec/src/test/resources/rules/spectral-tunnel-identity-bound.yaml": (
        "refused",
        "a reverse tunnel (ziti) cannot run on AWS Lambda: it needs a",
    ),
    "ikanos-spec/src/test/resources/rules/spectral-tunnel-identity-unbound.yaml": (
        "refused",
        "a reverse tunnel (ziti) cannot run on AWS Lambda: it needs a",
    ),
    "ikanos-spec/src/test/resources/skill-capability.yaml": ("loads", ""),
}
"""file -> (verdict, the first refusal or the first part left out, as a prefix)."""


@pytest.fixture(autouse=True)
def _fixtures_present() -> None:
    if not FIXTURES.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"the beta4 fixtures are missing at {FIXTURES}: CI must run them")
        pytest.skip("the beta4 fixtures are not beside the project")


def _verdict(file: Path) -> tuple[str, str]:
    try:
        read_raw(file)
    except SpecError:
        return "unreadable", "invalid YAML"
    if not is_capability_file(file):
        return "shared", ""
    try:
        capability, issues = inspect_capability(file)
    except SpecError as exc:
        return "refused", exc.message
    if capability is None:
        return "refused", next(i.message for i in issues if i.severity == "error")
    unserved = [i.message for i in issues if i.severity == "unserved"]
    return "loads", unserved[0] if unserved else ""


def test_every_beta4_fixture_has_its_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())
    found = {}
    for file in files:
        relative = str(file.relative_to(FIXTURES))
        try:
            raw = read_raw(file)
            beta4 = isinstance(raw, dict) and "ikanos" in raw
        except SpecError:
            beta4 = relative in EXPECTED  # the unreadable one
        if beta4:
            found[relative] = _verdict(file)
    assert set(found) == set(EXPECTED)
    for relative, (verdict, reason) in found.items():
        expected_verdict, prefix = EXPECTED[relative]
        assert (verdict, reason[: len(prefix)]) == (expected_verdict, prefix), relative
    with capsys.disabled():
        counts = {v: sum(1 for f in found.values() if f[0] == v) for v in ("loads", "shared", "refused", "unreadable")}
        print(f"\nbeta4 fixtures: {len(found)} ikanos files: {counts}")


@pytest.mark.parametrize(
    ("relative", "ok"),
    [
        ("ikanos-engine/src/test/resources/imports/consumes/shared.consumes.yml", True),
        ("ikanos-engine/src/test/resources/imports/binds/shared.binds.yml", True),
        ("ikanos-engine/src/test/resources/imports/invalid/empty-section.consumes.yml", False),
        ("ikanos-spec/src/test/resources/imports/standalone-with-imports.yaml", False),
    ],
)
def test_validate_judges_shared_section_files(relative: str, ok: bool) -> None:
    assert (main(["validate", str(FIXTURES / relative)]) == 0) is ok
