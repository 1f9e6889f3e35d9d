"""Parley's page: ask questions with exact sources, read and export briefs, manage the corpus.

The page is thin: the conversation lives in `st.session_state`, the work happens in
`parley.service.Parley` (built by `parley.page.make_service`, which tests replace with fakes), and
every piece of HTML comes from `parley.render.html`, which escapes article text:
`unsafe_allow_html` is passed only for strings that module built.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from parley import page as ui
from parley.core.errors import ParleyError
from parley.render import html as view
from parley.render.markdown import brief_markdown, coverage_line

st.set_page_config(page_title="Parley · cited answers from the news", page_icon=":material/newspaper:", layout="wide")


@st.cache_resource(show_spinner="Opening the corpus…")
def get_service() -> Any:
    """One service per server process (models and stores are expensive to open)."""
    return ui.make_service()


def article_index(svc: Any) -> dict[str, Any]:
    """doc_id → Article, for titles/outlets/dates; empty when the store can't be read."""
    try:
        return {a.doc_id: a for a in svc.articles()}
    except ParleyError:
        return {}


# --- sidebar ---------------------------------------------------------------------------------
def sidebar(svc: Any, articles: dict[str, Any]) -> None:
    """The active settings, in plain view."""
    sb = st.sidebar
    sb.title(":material/newspaper: Parley")
    sb.caption("Answers from your news articles, each sentence tied to the exact words it rests on.")
    desc = svc.settings.describe()
    sb.subheader("Active settings")
    for label, key in (("Model", "llm"), ("Embeddings", "embeddings"), ("Store", "store"),
                       ("Collection", "collection"), ("Data dir", "data_dir")):
        sb.markdown(f"**{label}**  \n`{desc.get(key, '—')}`")
    sb.markdown(f"**Articles**  \n{len(articles)} ingested")


# --- chat ------------------------------------------------------------------------------------
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


# --- briefs ----------------------------------------------------------------------------------
def show_brief(svc: Any, brief: Any, articles: dict[str, Any]) -> None:
    """Positions, stance over time, disagreements, quotes, shifts, sources, a Markdown download."""
    numbers = ui.brief_citations(brief)
    cov = brief.coverage
    title, download = st.columns([3, 1], vertical_alignment="center")
    title.subheader(f"{brief.actor} on {brief.topic}")
    download.download_button("Download (Markdown)", brief_markdown(brief),
                             icon=":material/download:",
                             file_name=f"brief-{brief.actor.lower().replace(' ', '-')}.md",
                             mime="text/markdown")
    a, b, c, d = st.columns(4)
    a.metric("Overall stance", brief.stance.label or "no position")
    b.metric("Confidence", f"{brief.stance.confidence:.0%}")
    c.metric("Articles with a position", f"{cov.articles} of {cov.read} read")
    d.metric("Outlets", cov.outlets if cov.outlets else "unknown")
    if brief.stance.rationale:
        st.caption(view.md_label(brief.stance.rationale))
    st.caption(view.md_label("Coverage: " + coverage_line(cov)))
    if cov.others_only:
        st.caption(view.md_label(f"{cov.others_only} article(s) name {brief.actor} only in others' "
                                 "claims, with no statement of its own."))
    st.markdown(f"#### Positions ({len(brief.positions)})")
    if not brief.positions:
        st.markdown(view.brief_lines_html(brief.summary, numbers), unsafe_allow_html=True)
    shown = brief.positions[: len(brief.summary) or len(brief.positions)]
    for pos in shown:
        st.markdown(view.position_html(pos, numbers), unsafe_allow_html=True)
    if len(brief.positions) > len(shown):
        with st.expander(f"{len(brief.positions) - len(shown)} more positions"):
            for pos in brief.positions[len(shown):]:
                st.markdown(view.position_html(pos, numbers), unsafe_allow_html=True)
    if brief.disagreements:
        st.markdown("#### Where outlets disagree")
        for dis in brief.disagreements:
            st.caption(view.md_label(dis.note))
            left, right = st.columns(2)
            left.markdown(view.position_html(dis.left, numbers), unsafe_allow_html=True)
            right.markdown(view.position_html(dis.right, numbers), unsafe_allow_html=True)
    st.markdown("#### Stance over time")
    chart = ui.timeline_chart(brief)
    if chart is not None:
        st.altair_chart(chart, width="stretch")
    if brief.undated:
        st.markdown("Undated articles (not plotted): " + "; ".join(
            f"*{view.md_label(e.title or e.source)}* — {e.stance.label or 'no position'}"
            for e in brief.undated))
    if brief.per_article:
        with st.expander(f"Stance in each of {len(brief.per_article)} articles"):
            st.dataframe(ui.stance_rows(brief.per_article, articles), hide_index=True,
                         width="stretch")
    if brief.quotes:
        st.markdown("#### Quotes")
        for q in brief.quotes:
            who = q.speaker or "unnamed source"
            who += f", {q.speaker_title}" if q.speaker_title else ""
            label = f"“{q.text[:90]}{'…' if len(q.text) > 90 else ''}” — {who} ({q.kind})"
            with st.expander(view.md_label(label)):
                st.markdown(view.span_html(q, svc.article_text(q.source)), unsafe_allow_html=True)
                st.caption(view.md_label(view.source_label(q.source, articles.get(q.source))))
    if brief.shifts:
        st.markdown("#### Shifts and contradictions")
        for s in brief.shifts:
            before = view.source_label(s.before, articles.get(s.before))
            after = view.source_label(s.after, articles.get(s.after))
            st.markdown(view.shift_html(s, before, after), unsafe_allow_html=True)
    if numbers:
        st.markdown("#### Sources")
        for n, span in numbers.values():
            with st.expander(f"[{n}]  {view.md_label(view.source_label(span.source, articles.get(span.source)))}"):
                st.markdown(view.span_html(span, svc.article_text(span.source), n=n),
                            unsafe_allow_html=True)


@st.fragment(run_every=2.0)
def analysis_status(svc: Any) -> None:
    """The background stance analysis after an upload: progress with rate and time left."""
    prog = getattr(svc, "progress", None)
    if prog is None or prog.total <= prog.cached:
        return
    if prog.error:
        st.warning(view.md_label(f"Stance analysis stopped: {prog.error} (it resumes from what is "
                                 "done on the next brief)"))
    elif not prog.finished:
        st.progress(prog.done / max(1, prog.total), text=view.md_label(prog.line()))


def write_brief(brief_fn: Any, actor: str, topic: str | None) -> Any:
    """Run the brief with a progress bar for the model work it still needs (cached work is free)."""
    bar = st.empty()

    def progress(p: Any) -> None:
        if p.total > p.cached:
            bar.progress(p.done / max(1, p.total), text=view.md_label(p.line()))

    with st.spinner(f"Reading the articles about {actor}…"):
        return brief_fn(actor, topic, progress=progress)


def briefs_tab(svc: Any, articles: dict[str, Any]) -> None:
    """Pick an actor (and optionally a topic) and read their position brief."""
    brief_fn, names_fn = getattr(svc, "brief", None), getattr(svc, "actor_names", None)
    if not callable(brief_fn) or not callable(names_fn):
        st.info("Briefs are not available: this service offers no `brief()`.")
        return
    try:
        actors = names_fn()
    except ParleyError as e:
        st.error(view.md_label(e))
        return
    if not actors:
        st.info("No actors found: add articles in the **Corpus** tab.")
        return
    analysis_status(svc)
    left, mid, right = st.columns([2, 3, 1], vertical_alignment="bottom")
    actor = left.selectbox("Actor", actors, key="brief_actor")
    topic = mid.text_input("Topic (optional)", key="brief_topic",
                           placeholder="e.g. negotiations with the United States")
    if right.button("Write brief", type="primary", key="brief_go"):
        try:
            st.session_state.brief = write_brief(brief_fn, actor, topic.strip() or None)
        except ParleyError as e:
            st.error(view.md_label(e))
    if st.session_state.get("brief") is not None:
        show_brief(svc, st.session_state.brief, articles)


# --- corpus ----------------------------------------------------------------------------------
def corpus_tab(svc: Any, articles: dict[str, Any]) -> None:
    """Upload articles, see what is indexed, remove documents."""
    n = st.session_state.setdefault("upload_round", 0)
    uploads = st.file_uploader("Add articles (.txt, .md, .html)", type=ui.UPLOAD_TYPES,
                               accept_multiple_files=True, key=f"uploader_{n}")
    if uploads and st.button(f"Ingest {len(uploads)} file(s)", type="primary"):
        bar = st.progress(0.0, text="Starting…")
        try:
            report = ui.ingest_uploads(svc, uploads, lambda f, t: bar.progress(f, text=t))
        except ParleyError as e:
            st.error(view.md_label(e))
        else:
            st.session_state.last_ingest = report
            start = getattr(svc, "start_analysis", None)
            if callable(start):
                start()  # stance for the new articles, in the background (Briefs tab shows it)
            st.session_state.upload_round = n + 1  # a fresh, empty uploader
            st.rerun()
    report = st.session_state.get("last_ingest")
    if report is not None:
        st.success(report.summary())
        for f, reason in report.skipped:
            st.warning(f"Skipped **{view.md_label(f)}**: {view.md_label(reason)}")
    try:
        rows = ui.corpus_rows(list(articles.values()), svc.store.sources())
    except ParleyError as e:
        st.error(view.md_label(e))
        return
    st.markdown(f"#### {len(rows)} documents")
    for row in rows:
        cols = st.columns([6, 2.2, 1.2, 1.6], vertical_alignment="center")
        cols[0].markdown(view.corpus_row_html(row["title"], row["doc_id"]), unsafe_allow_html=True)
        cols[1].markdown(view.md_label(row["date"] if row["outlet"] == "—" else f"{row['outlet']} · {row['date']}"))
        cols[2].write(f"{row['chunks']} chunks")
        if cols[3].button("Remove", key=f"rm_{row['doc_id']}", icon=":material/delete:"):
            try:
                gone = svc.remove(row["doc_id"])
            except ParleyError as e:
                st.error(view.md_label(e))
            else:
                st.toast(f"Removed {view.md_label(row['title'])} ({gone} chunks)")
                st.rerun()


def main() -> None:
    """Lay out the page; any ParleyError becomes one readable line."""
    st.markdown(view.PAGE_CSS, unsafe_allow_html=True)
    try:
        svc = get_service()
    except (ParleyError, ValueError) as e:  # ValueError: a bad PARLEY_* setting
        st.error(f"Parley could not start: {view.md_label(e)}")
        st.stop()
    articles = article_index(svc)
    sidebar(svc, articles)
    chat, briefs, corpus = st.tabs([":material/forum: Ask", ":material/explore: Briefs",
                                     ":material/library_books: Corpus"])
    with chat:
        chat_tab(svc, articles)
    with briefs:
        briefs_tab(svc, articles)
    with corpus:
        corpus_tab(svc, articles)


main()
