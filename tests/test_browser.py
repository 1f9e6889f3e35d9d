"""The page in a real headless Chromium, over the seeds, with the real embedded model.

Slow by nature (the 0.5B model answers in ~30-60 s on two cores), so timeouts are generous and
one server is shared by the tests of this module.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_helpers import require_llama_cpp

from tests.browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REPO,
    ingest_seeds,
    normalise,
    parley_env,
    screenshot,
    streamlit_server,
    wait_or_shoot,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]
QUESTION = "Who held the first high-level US-Russia contact after the invasion?"
ANSWER_TIMEOUT_MS = 300_000
BRIEF_TIMEOUT_MS = 900_000  # first need: ~27 one-token stance calls (seeds, Russia) on a busy 2-core CPU
SPAN = re.compile(r"^(?P<source>\S+) · characters (?P<start>\d+)–(?P<end>\d+)$")


@pytest.fixture(scope="module")
def server(local_gguf: Path, tmp_path_factory) -> Iterator[str]:
    """`parley ingest seeds/` into a fresh data dir, then `streamlit run app.py` on it."""
    require_llama_cpp()
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install -y chromium chromium-driver")
    work = tmp_path_factory.mktemp("browser")
    env = parley_env(work / "data", PARLEY_LLM_BACKEND="local",
                     PARLEY_LOCAL_MODEL_PATH=str(local_gguf), PARLEY_N_THREADS="2",
                     PARLEY_MAX_TOKENS="160")
    ingest_seeds(REPO / "seeds", env, cwd=work)
    shutil.copytree(REPO / ".streamlit", work / ".streamlit")  # streamlit reads config from cwd
    with streamlit_server(env, cwd=work, log=work / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Debian's Chromium through Playwright (no browser download)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
    yield page
    page.close()


def test_question_gets_answer_whose_highlight_is_the_cited_text(page):
    # lazy: playwright is optional here (the browser fixture skips without it)
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    box = page.get_by_test_id("stChatInputTextArea")
    asked = page.get_by_test_id("stChatMessage").filter(has_text=QUESTION)
    for _ in range(3):  # a keypress during the page's first rerun can be lost: press again
        box.fill(QUESTION)
        box.press("Enter")
        try:
            asked.first.wait_for(timeout=15_000)
            break
        except PlaywrightTimeout:
            continue
    # evidence first: the articles' own sentences are on the page before the model has finished
    wait_or_shoot(page, page.locator(".parley-evidence").first, 60_000, "chat-evidence")
    assert page.locator(".parley-answer").count() == 0
    assert "From the articles" in page.locator(".parley-evidence").first.inner_text()
    screenshot(page, "chat-evidence")
    wait_or_shoot(page, page.locator(".parley-answer").first, ANSWER_TIMEOUT_MS, "chat-answer")
    screenshot(page, "chat-answer")
    answer = page.locator(".parley-answer").first.inner_text()
    assert "articles don" not in answer, f"the model abstained: {answer}"
    assert re.search(r"\[\d+\]", answer), answer

    expander = page.get_by_test_id("stExpander").filter(has_text="[1]").first
    expander.locator("summary").click()
    mark = expander.locator('mark.parley-cite[data-n="1"]')
    mark.wait_for(timeout=10_000)
    caption = expander.get_by_test_id("stCaptionContainer").inner_text().strip()
    where = SPAN.match(caption)
    assert where, caption
    original = (REPO / "seeds" / where["source"]).read_text(encoding="utf-8")
    cited = original[int(where["start"]) : int(where["end"])]
    assert cited.strip() and normalise(mark.inner_text()) == normalise(cited)
    assert mark.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
    expander.scroll_into_view_if_needed()
    screenshot(page, "chat-citation-open")


def test_brief_for_russia_renders_stance_timeline(page):
    page.get_by_role("tab", name=re.compile("Briefs")).click()
    page.get_by_text("Actor").first.wait_for(timeout=30_000)
    select = page.get_by_test_id("stSelectbox").first
    select.click()
    page.get_by_role("option", name="Russia", exact=True).click()
    page.get_by_role("button", name="Write brief").click()
    chart = page.get_by_test_id("stVegaLiteChart").first
    wait_or_shoot(page, chart, BRIEF_TIMEOUT_MS, "brief-russia")
    chart.locator("canvas, svg").first.wait_for(timeout=30_000)
    assert page.get_by_role("heading", name=re.compile("^Russia on")).count() >= 1
    screenshot(page, "brief-russia")


# --- hostile file names and article texts: no script runs (issue 13) -------------------------
HOSTILE_NAME = '<iframe srcdoc="<script>alert(3)<&#47;script>">.txt'
XSS = ('<img src=x onerror=alert(1)> "><script>alert(2)</script> <svg onload=alert(7)> '
       "[click](javascript:alert(4))")
SENTINEL = "sk-SENTINEL-0d6f2b9a41c7e8"


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory) -> Iterator[str]:
    """`parley ingest` of hostile files (fake models, no LLM needed), then the page on them."""
    if not CHROMIUM.exists():
        pytest.skip("chromium not installed: apt-get install -y chromium chromium-driver")
    work = tmp_path_factory.mktemp("hostile")
    corpus = work / "corpus"
    corpus.mkdir()
    body = (f"Geneva, 3 March. {XSS}\n\nThe foreign minister said the talks would resume next "
            "week. “We are ready to listen,” she told reporters after the meeting.\n\n") * 2
    (corpus / HOSTILE_NAME).write_text(body)
    (corpus / (HOSTILE_NAME.removesuffix(".txt") + ".meta.json")).write_text(json.dumps(
        {"title": f"<script>alert(6)</script> Talks {XSS}", "outlet": XSS, "date": "2022-03-17"}))
    (corpus / "<img src=x onerror=alert(8)>.md").write_text(f"# {XSS}\n\n{body}")
    env = parley_env(work / "data", PARLEY_LLM_BACKEND="fake", PARLEY_EMBEDDING_BACKEND="fake",
                     PARLEY_OPENAI_API_KEY=SENTINEL, PARLEY_EMBEDDING_API_KEY=SENTINEL)
    ingest_seeds(corpus, env, cwd=work)
    shutil.copytree(REPO / ".streamlit", work / ".streamlit")
    with streamlit_server(env, cwd=work, log=work / "streamlit.log") as url:
        yield url


def test_hostile_names_and_texts_run_no_script(browser, hostile_server):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server)
    page.get_by_test_id("stChatInputTextArea").wait_for(timeout=60_000)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill("What did the foreign minister say about the talks?")
    box.press("Enter")
    page.get_by_test_id("stChatMessage").nth(1).wait_for(timeout=120_000)
    for summary in page.get_by_test_id("stExpander").locator("summary").all():
        summary.click()
    page.get_by_role("tab", name=re.compile("Corpus")).click()
    page.get_by_text("documents").first.wait_for(timeout=30_000)
    page.wait_for_timeout(3_000)  # time for any injected handler to fire
    screenshot(page, "hostile-corpus")
    assert dialogs == [], dialogs
    page.get_by_text(HOSTILE_NAME, exact=False).first.wait_for(timeout=10_000)  # shown as text
    text = page.locator("body").inner_text()
    html = page.content()
    page.close()
    assert dialogs == []
    assert HOSTILE_NAME in text and "onerror=alert(1)" in text  # the attack is visible as text
    assert SENTINEL not in html
    for tag in ("<iframe srcdoc", "<img src=\"x\"", "<svg onload", "href=\"javascript:"):
        assert tag not in html, tag
