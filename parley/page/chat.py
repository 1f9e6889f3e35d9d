"""The Ask tab: the conversation, streamed evidence and answers, sources highlighted in their articles."""

from __future__ import annotations

from typing import Any

import streamlit as st

from parley import page as ui
from parley.core.errors import ParleyError
from parley.render import html as view


def show_citation(svc: Any, c: Any, articles: dict[str, Any]) -> None:
    """One numbered source: the quoted span highlighted inside its article."""
    with st.expander(f"[{c.n}]  {view.md_label(view.source_label(c.source, articles.get(c.source)))}"):
        st.markdown(view.span_html(c, svc.article_text(c.source), n=c.n), unsafe_allow_html=True)
        st.caption(f"{view.md_label(c.source)} · characters {c.start}–{c.end}")


def show_answer(svc: Any, answer: Any, articles: dict[str, Any]) -> None:
    """A finished answer: verified text, flagged leftovers, sources (or the nearest passages)."""
    st.markdown(view.answer_html(answer), unsafe_allow_html=True)
    if answer.abstained:
        st.caption(f"Why no answer: {view.md_label(answer.abstain_reason)}")
        if answer.passages:
            st.markdown("**Nearest passages**")
        for p in answer.passages[:3]:
            with st.expander(view.md_label(view.source_label(p.chunk.source, articles.get(p.chunk.source)))):
                st.markdown(view.span_html(p.chunk.span, svc.article_text(p.chunk.source),
                                         css_class="parley-near"), unsafe_allow_html=True)
        return
    if answer.mode == "evidence":  # the articles' own sentences, the model only chose them
        note = "The articles' own sentences, ranked by the model"
        if answer.answerability is not None:
            note += f" (calibrated answerability {answer.answerability:.2f})"
        if answer.line_check:
            note += f". No one-line answer: the model's line failed the check ({view.md_label(answer.line_check)})"
        st.caption(note + ".")
    dropped = ui.unsupported_sentences(answer)
    if dropped:
        st.markdown(view.unsupported_html(dropped), unsafe_allow_html=True)
    st.markdown("**Sources**")
    for c in answer.citations:
        show_citation(svc, c, articles)
    t = answer.timings
    st.caption(f"{len(answer.passages)} passages from {len(ui.passage_sources(answer))} articles"
               f" · {view.md_label(answer.model)} · {t.total_s:.1f} s")


def ask(svc: Any, question: str, articles: dict[str, Any]) -> None:
    """Stream a draft answer, then replace it with the verified, cited answer."""
    messages = st.session_state.messages
    history = ui.history_pairs(messages)
    messages.append({"role": "user", "content": question})
    with st.chat_message("user"):
        st.markdown(view.md_label(question))  # the question as typed: no links, HTML or maths
    with st.chat_message("assistant"):
        status, evidence, draft = st.empty(), st.empty(), st.empty()
        status.caption(":material/search: Searching the articles…")
        text, final = "", None
        try:
            for ev in svc.stream(question, history):
                if ev.type == "passages":
                    n_src = len({p.chunk.source for p in ev.passages or []})
                    status.caption(f":material/article: Reading {len(ev.passages or [])} passages from {n_src} "
                                   "articles…")
                elif ev.type == "evidence" and ev.evidence:  # shown before any model call
                    evidence.markdown(view.evidence_html(ev.evidence, ev.seconds),
                                      unsafe_allow_html=True)
                    status.caption(":material/fact_check: The model is checking the evidence…")
                elif ev.type == "token":
                    text += ev.text or ""
                    draft.markdown(text + " ▌")
                elif ev.type == "answer":
                    final = ev.answer
        except ParleyError as e:
            status.empty()
            draft.empty()  # the evidence stays: it is the articles' own words
            st.error(view.md_label(e))
            messages.append({"role": "assistant", "error": str(e)})
            return
        status.empty()
        evidence.empty()
        draft.empty()
        if final is not None:
            show_answer(svc, final, articles)
            messages.append({"role": "assistant", "answer": final})


def chat_tab(svc: Any, articles: dict[str, Any]) -> None:
    """The conversation, its input box, and a way to start over."""
    messages = st.session_state.setdefault("messages", [])
    head, clear = st.columns([3, 1], vertical_alignment="center")
    head.caption("Ask about the articles. Every sentence of an answer cites the exact words it "
                 "rests on; open a source to see them highlighted in the article.")
    if clear.button("Clear conversation", icon=":material/delete_sweep:"):
        messages.clear()
        st.rerun()
    box = st.container()  # new turns render above the input box, not below it
    question = st.chat_input("Ask about the articles…", disabled=not articles)
    with box:
        if not articles:
            st.info("No articles yet: add some in the **Corpus** tab.")
        for m in messages:
            with st.chat_message(m["role"]):
                if m.get("error"):
                    st.error(view.md_label(m["error"]))
                elif m.get("answer") is not None:
                    show_answer(svc, m["answer"], articles)
                else:
                    st.markdown(view.md_label(m["content"]))
        if question:
            ask(svc, question, articles)
