"""search.py: the words of a tool and of a question, and the ranking over them (issue 21)."""

from __future__ import annotations

from naftiko_lambda.exposes.mcp.search import SearchIndex, build_index, split_compound, stem, terms, words


def test_names_split_into_their_words() -> None:
    assert words("create-recalculation-billjob") == ["create", "recalculation", "billjob"]
    assert words("getUsageRecordGroups") == ["get", "usage", "record", "groups"]
    assert words("HTTPServerError v2") == ["http", "server", "error", "v", "2"]


def test_the_forms_of_a_word_meet() -> None:
    assert {stem(w) for w in ("dispute", "disputes", "disputed")} == {"disput"}
    assert {stem(w) for w in ("invoice", "invoices", "invoicing")} == {"invoic"}
    assert stem("policies") == stem("policy") and stem("running") == "run"
    assert terms("The invoices of my account") == ["invoic", "account"]


def test_run_together_words_split_into_known_words() -> None:
    vocabulary = frozenset({"bill", "job", "usag", "record", "group"})
    assert split_compound("billjob", vocabulary) == ["bill", "job"]
    assert split_compound("usagerecordgroup", vocabulary) == ["usag", "record", "group"]
    assert split_compound("billable", vocabulary) == []


INDEX = SearchIndex(
    build_index(
        [
            ("billing__create-billjob", [("name", "create-billjob"), ("description", "Start a bill job")]),
            ("billing__cancel-billjob", [("name", "cancel-billjob"), ("description", "Cancel a running bill job")]),
            (
                "github__create-issue",
                [("name", "create-issue"), ("description", "Open an issue"), ("capability", "github")],
            ),
            (
                "jira__create-issue",
                [("name", "create-issue"), ("description", "Open an issue"), ("capability", "jira")],
            ),
            ("music__get-recommendations", [("name", "get-recommendations"), ("description", "Tracks you may like")]),
        ]
    )
)


def test_a_question_in_other_words_finds_its_tool() -> None:
    assert INDEX.search("drop a bill job", 1) == ["billing__cancel-billjob"]  # a synonym of cancel
    assert INDEX.search("cancel the billjobs", 1) == ["billing__cancel-billjob"]
    assert INDEX.search("suggest some songs", 1) == ["music__get-recommendations"]


def test_a_question_that_names_a_vendor_prefers_its_tools() -> None:
    assert INDEX.search("open a ticket in jira", 2)[0] == "jira__create-issue"
    assert INDEX.search("open a ticket in github", 2)[0] == "github__create-issue"


def test_only_allowed_names_are_answered() -> None:
    found = INDEX.search("create an issue", 5, allowed=lambda name: not name.startswith("github"))
    assert "github__create-issue" not in found and "jira__create-issue" in found
    assert INDEX.search("nothing matches zzzz", 5) == []
