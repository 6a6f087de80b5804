"""Griffe extension: render docstring doctests as code with their output.

The package's docstrings follow Keras: an `Example:` line, then `>>>`
prompts at the docstring's own indentation. Markdown would read `>>>` as
nested block quotes, so each doctest block (prompts, continuation lines
and expected output, up to a blank line, as `doctest` reads it) is fenced
as `pycon` before mkdocstrings renders the docstring. `# doctest:` flags
are dropped. The source docstrings, and `help()`, are left as they are.
"""

import re

import griffe

_FLAGS = re.compile(r"\s*#\s*doctest:.*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def fence_doctests(text):
    """Returns `text` with every doctest block fenced as `pycon`."""
    lines = text.split("\n")
    out = []
    in_fence = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if _FENCE.match(line):
            in_fence = not in_fence
            out.append(line)
            i += 1
            continue
        stripped = line.lstrip()
        if in_fence or not stripped.startswith(">>>"):
            out.append(line)
            i += 1
            continue
        indent = line[: len(line) - len(stripped)]
        block = []
        while i < len(lines) and lines[i].strip():
            body = lines[i][len(indent):] if lines[i].startswith(indent) \
                else lines[i].lstrip()
            if body.startswith((">>>", "...")):
                body = _FLAGS.sub("", body)
            block.append(indent + body)
            i += 1
        out += [indent + "```pycon", *block, indent + "```"]
    return "\n".join(out)


class DoctestBlocks(griffe.Extension):
    """Fences the doctest blocks of every docstring Griffe loads."""

    def on_instance(self, *, node, obj, agent, **kwargs):
        if obj.docstring is not None and ">>>" in obj.docstring.value:
            obj.docstring.value = fence_doctests(obj.docstring.value)
