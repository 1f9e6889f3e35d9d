"""The cleaner on boilerplate it has never seen, and on article text that only looks like it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clean_helpers import assert_spans_valid as _assert_spans_valid
from tests.clean_helpers import kept_texts as _kept_texts
from vectorstore.clean import clean_text

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"

# ---- boilerplate the cleaner has never seen ----

UNSEEN = {
    "harbour_strike.txt": {
        "keep": [
            "Dock workers in Rotterdam extend strike into second week",
            "Dock workers at the port of Rotterdam voted on Friday to extend their strike into a second week, leaving hundreds of containers stranded on the quays.",
            "The union said the walkout would continue until the port authority returned to the negotiating table with a new offer on night-shift pay.",
            "“We are not asking for the moon. We are asking to be paid for the hours we work,” said union spokesman Pieter Bakker.",
            "Talks collapse over night shifts",
            "Port managers said the union's demands would add 40 million euros a year to their costs.",
            "They offered a one-off bonus instead, which the union rejected on Thursday.",
            "“No,” Bakker said.",
            "Shipping lines have begun diverting vessels to Antwerp and Hamburg, according to the port authority.",
        ],
        "drop": [
            "We use cookies", "Accept all", "Manage preferences", "Skip to content", "Home › World",
            "Advertisement", "Share this article", "Facebook Twitter", "Photo: Reuters",
            "Related: Antwerp", "Sign up for our newsletter", "Get the latest news", "Most read",
            "All rights reserved", "Privacy Policy",
        ],
    },
    "energy_subsidy.txt": {
        "keep": [
            "Berlin agrees to cap industrial power prices until 2026",
            "The German government agreed on Wednesday to cap electricity prices for energy-intensive factories until 2026, ending months of dispute within the coalition.",
            "Finance Minister Lena Albrecht said the measure would cost about 12 billion euros and would be paid for from an existing climate fund.",
            "Business groups welcomed the decision but said it came too late for some chemical plants.",
            "Critics in parliament said the cap rewarded heavy polluters.",
            "“This sends exactly the wrong signal,” said opposition lawmaker Jonas Weber.",
        ],
        "drop": [
            "Wirtschaft", "Anzeige", "Getty Images", "Also read", "#Germany", "Tags:",
            "Schreibe einen Kommentar", "Antwort abbrechen", "Deja una respuesta", "Print this page",
            "Next article", "x7-q2",
        ],
    },
}


@pytest.mark.parametrize("name", sorted(UNSEEN))
def test_unseen_boilerplate_is_removed_and_article_kept(name):
    text = (FIXTURES / name).read_text(encoding="utf-8")
    result = clean_text(text)
    _assert_spans_valid(text, result.kept)
    kept = [text[s:e] for s, e in result.kept]
    assert [k for k in UNSEEN[name]["keep"] if not any(k in x for x in kept)] == []
    assert [d for d in UNSEEN[name]["drop"] if any(d in x for x in kept)] == []
    joined = "\n".join(kept)
    assert joined.count(UNSEEN[name]["keep"][0]) == 1  # headline once, repeats gone


def test_article_sentences_mentioning_furniture_words_survive():
    text = (
        "Regulators fine social network over ads\n\n"
        "Regulators fined the company after it ran an advertisement on Facebook and Instagram that broke the rules.\n\n"
        "The Kremlin declined to comment on the report, Peskov told reporters on Monday.\n\n"
        "Critics said the casino licence was granted without a public tender.\n"
    )
    kept = _kept_texts(text)
    assert kept == [line for line in text.split("\n") if line]


def test_hard_wrapped_paragraph_stays_one_span():
    text = (
        "Ministers meet on grain deal\n\n"
        "Ministers from both countries met in Istanbul on Monday to discuss the\n"
        "extension of the grain corridor, which expires at the end of the month\n"
        "unless both sides agree to renew it.\n"
    )
    kept = _kept_texts(text)
    assert kept[1].startswith("Ministers from") and kept[1].endswith("renew it.")


def test_start_skips_front_matter_and_records_it():
    text = "---\ntitle: X\n---\nThe council voted to close the bridge on Friday after engineers found cracks.\n"
    start = text.index("The council")
    result = clean_text(text, start=start)
    assert result.kept == [(start, len(text) - 1)]
    assert result.removed[0].reason == "front matter" and result.removed[0].start == 0


def test_given_title_picks_the_headline_among_labels():
    text = "World News\n\nPort strike spreads to Antwerp\n\nThe strike spread to Antwerp on Monday, union leaders said in a statement.\n"
    result = clean_text(text, title="Port strike spreads to Antwerp")
    assert text[slice(*result.title_span)] == "Port strike spreads to Antwerp"
    assert "World News" not in [text[s:e] for s, e in result.kept]


def test_pull_quote_keeps_the_first_copy_only():
    quote = "“We will not back down on night-shift pay,” the union leader said."
    text = f"Strike goes on\n\nThe strike entered its tenth day on Monday with no talks planned.\n\n{quote}\n\nManagers said they had made their final offer.\n\n{quote}\n"
    kept = _kept_texts(text)
    assert kept.count(quote) == 1 and text.index(quote) == text.find(kept[2])


def test_long_title_line_is_not_glued_to_an_unwrapped_body():
    title = "Ministers from both countries agree a four-month extension of the grain corridor deal"
    body = "Ministers from both countries met in Istanbul on Monday and agreed to extend the grain corridor by four more months, officials from both delegations told reporters after the talks ended late in the evening."
    text = f"{title}\n{body}\n"
    result = clean_text(text)
    assert text[slice(*result.title_span)] == title
    assert [text[s:e] for s, e in result.kept] == [title, body]


def test_article_lists_stay_and_link_lists_go():
    text = (
        "# Five things to know about the summit\n\n"
        "The summit opens on Monday in Geneva with leaders from 30 countries.\n\n"
        "Key points:\n\n"
        "- Leaders will discuss a ceasefire proposal\n"
        "- A joint statement is expected on Tuesday\n\n"
        "Follow us on Twitter for live updates.\n\n"
        "Most read\n\n"
        "- Storm batters the northern coast overnight\n"
        "- Central bank holds rates steady again\n"
        "- [Five films to watch this weekend](https://example.com/films)\n"
    )
    kept = _kept_texts(text)
    assert kept == [
        "# Five things to know about the summit",
        "The summit opens on Monday in Geneva with leaders from 30 countries.",
        "Key points:",
        "- Leaders will discuss a ceasefire proposal",
        "- A joint statement is expected on Tuesday",
    ]


def test_caption_with_trailing_credit_and_byline_are_dropped():
    text = (
        "Kremlin says no talks with Kyiv planned\n"
        "Pjotr Sauer in Moscow\n"
        "Russian soldiers near Bakhmut. Photograph: Sergei Ilnitsky/EPA\n"
        "The Kremlin has said there are no plans for peace talks with Ukraine, as fighting intensified.\n"
        "Explore more on these topics\n"
        "Reuse this content\n"
    )
    kept = _kept_texts(text)
    assert kept == [
        "Kremlin says no talks with Kyiv planned",
        "The Kremlin has said there are no plans for peace talks with Ukraine, as fighting intensified.",
    ]
