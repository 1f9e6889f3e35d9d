"""`make lint` inside the test suite (CI runs only `make test`): the layers contract, no import
cycles, ruff, every module importable on its own, imports inside functions only with a reason,
and no module over 300 lines."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ("parley", "chains", "vectorstore", "prompts", "evals")


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_import_layers_and_acyclic_contracts_are_kept():
    out = _run(str(BIN / "lint-imports"))
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_ruff_is_clean():
    out = _run(str(BIN / "ruff"), "check", ".")
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def _modules() -> list[str]:
    mods = []
    for pkg in PACKAGES:
        for path in sorted((REPO / pkg).rglob("*.py")):
            if path.name == "__main__.py":  # runs the program when imported
                continue
            parts = path.relative_to(REPO).with_suffix("").parts
            mods.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return mods


def test_every_module_imports_first_in_a_fresh_interpreter():
    """A cycle shows up only when its far end is imported first: try each module first, alone."""
    code = (
        "import importlib, sys\n"
        "ours = set(sys.argv[1].split(','))\n"
        "failed = []\n"
        "for mod in sys.argv[2:]:\n"
        "    for name in [m for m in sys.modules if m.split('.')[0] in ours]:\n"
        "        del sys.modules[name]\n"
        "    try:\n"
        "        importlib.import_module(mod)\n"
        "    except Exception as exc:\n"
        "        failed.append(f'{mod}: {type(exc).__name__}: {exc}')\n"
        "print('\\n'.join(failed))\n"
        "sys.exit(1 if failed else 0)\n"
    )
    mods = _modules()
    assert len(mods) > 50
    out = _run(sys.executable, "-c", code, ",".join(PACKAGES), *mods)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]


@pytest.mark.parametrize("module", ["parley.cli", "parley.service"])
def test_heavy_libraries_load_only_when_a_command_needs_them(module):
    """The CLI starts without llama.cpp, Chroma, onnxruntime, Streamlit or Playwright."""
    heavy = ("llama_cpp", "chromadb", "onnxruntime", "streamlit", "playwright")
    code = f"import sys, {module}; print(','.join(h for h in {heavy!r} if h in sys.modules))"
    out = _run(sys.executable, "-c", code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == ""


def test_no_module_over_300_lines():
    """The house rule: small modules with one job (split a module before it passes 300)."""
    files = _python_files()
    long = {str(p.relative_to(REPO)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 300}
    assert len(files) > 100 and long == {}


def _python_files() -> list[Path]:
    return [REPO / "app.py",
            *(p for d in (*PACKAGES, "tests", "bench") for p in (REPO / d).rglob("*.py"))]


def test_imports_inside_functions_say_why():
    """An import inside a function must save real start-up time and say so in a comment (on its
    line or just above); otherwise it belongs at the top of the module."""
    silent = []
    for path in _python_files():
        src = path.read_text(encoding="utf-8")
        lines = src.splitlines()
        for fn in ast.walk(ast.parse(src)):
            if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(fn):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    here, i = lines[node.lineno - 1], node.lineno - 2
                    while lines[i].strip().startswith(("import ", "from ")):  # a block of them
                        i -= 1
                    if "#" not in here and not lines[i].strip().startswith("#"):
                        silent.append(f"{path.relative_to(REPO)}:{node.lineno}: {here.strip()}")
    assert silent == [], "move these to the top, or say in a comment why they are lazy:\n" + \
        "\n".join(sorted(set(silent)))
