"""The documentation: API reference complete, docstrings complete, snippets run, README.

The MkDocs build itself is a separate make target (it needs the docs extra);
this file runs the same checks as ``scripts/check_api_docs.py`` without it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from pathlib import Path

import pytest

import softops as so

ROOT = Path(__file__).resolve().parent.parent


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def api_docs():
    return _load(ROOT / "scripts" / "check_api_docs.py", "softops_check_api_docs")


# ------------------------------------------------------------------ API reference
def test_api_reference_and_docstrings_complete(api_docs):
    problems = api_docs.check()
    assert not problems, "API documentation check failed:\n" + "\n".join(problems)


def test_generated_api_page_lists_every_public_name(api_docs):
    text = api_docs.generate()
    entries = re.findall(r"^::: softops\.(\w+)$", text, flags=re.M)
    assert sorted(entries) == sorted(so.__all__)
    assert len(entries) == len(set(entries)), "a name is listed twice"


def test_api_page_groups_operators_by_registry_family(api_docs):
    grouped = dict(api_docs.groups())
    for name, entry in so.operators().items():
        if name in so.__all__:
            assert name in grouped[api_docs._title(entry.family)]


def test_checker_reports_each_missing_section(api_docs):
    def undocumented(x, /, *, temperature=1.0):
        """Summary only.

        Args:
          x: an array.
          mode: not a parameter.
        """

    problems = "\n".join(api_docs.check_operator_docstring("undocumented", undocumented))
    for title in ("Returns", "Points of non-differentiability", "Examples"):
        assert f"no '{title}:' section" in problems
    assert "'temperature' is not described" in problems
    assert "describes 'mode'" in problems


def test_checker_accepts_shared_argument_entries(api_docs):
    def two(a, b, /):
        """Summary.

        Args:
          a, b: arrays.

        Returns:
          An array.

        Points of non-differentiability:
          None.

        Examples:
          >>> 1
          1
        """

    assert api_docs.check_operator_docstring("two", two) == []


# ------------------------------------------------------------ docstring rendering
def test_rst_roles_become_markdown():
    pytest.importorskip("griffe", reason="the docs extra (griffe) is not installed")
    roles = _load(ROOT / "docs" / "_ext" / "rst_roles.py", "softops_rst_roles")
    assert roles.rewrite(r"is :math:`t\,S(x/t)`.") == r"is $t\,S(x/t)$."
    assert roles.rewrite(":func:`relu`") == "[`relu`][softops.relu]"
    assert roles.rewrite(":func:`softops.relu`") == "[`relu`][softops.relu]"
    assert roles.rewrite(":func:`not_a_public_name`") == "`not_a_public_name`"
    raises = "Raises:\n  TypeError: bad x. ValueError: bad mode,\n  or bad axis.\n\nExamples:\n  >>> 1"
    assert roles.rewrite(raises).splitlines()[:4] == [
        "Raises:",
        "  TypeError: bad x.",
        "  ValueError: bad mode,",
        "    or bad axis.",
    ]


# ------------------------------------------------------------------------ gallery
def test_gallery_draws_every_relu_and_step_like_operator():
    pytest.importorskip("matplotlib", reason="the docs extra (matplotlib) is not installed")
    gallery = _load(ROOT / "scripts" / "gallery.py", "softops_gallery")
    for name, entry in so.operators().items():
        if entry.kind in ("relu-like", "step-like"):
            assert gallery.elementwise_slice(entry) is not None, f"{name} has no 1-D gallery view"


# ------------------------------------------------------------------ page snippets
def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), flags=re.M | re.S)


@pytest.mark.parametrize("page", ["index.md", "concepts.md"])
def test_page_snippets_run(page):
    blocks = _python_blocks(ROOT / "docs" / page)
    assert blocks, f"docs/{page} has no python snippet"
    for block in blocks:
        with contextlib.redirect_stdout(io.StringIO()):
            exec(compile(block, f"docs/{page}", "exec"), {})  # noqa: S102 - our own docs


# -------------------------------------------------------------------------- README
def _commands(markdown: str) -> list[str]:
    """Shell commands from fenced code blocks, in order (prompts and comments stripped)."""
    out = []
    for lang, body in re.findall(r"^```(\w*)[^\n]*\n(.*?)^```", markdown, flags=re.M | re.S):
        if lang not in ("", "bash", "sh", "shell", "console", "zsh"):
            continue
        for line in body.splitlines():
            line = line.strip().removeprefix("$ ").strip()
            if line and not line.startswith("#"):
                out.append(line.split(" #", 1)[0].strip())
    return out


def test_readme_starts_with_make_demo_and_make_test():
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet (the lead writes it)")
    commands = _commands(readme.read_text(encoding="utf-8"))
    assert commands[:2] == ["make demo", "make test"], (
        f"README.md's first commands should be `make demo` then `make test`, found {commands[:2]}"
    )
