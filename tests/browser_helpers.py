"""Helpers for the real-browser test: run `streamlit run app.py`, drive Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# no network chatter, no sandbox (containers run as root), no GPU
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parley_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment for child processes: ours minus any PARLEY_* the developer set."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PARLEY_") or k == "PARLEY_SHARED_MODELS_DIR"}
    env["PARLEY_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def ingest_seeds(seeds: Path, env: dict[str, str], cwd: Path) -> str:
    """Run `parley ingest SEEDS` as a user would; return its output."""
    cli = Path(sys.executable).with_name("parley")
    cmd = [str(cli)] if cli.exists() else [sys.executable, "-m", "parley.cli"]
    done = subprocess.run([*cmd, "ingest", str(seeds)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"parley ingest failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout + done.stderr


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, deadline_s: float) -> None:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited {proc.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit not healthy after {deadline_s}s; log: {log}")


@contextmanager
def streamlit_server(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """Serve app.py on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(f"{base}/_stcore/health", proc, log, deadline_s=60)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # Streamlit scrolls inside its main block, so full_page alone stops at the fold: grow the
    # viewport to the content's height for the shot, then put it back
    size = page.viewport_size
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer], body'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": size["width"], "height": min(max(height + 40, size["height"]), 6000)})
    page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def wait_or_shoot(page, locator, timeout_ms: int, name: str) -> None:
    """Wait for `locator`; on timeout, save a screenshot named `name` first (for the report)."""
    try:
        locator.wait_for(timeout=timeout_ms)
    except Exception:
        screenshot(page, f"FAILED-{name}")
        raise


def normalise(text: str) -> str:
    """Collapse whitespace (the browser turns newlines in a span into spaces)."""
    return " ".join(text.split())
