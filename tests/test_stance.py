from langchain_core.language_models.fake_chat_models import FakeListChatModel

from chains.stance import StanceChain, cue_label
from parley.core.schema import SourceSpan

TEXT = ("“Unilateral concessions from our side are out of the question,” Ryabkov stressed. "
        "Russia maintains that it is open to dialogue with the US on nuclear weapons, but only as equals.")


def _spans():
    a = TEXT.index("“Unilateral")
    b = TEXT.index("Russia maintains")
    return [SourceSpan(source="t.txt", start=a, end=b - 1, text=TEXT[a:b - 1]),
            SourceSpan(source="t.txt", start=b, end=len(TEXT), text=TEXT[b:])]


def test_model_chooses_label_and_numbers_and_evidence_stays_verbatim():
    model = FakeListChatModel(responses=['{"label": "opposed", "evidence": [1]}'])
    st = StanceChain(model).classify("Russia", "talks with the US", _spans(), source="t.txt")
    assert st.label == "opposed"
    assert [e.text for e in st.evidence] == [_spans()[0].text]
    assert all(TEXT[e.start:e.end] == e.text for e in st.evidence)
    assert st.confidence == 0.8  # cues ("out of the question") agree


def test_out_of_range_numbers_are_dropped_not_invented():
    model = FakeListChatModel(responses=['{"label": "conditional", "evidence": [7, 0]}'])
    st = StanceChain(model).classify("Russia", "talks", _spans())
    assert st.label == "conditional"
    assert st.evidence and all(e in _spans() for e in st.evidence)


def test_unusable_model_output_falls_back_to_cues_with_low_confidence():
    model = FakeListChatModel(responses=["I think Russia is kind of against it."])
    st = StanceChain(model).classify("Russia", "talks", _spans())
    assert st.label in {"opposed", "conditional"}
    assert st.confidence <= 0.3 and "lexical cues" in st.rationale


def test_no_statements_means_no_position_not_a_guess():
    model = FakeListChatModel(responses=['{"label": "open", "evidence": []}'])
    st = StanceChain(model).classify("NATO", "talks", [])
    assert st.label is None and st.evidence == [] and st.rationale == "no position found"


def test_label_outside_the_set_is_rejected():
    model = FakeListChatModel(responses=['{"label": "hostile", "evidence": [1]}'])
    st = StanceChain(model).classify("Russia", "talks", _spans())
    assert st.label in {"open", "conditional", "opposed", "noncommittal"}
    assert "lexical cues" in st.rationale


def test_cue_label():
    assert cue_label(["Kremlin spokesman declined to comment on the report."])[0] == "noncommittal"
    assert cue_label(["Meaningful negotiations are impossible."])[0] == "opposed"
    assert cue_label(["The weather was fine."])[0] is None


def test_label_most_statements_argue_against_is_overruled_by_cues():
    text = ("Meaningful negotiations are impossible now, he said. Concessions are out of the question. "
            "Talks with Washington are unlikely.")
    spans = []
    pos = 0
    for sent in ["Meaningful negotiations are impossible now, he said.", "Concessions are out of the question.",
                 "Talks with Washington are unlikely."]:
        a = text.index(sent, pos)
        spans.append(SourceSpan(source="t.txt", start=a, end=a + len(sent), text=sent))
        pos = a + len(sent)
    model = FakeListChatModel(responses=['{"label": "open", "evidence": [1]}'])
    st = StanceChain(model).classify("Russia", "talks", spans)
    assert st.label == "opposed" and "cues decide" in st.rationale
    assert st.confidence == 0.5 and all(text[e.start:e.end] == e.text for e in st.evidence)
