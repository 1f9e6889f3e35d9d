"""Main-text extraction from HTML with the standard library: the article, not the page around it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from vectorstore.meta import clean_title

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# never article text, wherever they sit
_SKIP_TAGS = {
    "script", "style", "noscript", "template", "svg", "nav", "aside", "form", "button", "iframe",
    "select", "textarea", "canvas", "video", "audio", "object", "figure", "figcaption", "footer",
    "head", "title", "dialog", "menu",
}
_SKIP_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "menu", "alert"}
# class/id words of page furniture; matched per word ("share-bar" -> "share"), so "shadow" is safe
_SKIP_WORDS = {
    "nav", "navbar", "navigation", "menu", "footer", "sidebar", "cookie", "cookies", "consent", "banner",
    "share", "sharing", "social", "comment", "comments", "related", "recommended", "advert", "ad", "ads",
    "advertisement", "promo", "newsletter", "subscribe", "breadcrumb", "breadcrumbs", "popup", "modal",
    "widget", "tags", "skip", "masthead", "paywall", "outbrain", "taboola", "sponsored", "trending",
}
_BLOCK = {
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "table", "tr", "td", "th", "address", "hr",
    "body", "html",
}


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    parent: _Node | None = None
    children: list[_Node | str] = field(default_factory=list)


@dataclass
class HtmlDoc:
    """Extracted main text plus what the page itself declares about the article."""

    text: str
    title: str | None = None
    outlet: str | None = None
    date: dt.date | None = None
    url: str | None = None


class _TreeBuilder(HTMLParser):
    """A forgiving DOM: unclosed <p>/<li> close at the next block, stray end tags are ignored."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {})
        self.cur = self.root
        self.metas: list[dict[str, str]] = []
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            self.metas.append(a)
        elif tag == "link":
            self.links.append(a)
        if tag in _BLOCK and self.cur.tag == "p" or tag == "li" and self.cur.tag == "li":
            self.cur = self.cur.parent or self.root
        node = _Node(tag, a, self.cur)
        self.cur.children.append(node)
        if tag not in _VOID:
            self.cur = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID and self.cur.tag == tag:
            self.cur = self.cur.parent or self.root

    def handle_endtag(self, tag: str) -> None:
        node: _Node | None = self.cur
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.cur = node.parent

    def handle_data(self, data: str) -> None:
        self.cur.children.append(data)


def _skipped(node: _Node, in_article: bool) -> bool:
    if node.tag in _SKIP_TAGS or node.attrs.get("role", "").lower() in _SKIP_ROLES:
        return True
    if node.tag == "header" and not in_article:  # site header; an article's own header has its h1
        return True
    if "hidden" in node.attrs or node.attrs.get("aria-hidden") == "true":
        return True
    names = f"{node.attrs.get('class', '')} {node.attrs.get('id', '')}".lower()
    return bool(_SKIP_WORDS & set(re.split(r"[\s_\-]+", names)))


def _render(node: _Node, out: list[str], buf: list[str], in_article: bool) -> None:
    """Append paragraphs of visible text under node to out (buf holds the open paragraph)."""
    in_article = in_article or node.tag in ("article", "main")
    block = node.tag in _BLOCK
    if block:
        _flush(out, buf)
    for child in node.children:
        if isinstance(child, str):
            buf.append(child)
        elif child.tag == "br":
            buf.append("\n")
        elif not _skipped(child, in_article):
            _render(child, out, buf, in_article)
    if block:
        _flush(out, buf)


def _flush(out: list[str], buf: list[str]) -> None:
    lines = [" ".join(line.split()) for line in "".join(buf).split("\n")]
    para = "\n".join(line for line in lines if line)
    if para:
        out.append(para)
    buf.clear()


def _text_of(node: _Node, in_article: bool = False) -> str:
    out: list[str] = []
    buf: list[str] = []
    _render(node, out, buf, in_article)
    _flush(out, buf)
    return "\n\n".join(out)


def _find(node: _Node, pred) -> list[_Node]:
    found = [node] if pred(node) else []
    for c in node.children:
        if isinstance(c, _Node):
            found += _find(c, pred)
    return found


def extract_html(html: str) -> HtmlDoc:
    """The page's main text (the largest <article>, else <main>, else <body>) and its declared meta."""
    tb = _TreeBuilder()
    tb.feed(html)
    tb.close()
    root = tb.root
    candidates = _find(root, lambda n: n.tag == "article") or _find(
        root, lambda n: n.tag == "main" or n.attrs.get("role") == "main"
    )
    texts = [_text_of(c, in_article=True) for c in candidates]
    text = max(texts, key=len) if texts and max(texts, key=len).strip() else _text_of(root)
    meta = {(m.get("property") or m.get("name") or "").lower(): m.get("content", "").strip() for m in tb.metas}
    title = meta.get("og:title") or meta.get("twitter:title")
    if not title:
        titles = _find(root, lambda n: n.tag == "title")
        title = " ".join("".join(c for c in titles[0].children if isinstance(c, str)).split()) if titles else None
    date = None
    stamps = [meta.get(k, "") for k in ("article:published_time", "datepublished", "date", "dc.date")]
    stamps += [t.attrs.get("datetime", "") for t in _find(root, lambda n: n.tag == "time")][:1]
    for stamp in stamps:
        m = re.match(r"\s*(\d{4}-\d\d-\d\d)", stamp)
        if m:
            try:
                date = dt.date.fromisoformat(m.group(1))
                break
            except ValueError:
                continue
    canonical = next((x.get("href") for x in tb.links if x.get("rel", "").lower() == "canonical"), None)
    return HtmlDoc(
        text=text,
        title=clean_title(title) if title else None,
        outlet=meta.get("og:site_name") or meta.get("application-name") or None,
        date=date,
        url=meta.get("og:url") or canonical or None,
    )
