"""Helpers for the real-browser test: run `streamlit run app.py`, drive Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from proc_helpers import free_port, served

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# no network chatter, no sandbox (containers run as root), no GPU
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


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


@contextmanager
def streamlit_server(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """Serve app.py on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
           "--server.headless", "true", "--server.address", "127.0.0.1",
           "--server.port", str(port), "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    base = f"http://127.0.0.1:{port}"
    with served(cmd, f"{base}/_stcore/health", log, name="streamlit", deadline_s=60, env=env, cwd=cwd):
        yield base


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
