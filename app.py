"""Parley's page: ask questions with exact sources, read and export briefs, manage the corpus.

The page is thin: this file lays out the sidebar and the tabs (parley/page/chat.py, briefs.py,
corpus.py); the conversation lives in `st.session_state`, the work happens in
`parley.service.Parley` (built by `parley.page.make_service`, which tests replace with fakes), and
every piece of HTML comes from `parley.render.html`, which escapes article text:
`unsafe_allow_html` is passed only for strings that module built.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from parley import page as ui
from parley.core.errors import ParleyError
from parley.page.briefs import briefs_tab
from parley.page.chat import chat_tab
from parley.page.corpus import corpus_tab
from parley.render import html as view

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
