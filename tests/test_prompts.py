from pathlib import Path

import pytest

from prompts import PROMPTS_DIR, PromptError, load_prompt, load_prompt_file, validate_all


def test_every_shipped_prompt_validates():
    names = {t.name for t in validate_all()}
    assert {"qa", "qa_terse", "condense", "stance", "stance_mc"} <= names


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_placeholder_not_declared_fails_fast_naming_the_file(tmp_path):
    p = _write(tmp_path, "name: x\nprompt: 'Q: {question} {documnets}'\nvariables: [question, documents]\n")
    with pytest.raises(PromptError, match=r"p\.yaml: placeholders .* do not match declared variables"):
        load_prompt_file(p)


def test_bad_yaml_and_unknown_keys_are_one_line_errors(tmp_path):
    with pytest.raises(PromptError, match=r"p\.yaml: line \d+ invalid YAML") as e:
        load_prompt_file(_write(tmp_path, "name: x\nprompt: [unclosed\n"))
    assert "\n" not in str(e.value)
    with pytest.raises(PromptError, match="sytem"):
        load_prompt_file(_write(tmp_path, "name: x\nsytem: hi\nprompt: hi\nvariables: []\n"))


def test_render_requires_exactly_the_declared_variables():
    qa = load_prompt("qa")
    with pytest.raises(PromptError, match="missing variables"):
        qa.render(question="q")
    system, user = qa.render(question="Who?", documents="<document id=1>x</document>")
    assert "Who?" in user and "<document id=1>" in user and system


def test_prompt_by_path_and_missing_prompt(tmp_path):
    assert load_prompt(PROMPTS_DIR / "condense.yaml").name == "condense"
    with pytest.raises(PromptError, match="prompt file not found"):
        load_prompt("no_such_prompt")
