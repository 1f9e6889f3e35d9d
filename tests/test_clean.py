"""The cleaner on the seeds: every boilerplate line goes, every article sentence stays (unseen junk: test_clean_unseen.py)."""

from __future__ import annotations

import pytest

from tests.clean_helpers import assert_spans_valid as _assert_spans_valid
from tests.clean_helpers import kept_texts as _kept_texts
from vectorstore.clean import clean_text

# Written by reading the seeds: every sentence of article text (headline, standfirst, crossheads
# and body) that must survive cleaning. Boilerplate in the seeds is listed separately below.
SEED_SENTENCES = {
    "000_997b5712c965d847.txt": [
        'Russia denies that there are negotiations with the US about the war in Ukraine and says that they are “specific contacts”',
        'The Russian government has denied this Thursday that there is a process of negotiations with the United States in the framework of the military invasion of Ukraine and has clarified that these are “specific contacts” in which various issues of bilateral interest are addressed.',
        '“Right now there is no active negotiation process (with the United States), of course,” Russian Foreign Ministry spokeswoman Maria Zajarova said, as reported by the Russian news agency TASS.',
        '“We maintain separate contacts on different problems that arise and that are not even problematic.',
        'They are specific contacts,” he said, before emphasizing that Moscow bet for months on “building a negotiation process with the United States on several tracks,” including security and tensions around Ukraine.',
        'Zajarova’s words came a day after US National Security Adviser Jake Sullivan held a conversation with Russian Security Council Secretary Nikolai Patrushev, in which he was the first high-level contact since the start of the invasion on February 24.',
        'During the conversation, Sullivan took the opportunity to reiterate to Patrushev the “firm and clear” opposition to the Russian invasion of Ukraine, “unjustified” in the eyes of Washington, and stressed that Washington will continue to impose “costs” to support Ukraine’s territorial integrity.',
        '“If Russia is serious about diplomacy, Moscow should stop attacking Ukrainian cities,” said Sullivan, who made a direct allusion to the “consequences and implications” that the possible use of chemical or biological weapons in Ukraine would have, without entering in details, according to a statement released by the White House.',
    ],
    "001_a8fea508baf53730.txt": [
        'Russia: We are open to negotiations with Ukraine',
        'Yesterday the Kremlin declined to comment on a Wall Street Journal report that Washington had held unannounced talks with senior Russian officials to avoid further escalation in the Ukraine war, saying Russia is always open to negotiations with Ukraine .',
        'According to the report, US National Security Advisor Jake Sullivan held talks with Putin’s aides in hopes of reducing the risk of contagion or the war in Ukraine escalating into a nuclear conflict.',
        '“We have nothing to say about this report,” Kremlin spokesman Dmitry Peskov told reporters.',
        'He also declined to comment on a Washington Post report that the United States was secretly asking Ukraine to signal that it was open to talks with Russia after Ukrainian President Volodymyr Zelenskyy ruled out negotiations with Putin in power would have.',
        '“I don’t know if that’s the case or not,” Peskow said.',
        'As he said, “I reiterate there are honest reports, but the purely speculative reports constitute the vast majority.”',
        'He added that while Russia remains open to talks, it is unable to negotiate with Kyiv as it refuses to hold talks with his country.',
        'And he announced some high-level contacts between American and Russian officials in recent months, as Washington insisted that all talks to end the war in Ukraine would take place between Moscow and Kyiv.',
        'At the field level, Ukrainian President Volodymyr Zelenskyy said Sunday that Ukraine was preparing for fresh Russian attacks on its infrastructure, after the mayor of Kyiv urged residents to prepare for the worst-case scenario by preparing contingency plans to shut down the city leave and stay with friends or family.',
        '“The country yesterday faced a 32 percent shortfall in its expected electricity supply,” said Sergei Kovalenko, chief executive officer of Yasnu, a major utility in the capital, describing it as force majeure.',
        'At the same time, the national energy authorities warned of a planned power outage, but also pointed out the possibility of further restrictions in the capital and the surrounding area as well as 6 other regions of the country.',
        'In this regard, Ukraine announced yesterday that it has received new air defense systems from the United States, Spain and Norway, aimed at repelling intensive Russian bombing of vital infrastructure.',
    ],
    "002_8da615250590acec.txt": [
        'Russia sends written reply to US about Ukraine | Abroad',
        'The US administration has received a written response from Russia to its proposals for a de-escalation of the conflict in Ukraine.',
        'This was reported by the State Department in Washington.',
        'The ministry does not want to say anything about the content.',
        '“It is not productive to negotiate in public, so we leave it to Russia to discuss its answer if it wishes,” said a ministry spokeswoman.',
        '“We remain fully committed to resolving these issues through dialogue and we remain in close consultation with our allies and partners, including Ukraine,” it said.',
        'The Russian response reached Washington ahead of another telephone interview between US Secretary of State Antony Blinken and his Russian counterpart Sergei Lavrov.',
        'That meeting is scheduled for Tuesday.',
        'The US administration had provided Moscow with a written response last week about Russia’s security concerns.',
        'In it, Washington had failed to respond to Russia’s demand that NATO not expand further east, but it also failed to halt diplomatic efforts to avoid conflict.',
        'Recognition of security interests',
        'The West accuses Russia of gathering more than 100,000 soldiers on the border with Ukraine in view of a possible military intervention.',
        'The Kremlin assures it has no intention of attacking, but demands an acknowledgment of its security interests.',
        'The Russians are not only pushing for guarantees that Ukraine will never join NATO, they also want a withdrawal of NATO troops from member states in Eastern Europe.',
        'That is unmentionable for the US and NATO, but they leave the door open for talks about disarmament or the mutual limitation of military exercises.',
        'A first public session on the conflict took place on Monday in a particularly tense atmosphere at the UN Security Council in New York.',
        'US Ambassador Linda Thomas-Greenfield emphasized the size of the Russian force.',
        '“This is the largest troop mobilization in decades, and right now Russia is sending even more troops and weapons,” she said.',
        'Russian Ambassador Vasily Nebenzya criticized Washington’s “megaphone diplomacy” and said the Americans are stirring up “war hysteria”.',
        '“The discussion of an imminent threat is provocative in itself.',
        'They are almost calling for it.',
        'They want it to happen,” Nebenzya said.',
        'The diplomat again denied that Moscow is planning an invasion.',
    ],
    "003_b571c39c7b842e1b.txt": [
        'Talks with US unlikely – Moscow',
        'Russia will not agree to ‘unilateral concessions’, a senior diplomat has said',
        'Meaningful negotiations with the US are impossible under the current circumstances, Russian Deputy Foreign Minister Sergey Ryabkov said on Monday.',
        '“I don’t think that, in the foreseeable future, the dialogue will return to how it was before its unilateral suspension by the US,” Ryabkov told reporters on the sidelines of an international policy forum in Moscow.',
        'Ryabkov added that Moscow is still considering whether to respond to an informal request from Washington to restart communication about “strategic stability.”',
        'The diplomat said last month that Russia had received a letter on the matter.',
        'If Moscow decides to send a formal reply, “our American colleagues will unlikely find something looking like a concession.”',
        '“Unilateral concessions from our side are out of the question,” Ryabkov stressed.',
        '“Right now, it’s not even an issue of concessions or the search for compromises, but whether there is any sense in communications of that sort.”',
        'Russia maintains that it is open to dialogue with the US on nuclear weapons and other issues, but only as equals.',
        'Kremlin spokesman Dmitry Peskov said this month that Washingston should stop “lecturing” Moscow for useful negotiations to happen.',
        'The unprecedented tensions between Russia and the US unfolded after Moscow launched its military operation in Ukraine in February 2022.',
        'Washington has since imposed sweeping sanctions on Moscow and provided weapons and other aid to Kiev.',
        'President Joe Biden has said that the US would continue backing Ukraine for “as long as it takes.”',
        'Russia insists that the deliveries of Western-made heavy weapons to Kiev makes the US and other NATO countries de facto direct participants in the conflict.',
    ],
    "004_f3e46d03c645a3eb.txt": [
        'US and Russia hold talks amid tensions in Ukraine | Russia',
        'US and Russian officials will attend security talks on Jan. 10 as countries face mounting tensions over Ukraine, a Biden government spokesman said.',
        'Russia and NATO are also likely to hold talks on Jan. 12, while a broader regional meeting with Moscow, Washington and several European countries is scheduled for Jan. 13, the spokesman added.',
        'The Russian Foreign Ministry confirmed on Tuesday that Moscow will discuss its security demands with Washington on January 10, the state-run RIA reported.',
        'She also quoted Deputy Foreign Minister Sergei Ryabkov as saying that the US response to this issue had so far been “abstract” and that it was crucial that the military take part in the NATO talks.',
        'Moscow, which has unsettled the West with a build-up of troops near Ukraine, has submitted a wish list of security proposals that it intends to negotiate, including a promise that NATO will give up all military activities in Eastern Europe and Ukraine.',
        'The White House National Security Council spokesman, who refused to be named, said on Monday: “If we sit down to talk, Russia can raise its concerns and we will share our concerns with Russia’s activities as a good.”',
        '“There will be areas where we can move forward and areas where we disagree.',
        'That’s what diplomacy is about. “',
        'Without Ukraine, no decisions would be made about Ukraine, the spokesman said.',
        'US President Joe Biden signed an extensive spending bill on Monday, including $ 300 million for an initiative to support the Ukrainian armed forces and billions more for European defense in general.',
        'The US administration, which believes that Russian President Vladimir Putin is considering invading former Soviet neighbor Ukraine, has promised swift and brutal sanctions in the event of such an attack.',
        'Russia denies such intentions.',
        'Russian officials had previously confirmed that they wanted to take part in security talks with the US in January and are considering taking part in the NATO talks on January 12.',
        'The following day’s meetings will be hosted by the Organization for Security and Co-operation in Europe.',
    ],
}

# Lines of web furniture in the seeds: none may survive (the headline may survive once).
SEED_BOILERPLATE = {
    "000_997b5712c965d847.txt": [
        "Read:\u00a0 Israel's president opts for a unity government after November elections",
        "Read:\u00a0 Belgium withdraws the latest travel restrictions",
        "The Best Online Bookmakers May 16 2024",
        "BetMGM Casino",
    ],
    "001_a8fea508baf53730.txt": [
        "Capitals (Agencies)",
        "#Russia #open #negotiations #Ukraine",
        "Leave a Comment",
        "Your email address will not be published.",
        "Required fields are marked *",
        "Scroll to Top",
    ],
    "002_8da615250590acec.txt": [
        "US Secretary of State Antony Blinken and his Russian counterpart Sergei Lavrov. ©",
        "ttn-3",
        "Bir yanıt yazın",
    ],
    "003_b571c39c7b842e1b.txt": [
        "Russia & FSU",
        "has saidTalks",
        "The Kremlin in Moscow.",
        "Getty Images",
        "Never underestimate Russia",
        "Leave a Reply",
        "Back to top button",
    ],
    "004_f3e46d03c645a3eb.txt": ["Comments are closed."],
}
SEED_TITLES = {
    "001_a8fea508baf53730.txt": "Russia: We are open to negotiations with Ukraine",
    "003_b571c39c7b842e1b.txt": "Talks with US unlikely – Moscow",
}


@pytest.mark.parametrize("name", sorted(SEED_SENTENCES))
def test_seed_keeps_every_article_sentence(name, seed_texts):
    text = seed_texts[name]
    kept = _kept_texts(text)
    missing = [s for s in SEED_SENTENCES[name] if not any(s in k for k in kept)]
    assert missing == []


@pytest.mark.parametrize("name", sorted(SEED_SENTENCES))
def test_seed_drops_every_boilerplate_line(name, seed_texts):
    text = seed_texts[name]
    result = clean_text(text)
    _assert_spans_valid(text, result.kept)
    kept = [text[s:e] for s, e in result.kept]
    survivors = [b for b in SEED_BOILERPLATE[name] if any(b in k for k in kept)]
    assert survivors == []
    # nothing but the hand-listed sentences is left: strip them all and only whitespace remains
    leftover = "\n".join(kept)
    for sentence in sorted(SEED_SENTENCES[name], key=len, reverse=True):
        leftover = leftover.replace(sentence, "", 1)
    assert leftover.strip() == ""


@pytest.mark.parametrize("name,title", sorted(SEED_TITLES.items()))
def test_repeated_headline_is_kept_once(name, title, seed_texts):
    joined = "\n".join(_kept_texts(seed_texts[name]))
    assert joined.count(title) == 1
    assert joined.startswith(title)


def test_glued_headline_is_cut_from_the_standfirst(seed_texts):
    name = "003_b571c39c7b842e1b.txt"
    text = seed_texts[name]
    result = clean_text(text)
    standfirst = "Russia will not agree to ‘unilateral concessions’, a senior diplomat has said"
    assert standfirst in [text[s:e] for s, e in result.kept]
    glued = [r for r in result.removed if r.reason.startswith("glued")]
    assert len(glued) == 1 and text[glued[0].start : glued[0].end] == "Talks with US unlikely – Moscow"
    assert text[glued[0].start - 4 : glued[0].start] == "said"


def test_removed_ranges_carry_their_text_and_reason(seed_texts):
    for text in seed_texts.values():
        for r in clean_text(text).removed:
            assert text[r.start : r.end] == r.text and r.reason


def test_wire_credit_is_dropped_as_a_credit(seed_texts):
    # "Capitals (Agencies)" names the wire service that supplied the story: attribution, not a claim
    removed = clean_text(seed_texts["001_a8fea508baf53730.txt"]).removed
    assert [r.reason for r in removed if r.text == "Capitals (Agencies)"] == ["wire credit"]
