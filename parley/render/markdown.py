"""The ONE Markdown renderer for briefs (the CLI and the page's download both use it).

Every line is cited: [n] points at a span listed under Sources with its exact character range.
Quotation marks appear only around a speaker's verbatim words (direct quotes); reported speech and
an outlet's own statements are shown as the article wrote them, marked as reported. The JSON form
of a brief is `Brief.model_dump_json`.
"""

from __future__ import annotations

from parley.core.schema import Brief, Coverage, Position, SourceSpan, Stance

KIND_NOTE = {"reported": "reported", "anonymous": "unnamed source, reported",
              "outlet": "the outlet's account"}


def _flat(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return _flat(text).replace("|", "\\|")


def _label(st: Stance) -> str:
    return "no position found" if st.label is None else f"{st.label} (confidence {st.confidence:.2f})"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def outlets_phrase(outlets: list[str], unknown: int) -> str:
    """'2 outlets (Reuters, TASS)', '1 outlet (RT) and 1 article from an unknown outlet', 'outlets unknown'."""
    if not outlets:
        return "outlets unknown"
    named = f"{_plural(len(outlets), 'outlet')} ({', '.join(outlets)})"
    return named + (f" and {_plural(unknown, 'article')} from an unknown outlet" if unknown else "")


def coverage_line(cov: Coverage) -> str:
    """What the brief read and what it left out, in one line."""
    left = f", {cov.left_out} left out over the article limit" if cov.left_out else ", none left out"
    outlets = "outlets unknown" if not cov.outlets else _plural(cov.outlets, "named outlet") + (
        f", {cov.unknown_outlets} of unknown outlet" if cov.unknown_outlets else "")
    return (f"a position in {cov.articles} of {_plural(cov.read, 'article')} read "
            f"({cov.relevant} with its statements{left}; {cov.total_articles} in the corpus); "
            f"{outlets}")


def position_text(p: Position) -> str:
    """A position as shown: verbatim words in quotation marks, anything else as reported."""
    if p.kind == "direct":
        return f"**{p.speaker or 'unnamed source'}**: “{_flat(p.text)}”"
    return f"{_flat(p.text)} _({KIND_NOTE.get(p.kind, p.kind)})_"


def _position_meta(p: Position) -> str:
    label = f"{p.label} (confidence {p.confidence:.2f})" if p.label and p.confidence is not None \
        else (p.label or "not labelled")
    return (f"{label}; carried by {_plural(len(p.sources), 'article')}, "
            f"{outlets_phrase(p.outlets, p.unknown_outlets)}")


class _Refs:
    """Numbers spans in order of first use and remembers their text for the Sources list."""

    def __init__(self) -> None:
        self.n: dict[tuple[str, int, int], int] = {}
        self.text: dict[tuple[str, int, int], str] = {}

    def __call__(self, spans: list[SourceSpan]) -> str:
        marks = []
        for s in spans:
            key = (s.source, s.start, s.end)
            self.n.setdefault(key, len(self.n) + 1)
            self.text[key] = s.text
            marks.append(f"[{self.n[key]}]")
        return "".join(marks)


def brief_markdown(brief: Brief) -> str:
    """The brief as Markdown: positions, stance over time, shifts, quotes, sources with spans."""
    cite = _Refs()
    cov = brief.coverage
    out = [f"# {brief.actor}: position brief", "", f"**Topic:** {brief.topic}  ",
           f"**Overall stance:** {_label(brief.stance)} {cite(brief.stance.evidence)}  "]
    if brief.stance.rationale:
        out.append(f"_{_flat(brief.stance.rationale)}_  ")
    out.append(f"**Coverage:** {coverage_line(cov)}")
    if cov.others_only:
        shown = ", ".join(f"`{s}`" for s in cov.others_only_sources)
        out.append(f"\n**Only others' claims about {brief.actor}** (no statement of its own): "
                   f"{_plural(cov.others_only, 'article')}{f': {shown}' if shown else ''}"
                   f"{' …' if cov.others_only > len(cov.others_only_sources) else ''}")
    out.append("")
    if brief.positions:
        out += ["## Positions", ""]
        out += [f"{i}. {position_text(p)} — {_position_meta(p)} {cite(p.sources)}"
                for i, p in enumerate(brief.positions, 1)]
        out.append("")
    if brief.disagreements:
        out += ["## Where outlets disagree", ""]
        for d in brief.disagreements:
            a, b = d.left, d.right
            out += [f"_{_flat(d.note)}_", "",
                    f"| {_cell(outlets_phrase(a.outlets, a.unknown_outlets))} | "
                    f"{_cell(outlets_phrase(b.outlets, b.unknown_outlets))} |", "|---|---|",
                    f"| {_cell(position_text(a))} {cite(a.sources)} ({a.label}) | "
                    f"{_cell(position_text(b))} {cite(b.sources)} ({b.label}) |", ""]
    out += ["## Stance by article", "", "| date | article | stance | evidence |", "|---|---|---|---|"]
    for e in brief.timeline + brief.undated:
        out.append(f"| {e.date or 'undated'} | {_cell(e.title or e.source)} | {_label(e.stance)} | "
                   f"{cite(e.stance.evidence)} |")
    if cov.no_position:
        out.append(f"\n{_plural(cov.no_position, 'article')} read with statements by "
                   f"{brief.actor}, none on this topic.")
    if brief.shifts:
        out += ["", "## Shifts and contradictions", ""]
        out += [f"- **{s.kind}**: {s.note} (`{s.before}` → `{s.after}`)" for s in brief.shifts]
    if brief.quotes:
        out += ["", "## Quotes (verbatim)", ""]
        for q in brief.quotes:
            title = f" ({q.speaker_title})" if q.speaker_title else ""
            out.append(f"- **{q.speaker or 'unnamed source'}**{title}: “{_flat(q.text)}” {cite([q])}")
    out += ["", "## Sources", ""]
    for (source, start, end), n in sorted(cite.n.items(), key=lambda x: x[1]):
        out += [f"{n}. `{source}` chars {start}–{end}:", f"   > {_flat(cite.text[(source, start, end)])}"]
    if brief.model:
        out += ["", f"_Generated by Parley with {brief.model}._"]
    return "\n".join(out) + "\n"
