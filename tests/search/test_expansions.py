from __future__ import annotations

import pytest

from ondas.search.expansions import chapter_expansions
from ondas.search.text import plain

FAULTS = (
    "Each kind of fault: first access, stack growth, copy-on-write, swap, "
    "file-backed and permission faults. Virtual memory: abstracting pages."
)


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        # An acronym spelled by a hyphenated word.
        ("CoW page fault", FAULTS, "copy-on-write"),
        # ... or by a run of words inside one phrase.
        (
            "NLB errors",
            "Then the network load balancer failed.",
            "network load balancer",
        ),
        # Not across punctuation: "Virtual memory: abstracting" is no VMA.
        ("VMA areas", FAULTS, ""),
        # A title word that begins a longer word of the text.
        (
            "How did Dynamo lost its DNS?",
            "DynamoDB's DNS record was emptied.",
            "DynamoDB",
        ),
        # Endings add nothing; words already in the title are not repeated.
        ("Permission page fault", FAULTS, ""),
        ("Swap", "", ""),
    ],
)
def test_chapter_expansions(title: str, text: str, expected: str) -> None:
    assert chapter_expansions(title, text) == expected


def test_plain_ends_a_word_at_a_block_tag() -> None:
    assert plain("<ul><li>heap and stack</li><li>Each kind</li></ul>") == (
        "heap and stack Each kind"
    )
    assert plain("<p>io_<code>method</code></p>") == "io_method"
