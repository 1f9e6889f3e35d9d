"""The Corpus tab: upload articles, see what is indexed, remove documents."""

from __future__ import annotations

from typing import Any

import streamlit as st

from parley import page as ui
from parley.core.errors import ParleyError
from parley.render import html as view


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
    query = st.text_input("Filter documents", key="corpus_filter", placeholder="title, outlet, date or file name")
    shown = ui.filter_rows(rows, query)
    if query.strip():
        st.markdown(f"#### {len(shown)} of {len(rows)} documents")
    else:
        st.markdown(f"#### {len(rows)} documents")
    pages = -(-len(shown) // ui.CORPUS_PAGE)
    asked = 1
    if pages > 1:
        asked = int(st.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, step=1,
                                    key="corpus_page"))
    part, at, _ = ui.page_of(shown, asked, ui.CORPUS_PAGE)
    if pages > 1:
        first = (at - 1) * ui.CORPUS_PAGE + 1
        st.caption(f"Showing {first}–{first + len(part) - 1} of {len(shown)}")
    for row in part:
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
