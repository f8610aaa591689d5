"""Search mode over the whole corpus: does search_tools find the tool an agent asks for, and how fast.

The bundle: every corpus file that loads, exposes MCP tools and imports nothing, one per
(service, file name) (the dated snapshots of one service collapse to the first), copied into
one folder as ``<service>-<file stem>.yaml`` and compiled as `sam build` compiles it.

1. Recall: QUESTIONS below, each in an agent's words with the tool(s) that answer it, asked of
   the compiled index (exposes/mcp/search.py) and of a naive baseline measured in the same run
   (word overlap between the question and a tool's name and description). A question is answered
   at k when one of its tools is among the first k names. Prints recall@1 and recall@5 for both.
2. Speed: warm searches (every question, median and p95, one process); the first search of a
   cold process (reading the compiled index); and the first tools/list on /mcp of a fresh process
   in list mode and in search mode, alternating run by run (medians, and their ratio).

    python bench/tool_search.py [--runs 7] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent))
from _stats import fresh_interleaved, median  # noqa: E402

CORPUS = ROOT.parent / "shared" / "naftiko-corpus"
TOKEN = "bench-token-0123456789abcdef0123456789"
EVENT = ROOT / "events" / "mcp-tools-list.function-url.json"

QUESTIONS: list[tuple[str, list[tuple[str, str]]]] = [
    ("refund a customer's charge", [("stripe", "create-refund")]),
    ("cancel the payout to our bank account before it goes out", [("stripe", "cancel-payout")]),
    ("fight a chargeback by sending evidence", [("stripe", "update-dispute")]),
    ("show me the disputed payments on stripe", [("stripe", "list-disputes")]),
    ("start collecting a payment from a customer with stripe", [("stripe", "create-payment-intent")]),
    ("open a new bug ticket in the github repository", [("github", "create-issue")]),
    ("put labels on a github issue", [("github", "add-labels")]),
    ("assign a teammate to a github issue", [("github", "add-assignees")]),
    ("create a milestone for the next github release", [("github", "create-milestone")]),
    ("stop people commenting on a github issue", [("github", "lock-issue")]),
    ("silence the datadog alert while we fix the outage", [("datadog", "mute-monitor")]),
    ("declare a new incident in datadog", [("datadog", "create-incident")]),
    ("turn text into embeddings with cloudflare workers ai", [("cloudflare", "ai-create-embeddings")]),
    ("find the nearest vectors in my cloudflare vectorize index", [("cloudflare", "vectorize-query-vectors")]),
    ("run a model on cloudflare ai", [("cloudflare", "ai-execute-model")]),
    ("pause my hugging face inference endpoint so it stops billing", [("hugging-face", "pause-endpoint")]),
    ("tear down a hugging face dedicated endpoint", [("hugging-face", "delete-endpoint")]),
    ("which plants grow natively in a region", [("trefle", "get-plants-in-region")]),
    ("find a plant by its common name", [("trefle", "search-plants")]),
    ("add a new feature flag in flagsmith", [("flagsmith", "createfeature")]),
    ("generate backup bypass codes for a duo user", [("duo-security", "createuserbypasscodes")]),
    ("enroll someone in duo two factor authentication", [("duo-security", "enrolluser")]),
    ("insert rows into a bigquery table", [("google-bigquery", "insertalltabledata")]),
    ("read the rows stored in a bigquery table", [("google-bigquery", "listtabledata")]),
    ("make a new dataset in bigquery", [("google-bigquery", "insertdataset")]),
    ("post a message to a slack channel", [("slack", "post-message")]),
    ("text a customer an sms with twilio", [("twilio", "send-sms")]),
    (
        "check the verification code the user typed in",
        [("twilio", "check-verification"), ("twilio", "verify-check-code")],
    ),
    ("place an outbound phone call with twilio", [("twilio", "make-call")]),
    ("what carrier and line type is this phone number", [("twilio", "lookup-phone-number")]),
    ("set up a twilio video room", [("twilio", "create-room")]),
    ("schedule a zoom meeting for a user", [("zoom", "create-meeting")]),
    ("who joined the zoom meeting", [("zoom", "list-participants")]),
    ("download the recordings of a zoom meeting", [("zoom", "get-recordings")]),
    ("skip to the next song on spotify", [("spotify", "skip-to-next")]),
    ("add songs to my spotify playlist", [("spotify", "add-tracks-to-playlist")]),
    ("suggest tracks similar to an artist I like", [("spotify", "get-recommendations")]),
    ("move a jira ticket to done", [("jira", "do-transition")]),
    ("search jira issues with a jql query", [("jira", "search-issues")]),
    ("leave a comment on a jira issue", [("jira", "add-comment")]),
    ("append content blocks to a notion page", [("notion", "appendblockchildren")]),
    ("query a notion database", [("notion", "querydatabase")]),
    ("transcribe an audio recording into text", [("openai", "audio-create-transcription")]),
    ("draw a picture from a text prompt", [("openai", "images-create")]),
    ("read text out loud as speech audio", [("openai", "audio-create-speech")]),
    ("cancel a paypal subscription", [("paypal", "subscriptions-cancel")]),
    ("put a paypal subscription on hold for now", [("paypal", "subscriptions-suspend")]),
    ("send an sms campaign from salesforce marketing cloud", [("salesforce", "create-sms-send")]),
    ("enroll a contact into a marketing cloud journey", [("salesforce", "fire-journey-event")]),
    ("revoke a gitlab oauth access token", [("gitlab", "revoke-token")]),
    ("retry a failed gitlab webhook delivery", [("gitlab", "resend-webhook-event")]),
    ("add a record to an airtable table", [("airtable", "create-records")]),
    ("what tables and fields does my airtable base have", [("airtable", "get-base-schema")]),
    ("start a conversation with a customer in intercom", [("intercom", "createconversation")]),
    ("cancel a bill job in m3ter", [("m3ter", "cancel-billjob"), ("m3ter", "cancelbilljob")]),
    (
        "report usage records to suger for metering",
        [("suger", "report-usagerecordgroup"), ("suger", "createusagerecordgroups")],
    ),
    ("show the zoom polls of a meeting", [("zoom", "list-polls")]),
    ("get the logs of a hugging face endpoint", [("hugging-face", "get-endpoint-logs")]),
    ("list the open incidents in datadog", [("datadog", "list-incidents")]),
    ("translate a spoken recording into english text", [("openai", "audio-create-translation")]),
]
"""(question, [(service, tool)]): a tool of a capability of that service directory answers it."""

SELECT = """
import json, re, sys
from pathlib import Path
from naftiko_lambda.capability.load import load_capability
from naftiko_lambda.errors import SpecError
corpus = Path(sys.argv[1])
chosen, keys = {}, set()
for file in sorted(p for p in corpus.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
    parts = file.relative_to(corpus).parts
    service = parts[1] if parts[0] == "api-search-capabilities" else parts[0]
    name = f"{service}-{file.stem}".lower()
    key = re.sub("[^a-z0-9]", "", name)  # the folder's rule: one capability per key (files.name_key)
    if key in keys:
        continue
    try:
        capability = load_capability(file)
    except SpecError:
        continue
    if capability.tools and not capability.imports:
        chosen[name] = [str(file), len(capability.tools), service]
        keys.add(key)
print(json.dumps(chosen))
"""

FIRST = """
import json, os, time
t0 = time.perf_counter()
os.environ.update(CAPABILITIES_DIR={folder!r}, MCP_BEARER_TOKENS={token!r}, MCP_TOOL_MODE={mode!r}, POWERTOOLS_LOG_LEVEL="ERROR")
from naftiko_lambda.exposes.mcp.handler import handler
event = json.load(open({event!r}))
event["headers"]["authorization"] = "Bearer {token}"
response = handler(event, None)
assert response["statusCode"] == 200, response
listed = time.perf_counter()
timings = {{"list": (listed - t0) * 1e3}}
if {search!r}:
    event["body"] = json.dumps({{"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {{"name": "search_tools", "arguments": {{"query": "refund a customer's charge"}}}}}})
    response = handler(event, None)
    assert response["statusCode"] == 200 and '"tools"' in response["body"], response["body"][:300]
    timings["first_search"] = (time.perf_counter() - listed) * 1e3
print(json.dumps(timings))
"""


def build_bundle(target: Path) -> dict[str, str]:
    """Copy the bundle into ``target`` and compile it; capability name -> its service."""
    out = subprocess.run([sys.executable, "-c", SELECT, str(CORPUS)], capture_output=True, text=True, check=True)
    chosen = json.loads(out.stdout)
    target.mkdir(parents=True)
    for name, (source, _, _) in chosen.items():
        shutil.copy(source, target / f"{name}.yaml")
    command = [sys.executable, "-m", "naftiko_lambda.cli", "compile", str(target)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    (target / "services.json").write_text(json.dumps({n: s for n, (_, _, s) in chosen.items()}))
    return {n: s for n, (_, _, s) in chosen.items()}


def naive_ranker(listings: dict[str, tuple[str, str]]):  # type: ignore[no-untyped-def]
    """Word overlap between the question and each tool's name and description (the baseline)."""
    split = re.compile(r"[a-z0-9]+")
    words = {
        name: set(split.findall(f"{tool} {description}".lower())) for name, (tool, description) in listings.items()
    }

    def rank(question: str, limit: int) -> list[str]:
        asked = set(split.findall(question.lower()))
        scored = sorted(((len(asked & w), n) for n, w in words.items() if asked & w), key=lambda s: (-s[0], s[1]))
        return [n for _, n in scored[:limit]]

    return rank


def hits(found: list[str], expected: list[tuple[str, str]], services: dict[str, str]) -> bool:
    for name in found:
        capability, _, tool = name.partition("__")
        if any(services.get(capability) == service and tool == wanted for service, wanted in expected):
            return True
    return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build the bundle here and keep it (reused when present)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="naftiko-search-"))
    folder = work / "bundle"
    if (folder / "services.json").is_file():
        services = json.loads((folder / "services.json").read_text())
    else:
        started = time.perf_counter()
        services = build_bundle(folder)
        print(f"bundle: {len(services)} capabilities, built and compiled in {time.perf_counter() - started:.0f} s")
    sys.path.insert(0, str(ROOT / "layers" / "runtime"))
    from naftiko_lambda.exposes.mcp.bundle import read_search
    from naftiko_lambda.exposes.mcp.search import SearchIndex

    data = read_search(folder)
    assert data is not None, "no compiled search index"
    index = SearchIndex(data)
    listings = {}
    for listing in (folder / ".naftiko-cache" / "mcp").glob("*-*.json"):
        if listing.name in ("index.json", "summaries.json", "search.json"):
            continue
        capability = listing.stem.rsplit("-", 1)[0]
        for block in json.loads(listing.read_text()):
            for tool, shown in block.items():
                listings.setdefault(f"{capability}__{tool}", (tool, shown.get("description") or ""))
    print(f"index: {len(index.names)} tools; baseline over {len(listings)} listed tools")
    missing = [q for q, expected in QUESTIONS if not any(hits([n], expected, services) for n in index.names)]
    assert not missing, f"questions whose tools are not in the bundle: {missing}"
    naive = naive_ranker(listings)
    rows = []
    for name, rank in (("search index", lambda q, k: index.search(q, k)), ("naive word overlap", naive)):
        at1 = sum(hits(rank(q, 1), e, services) for q, e in QUESTIONS)
        at5 = sum(hits(rank(q, 5), e, services) for q, e in QUESTIONS)
        rows.append((name, at1, at5))
    print(f"\nrecall over {len(QUESTIONS)} questions:")
    for name, at1, at5 in rows:
        print(f"  {name:20s} recall@1 {at1 / len(QUESTIONS):6.1%}   recall@5 {at5 / len(QUESTIONS):6.1%}")
    missed = [q for q, e in QUESTIONS if not hits(index.search(q, 5), e, services)]
    for question in missed:
        print(f"  not in the first 5: {question!r} -> {index.search(question, 3)}")

    timings = []
    for _ in range(5):
        for question, _ in QUESTIONS:
            started = time.perf_counter()
            index.search(question, 5)
            timings.append((time.perf_counter() - started) * 1e3)
    timings.sort()
    p95 = timings[int(len(timings) * 0.95)]
    print(f"\nwarm search over {len(index.names)} tools: median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms")

    codes = {
        mode: FIRST.format(folder=str(folder), token=TOKEN, mode=mode, event=str(EVENT), search=mode == "search")
        for mode in ("list", "search")
    }
    results = fresh_interleaved(codes, args.runs)
    listed, searched = median(results["list"], "list"), median(results["search"], "list")
    print(f"\ncold start, first tools/list on /mcp, {args.runs} fresh processes each (medians):")
    print(f"  list mode   {listed:7.1f} ms")
    print(f"  search mode {searched:7.1f} ms   ({searched / listed:.2f}x list mode)")
    print(
        f"  first search_tools of a cold process: {median(results['search'], 'first_search'):.1f} ms (reads the index)"
    )
    if not args.keep:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
