"""The Briefs tab: pick an actor and topic, read the cited position brief, download it as Markdown."""

from __future__ import annotations

from typing import Any

import streamlit as st

from parley import page as ui
from parley.core.errors import ParleyError
from parley.render import html as view
from parley.render.markdown import brief_markdown, coverage_line


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
