"""Griffe extension: render the reST roles softops docstrings use as Markdown.

The docstrings are Google style but write maths and cross references with the
reST roles ``:math:`...``` and ``:func:`...```, which read well in ``help()``.
mkdocstrings renders Markdown, so before a docstring is parsed this extension
rewrites ``:math:`X``` to ``$X$`` (rendered by pymdownx.arithmatex + MathJax)
and ``:func:`name``` / ``:class:`name``` to an autorefs cross reference
(plain code when the name is not on the API page), and puts one exception per
line in compact ``Raises:`` sections.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_MATH = re.compile(r":math:`([^`]+)`")
_REF = re.compile(r":(?:func|class|meth|attr|mod|data|obj):`~?([\w.]+)`")


def _public() -> set[str]:
    import softops

    return set(softops.__all__)


def _ref(match: re.Match[str]) -> str:
    name = match.group(1)
    short = name.removeprefix("softops.")
    if "." in short or short not in _public():
        return f"`{name}`"  # not on an API page: plain code, never a broken link
    return f"[`{short}`][softops.{short}]"


_EXC = r"[A-Z]\w*(?:Error|Exception|Warning)"
_EXC_ITEM = re.compile(rf"^{_EXC}\s*:")
_EXC_SPLIT = re.compile(rf"(?<=[.;])\s+(?={_EXC}\s*:)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def normalise_raises(text: str) -> str:
    """One ``Error: description`` item per line in a ``Raises:`` section.

    A compact ``TypeError: bad x. ValueError: bad mode, bad`` / ``axis.`` written
    at the item indentation would otherwise be read as a list of exceptions with
    a broken second line. Items run together on one line are split, and lines at
    item indentation that do not start with an exception name become
    continuation lines.
    """
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        if lines[i].strip() != "Raises:":
            i += 1
            continue
        head = _indent(lines[i])
        i += 1
        item = None
        while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > head):
            line = lines[i]
            if line.strip():
                if item is None:
                    item = _indent(line)
                if _indent(line) == item:
                    parts = _EXC_SPLIT.split(line.strip())
                    first = parts[0]
                    pad = " " * (item if _EXC_ITEM.match(first) else item + 2)
                    out.append(pad + first)
                    out.extend(" " * item + p for p in parts[1:])
                    i += 1
                    continue
            out.append(line)
            i += 1
    return "\n".join(out)


def rewrite(text: str) -> str:
    """Rewrite one docstring for Markdown rendering (also used by the tests)."""
    text = _MATH.sub(lambda m: f"${m.group(1)}$", text)
    text = _REF.sub(_ref, text)
    return normalise_raises(text)


class RstRoles(griffe.Extension):
    """Rewrite ``:math:`` and ``:func:`` roles in every docstring."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
