"""Ingest progress: counts, rate and ETA; a bar on a terminal, a line every few seconds elsewhere."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from pydantic import BaseModel
from tqdm import tqdm

LINE_EVERY_S = 5.0  # when stderr is not a terminal (CI logs, nohup, a pipe)


class IngestProgress(BaseModel):
    """Where an ingest run stands: files and bytes seen, chunks written, time so far."""

    files_done: int = 0
    files_total: int = 0
    bytes_done: int = 0
    bytes_total: int = 0
    chunks: int = 0  # chunks embedded and written (searchable) so far
    elapsed_s: float = 0.0

    @property
    def fraction(self) -> float:
        """Share of the work done, by bytes (files of very different sizes) or else by files."""
        if self.bytes_total:
            return min(1.0, self.bytes_done / self.bytes_total)
        return self.files_done / self.files_total if self.files_total else 1.0

    @property
    def chunks_per_s(self) -> float:
        return self.chunks / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the rate so far (None before anything is done)."""
        f = self.fraction
        return self.elapsed_s * (1 - f) / f if f > 0 else None

    def line(self) -> str:
        """One line for logs: files, chunks, rate, ETA."""
        eta = self.eta_s
        return (f"ingest: {self.files_done}/{self.files_total} files ({self.fraction:.0%}), "
                f"{self.chunks} chunks searchable, {self.chunks_per_s:.1f} chunks/s, "
                f"elapsed {_clock(self.elapsed_s)}, ETA {_clock(eta) if eta is not None else '?'}")


def _clock(s: float) -> str:
    s = int(round(s))
    return f"{s // 3600}h{s // 60 % 60:02d}m{s % 60:02d}s" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class ProgressReporter:
    """Feeds an IngestProgress to a tqdm bar (terminal), log lines (no terminal) and a callback."""

    def __init__(self, files_total: int, bytes_total: int, *, show: bool,
                 callback: Callable[[IngestProgress], None] | None = None,
                 stream: TextIO | None = None, every_s: float = LINE_EVERY_S):
        self.state = IngestProgress(files_total=files_total, bytes_total=bytes_total)
        self._t0 = time.monotonic()
        self._callback = callback
        self._stream = stream or sys.stderr
        self._every = every_s
        self._last_line = self._t0
        tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._lines = show and not tty
        self._bar: Any = tqdm(total=files_total, desc="ingest", unit="file", file=self._stream,
                              disable=not (show and tty))

    def update(self, *, files: int = 0, nbytes: int = 0, chunks: int = 0) -> None:
        """Count work done; report if it is time to."""
        st = self.state
        st.files_done += files
        st.bytes_done += nbytes
        st.chunks += chunks
        now = time.monotonic()
        st.elapsed_s = now - self._t0
        if files:
            self._bar.update(files)
        if chunks:
            self._bar.set_postfix(chunks=st.chunks, rate=f"{st.chunks_per_s:.1f}/s", refresh=False)
        if self._lines and now - self._last_line >= self._every:
            self._last_line = now
            print(st.line(), file=self._stream, flush=True)
        if self._callback is not None:
            self._callback(st.model_copy())

    def close(self) -> None:
        """Final report (one line: the periodic one is not due now)."""
        self._last_line = time.monotonic()
        self.update()
        self._bar.close()
        if self._lines:
            print(self.state.line(), file=self._stream, flush=True)
