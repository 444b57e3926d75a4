"""The documentation runs: every ```python block of docs/*.md and of README.md, and every ```bash
block of docs/*.md, is executed as written.

- The python blocks of one page run in order in one namespace (a later block may use what an
  earlier one defined), in a fresh temporary folder as the working directory, with one torch
  thread.
- The bash blocks of a page run in order with ``bash -euo pipefail`` in that page's temporary
  folder, with this interpreter's folder first on PATH (so ``latentmix`` is the installed one).
- A block opts out with ``no-test`` after its language (```python no-test): only for what
  cannot run here (a GPU, torchrun, a download, minutes of training). The test checks that a
  page still has at least one block that runs.

A failing block fails the test with the page, the block's first line number and the traceback
pointing into the page (the code is compiled under the name ``docs/PAGE.md:LINE``).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
README = ROOT / "README.md"
BIN = Path(sys.executable).parent

_FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)[ \t]*([^\n`]*)\n(.*?)^```[ \t]*$", re.M | re.S)


@dataclass
class Block:
    lang: str
    options: tuple[str, ...]
    code: str
    line: int  # 1-based line of the first code line

    @property
    def runs(self) -> bool:
        return "no-test" not in self.options


def blocks(path: Path, lang: str) -> list[Block]:
    """The fenced blocks of ``lang`` in ``path``, in order."""
    text = path.read_text(encoding="utf-8")
    out = []
    for m in _FENCE.finditer(text):
        if m.group(1) == lang:
            out.append(Block(lang, tuple(m.group(2).split()), m.group(3), text.count("\n", 0, m.start(3)) + 1))
    return out


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def run_python_blocks(path: Path, workdir: Path) -> int:
    """Run the page's python blocks in one namespace inside ``workdir``; return how many ran."""
    namespace: dict = {"__name__": "__docs__"}
    ran = 0
    old_cwd, threads = os.getcwd(), torch.get_num_threads()
    os.chdir(workdir)
    torch.set_num_threads(1)
    try:
        for block in blocks(path, "python"):
            if not block.runs:
                continue
            # Pad with newlines so that tracebacks give the line number in the page itself.
            code = compile("\n" * (block.line - 1) + block.code, _rel(path), "exec")
            error = None
            try:
                exec(code, namespace)  # noqa: S102 - the docs' own examples
            except Exception:
                error = traceback.format_exc()
            if error is not None:
                pytest.fail(f"{_rel(path)}: the python block at line {block.line} raised:\n{error}", pytrace=False)
            ran += 1
    finally:
        os.chdir(old_cwd)
        torch.set_num_threads(threads)
        import matplotlib

        if matplotlib.get_backend().lower() != "agg":  # pragma: no cover - a block switched backend
            matplotlib.use("Agg")
    return ran


def run_bash_blocks(path: Path, workdir: Path) -> int:
    """Run the page's bash blocks in ``workdir`` with this venv's ``latentmix`` first on PATH."""
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "OMP_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    ran = 0
    for block in blocks(path, "bash"):
        if not block.runs:
            continue
        result = subprocess.run(["bash", "-euo", "pipefail", "-c", block.code], cwd=workdir, env=env,
                                capture_output=True, text=True, timeout=600)
        if result.returncode != 0:
            pytest.fail(f"{_rel(path)}: the bash block at line {block.line} exited with {result.returncode}:\n"
                        f"{block.code}\n--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n"
                        f"{result.stderr[-4000:]}", pytrace=False)
        ran += 1
    return ran


def test_there_is_a_page_per_capability():
    names = {p.stem for p in PAGES}
    expected = {"index", "autoencoders", "gans", "mixtures", "hybrids", "clustering", "anomaly-detection",
                "metrics", "data", "cli"}
    assert expected <= names, f"missing pages: {sorted(expected - names)}"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    for name in sorted(expected - {"index"}):
        assert f"({name}.md)" in index, f"docs/index.md does not link {name}.md"
    assert "docs/index.md" in README.read_text(encoding="utf-8") or "(docs/)" in README.read_text(encoding="utf-8")


def test_fences_are_balanced():
    """An unclosed fence would silently hide every block after it."""
    for path in [*PAGES, README]:
        fences = [line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("```")]
        assert len(fences) % 2 == 0, f"{_rel(path)} has an unclosed ``` fence"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_page_examples_run(page, tmp_path):
    ran = run_python_blocks(page, tmp_path) + run_bash_blocks(page, tmp_path)
    assert ran > 0, f"{_rel(page)} has no example that runs"


def test_readme_tour_runs(tmp_path):
    """The README's python blocks (its tour of the API), in order, in one namespace: every name
    they use is defined in them, on the digits, with tiny epochs (~40 s with one thread)."""
    ran = run_python_blocks(README, tmp_path)
    assert ran > 0, "README.md has no python block that runs"
