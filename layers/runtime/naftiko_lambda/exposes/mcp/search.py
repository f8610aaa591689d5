"""Finding a tool among thousands: a BM25 index over what describes each tool (pure).

What describes a tool, each with a weight: its name split into words (``create-recalculation-
billjob``, ``getUsageRecordGroups`` and ``billjob`` are several words), its title, its
description and its consumed operation's, its tags, and its capability's name, label, tags and
description. Words are lower-cased and lightly stemmed (``invoices`` and ``invoice`` are one
word); a run-together word is also split into words the catalog uses elsewhere (``billjob`` ->
``bill`` ``job``), in the index and in a question alike. A question's common verbs reach their
synonyms (``cancel`` finds ``delete``), at a lower weight.

``build_index`` runs at `compile` (bundle.py writes ``search.json``); a cold start of search
mode reads that file once, on its first search. Scoring a question walks only the postings of
its words, so a warm search of 15k tools takes a few milliseconds (bench/tool_search.py).
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...capability.model import Capability, ExposedOperation

FORMAT = 1
K1, B = 1.2, 0.75
FIELDS = {"name": 3.0, "title": 2.0, "description": 1.0, "call": 1.0, "tags": 1.5, "capability": 2.0, "about": 0.3}
"""How much a word counts by where it is: a tool's name says most about it, its capability's
description least."""
SPLIT_WEIGHT = 0.5
"""A part of a run-together word counts half a word."""
SYNONYM_WEIGHT = 0.5
MIN_PART = 3
MIN_PREFIX = 5
COORDINATION = 0.3
SERVICE_BOOST = 1.6
"""A tool of a capability whose name's first word (its vendor: ``github``, ``m3ter``) the question
says counts this much more; a word most tools share names no one."""
STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "how",
        "i",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "please",
        "that",
        "the",
        "this",
        "to",
        "using",
        "via",
        "want",
        "we",
        "what",
        "when",
        "which",
        "who",
        "will",
        "with",
        "you",
        "your",
        "can",
        "could",
        "would",
        "should",
        "do",
        "does",
        "need",
        "some",
        "any",
        "there",
        "their",
        "them",
        "they",
        "us",
        "before",
        "after",
        "out",
        "goes",
        "go",
        "going",
        "so",
        "just",
        "now",
        "then",
        "than",
        "also",
        "about",
        "over",
    ]
)
SYNONYMS = (
    # verbs
    ("get", "fetch", "retrieve", "read", "show", "view", "look", "find", "lookup", "describe", "see", "check"),
    ("list", "all", "enumerate", "browse", "search", "query"),
    ("create", "add", "new", "make", "register", "post", "submit", "open", "start", "generate", "issue"),
    ("update", "edit", "change", "modify", "patch", "set", "rename", "replace", "adjust"),
    ("delete", "remove", "cancel", "destroy", "drop", "erase", "revoke", "archive", "terminate", "tear"),
    ("send", "notify", "email", "message", "deliver"),
    ("mute", "silence", "snooze"),
    ("suspend", "pause", "hold", "freeze"),
    ("recommend", "recommendation", "suggest", "suggestion"),
    ("transition", "move", "advance"),
    ("count", "total", "number"),
    # nouns
    ("issue", "ticket", "bug"),
    ("image", "picture", "photo", "drawing", "draw"),
    ("track", "song", "music"),
    ("sms", "text"),
    ("participant", "attendee", "join"),
    ("user", "member", "person", "people", "teammate"),
    ("alert", "alarm", "monitor"),
)
"""Words an agent uses for what a tool's description says otherwise (matched at SYNONYM_WEIGHT)."""
PREFIX_WEIGHT = 0.5
MAX_PREFIXES = 16
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")


def words(text: str) -> list[str]:
    """``createRecalculationBillJob v2`` -> ``[create, recalculation, bill, job, v, 2]`` (lower case)."""
    out: list[str] = []
    for chunk in re.findall(r"[A-Za-z0-9]+", text):
        out.extend(w.lower() for w in _WORD.findall(chunk))
    return out


def stem(word: str) -> str:
    """A light English stemmer: enough that plurals and common verb forms meet their word."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            if len(word) > 2 and word[-1] == word[-2] and word[-1] not in "lsz":  # running -> run
                word = word[:-1]
            break
    if word.endswith("e") and len(word) > 4:  # dispute, disputes, disputed -> disput
        word = word[:-1]
    return word


def terms(text: str) -> list[str]:
    """The index terms of a text: its words, stop words left out, stemmed."""
    return [stem(w) for w in words(text) if w not in STOP and not (len(w) == 1 and not w.isdigit())]


def split_compound(term: str, vocabulary: Mapping[str, Any] | frozenset[str]) -> list[str]:
    """``billjob`` -> ``[bill, job]`` when both are words of the vocabulary; ``[]`` when it does not
    split into known words of MIN_PART letters or more (fewest parts win)."""
    if len(term) < 2 * MIN_PART or term.isdigit():
        return []
    best: list[list[str] | None] = [None] * (len(term) + 1)
    best[0] = []
    for end in range(MIN_PART, len(term) + 1):
        for start in range(0, end - MIN_PART + 1):
            head = best[start]
            piece = term[start:end]
            if head is None or (piece not in vocabulary and stem(piece) not in vocabulary):
                continue
            candidate = [*head, piece if piece in vocabulary else stem(piece)]
            if best[end] is None or len(candidate) < len(best[end] or ()):
                best[end] = candidate
    found = best[len(term)]
    return found if found is not None and len(found) > 1 else []


# -- what describes a tool ------------------------------------------------------------------------


Fields = list[tuple[str, str]]
"""(field, text) pairs describing one tool; FIELDS weighs them."""


def tool_fields(capability: Capability, operation: ExposedOperation) -> Fields:
    call = operation.call
    return [
        ("name", operation.name),
        ("title", operation.label),
        ("description", operation.description),
        ("call", call.description if call is not None and call.description != operation.description else ""),
        ("tags", " ".join(operation.tags)),
        ("capability", f"{capability.name} {capability.label} {' '.join(capability.tags)}"),
        ("about", capability.description),
    ]


# -- the index ------------------------------------------------------------------------------------


def build_index(documents: Iterable[tuple[str, Fields]]) -> dict[str, Any]:
    """The index of the named documents, as JSON-ready data (``SearchIndex`` reads it)."""
    names: list[str] = []
    bags: list[dict[str, float]] = []
    services: dict[str, list[int]] = {}  # the first word of a capability's name (its vendor) -> its tools
    for doc, (name, fields) in enumerate(documents):
        bag: dict[str, float] = {}
        for field, text in fields:
            for term in terms(text):
                bag[term] = bag.get(term, 0.0) + FIELDS[field]
        vendor = terms(name.split("__", 1)[0])[:1]
        if vendor:
            services.setdefault(vendor[0], []).append(doc)
        names.append(name)
        bags.append(bag)
    vocabulary = frozenset(t for bag in bags for t in bag)
    for bag in bags:  # run-together words also count as their parts
        for term, weight in list(bag.items()):
            for part in split_compound(term, vocabulary):
                bag[part] = bag.get(part, 0.0) + weight * SPLIT_WEIGHT
    lengths = [sum(bag.values()) for bag in bags]
    average = (sum(lengths) / len(lengths)) if lengths else 1.0
    postings: dict[str, tuple[list[int], list[float]]] = {}
    for doc, (bag, length) in enumerate(zip(bags, lengths, strict=True)):
        norm = K1 * (1 - B + B * length / average)
        for term, tf in bag.items():
            ids, weights = postings.setdefault(term, ([], []))
            ids.append(doc)
            weights.append(round(tf * (K1 + 1) / (tf + norm), 3))
    return {
        "format": FORMAT,
        "names": names,
        "terms": {t: [ids, w] for t, (ids, w) in sorted(postings.items())},
        "services": dict(sorted(services.items())),
    }


class SearchIndex:
    """Questions in an agent's words -> the names of the tools that best answer them."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        if data.get("format") != FORMAT:
            raise ValueError("not a search index of this format")
        self.names: Sequence[str] = data["names"]
        self._terms: Mapping[str, list[list[Any]]] = data["terms"]
        count = len(self.names)
        self._idf = {t: math.log(1 + (count - len(p[0]) + 0.5) / (len(p[0]) + 0.5)) for t, p in self._terms.items()}
        self._synonyms = _synonyms()
        self._sorted = sorted(self._terms)  # for prefix matches
        self._services: Mapping[str, list[int]] = data.get("services") or {}

    def query_terms(self, question: str) -> dict[str, float]:
        """The question's index terms with their weights (its own words 1, parts and synonyms less)."""
        found: dict[str, float] = {}

        def add(term: str, weight: float) -> None:
            if term in self._terms and found.get(term, 0.0) < weight:
                found[term] = weight

        for term in terms(question):
            add(term, 1.0)
            if term not in self._terms:
                for part in split_compound(term, self._terms):
                    add(part, SPLIT_WEIGHT)
            for synonym in self._synonyms.get(term, ()):
                add(synonym, SYNONYM_WEIGHT)
            if len(term) >= MIN_PREFIX:  # assign -> assignee, configur -> configuration
                start = bisect.bisect_left(self._sorted, term)
                for other in itertools.islice(self._sorted, start, start + MAX_PREFIXES):
                    if not other.startswith(term):
                        break
                    add(other, PREFIX_WEIGHT)
        return found

    def search(self, question: str, limit: int = 5, allowed: Callable[[str], bool] | None = None) -> list[str]:
        """The names of the ``limit`` best tools for ``question``, best first; ``allowed`` says which
        names may be answered (the caller's policy, the endpoint's table)."""
        scores: dict[int, float] = {}
        matched: dict[int, float] = {}  # how much of the question a tool answers (its own words count 1)
        for term, weight in self.query_terms(question).items():
            idf = self._idf[term] * weight
            ids, weights = self._terms[term]
            for doc, w in zip(ids, weights, strict=True):
                scores[doc] = scores.get(doc, 0.0) + idf * w
                matched[doc] = matched.get(doc, 0.0) + weight
        for doc, covered in matched.items():  # a tool that answers more of the question ranks higher
            scores[doc] *= 1.0 + COORDINATION * covered
        named = [t for t in terms(question) if t in self._services and len(self._services[t]) < len(self.names) / 4]
        for term in dict.fromkeys(named):  # the question names a service ("on github"): its tools first
            for doc in self._services[term]:
                if doc in scores:
                    scores[doc] *= SERVICE_BOOST

        def best(count: int) -> list[str]:
            ranked = heapq.nlargest(count, scores.items(), key=lambda item: (item[1], -item[0]))
            names = (self.names[doc] for doc, _ in ranked)
            return [n for n in names if allowed is None or allowed(n)][:limit]

        found = best(limit * 4 + 16)  # a few more than asked: some may be denied to this caller
        return found if len(found) == limit or len(scores) <= limit * 4 + 16 else best(len(scores))


def _synonyms() -> dict[str, tuple[str, ...]]:
    table: dict[str, set[str]] = {}
    for group in SYNONYMS:
        stems = {stem(w) for w in group}
        for word in stems:
            table.setdefault(word, set()).update(stems - {word})
    return {w: tuple(sorted(s)) for w, s in table.items()}


def documents(named: Iterable[tuple[str, Capability, ExposedOperation]]) -> Iterator[tuple[str, Fields]]:
    for name, capability, operation in named:
        yield name, tool_fields(capability, operation)
