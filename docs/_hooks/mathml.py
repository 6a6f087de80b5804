"""MkDocs hook: turn the math that `pymdownx.arithmatex` marks into MathML.

With `generic: true`, arithmatex wraps `$...$` in
`<span class="arithmatex">\\(...\\)</span>` and `$$...$$` in
`<div class="arithmatex">\\[...\\]</div>`, leaving the LaTeX to a
JavaScript renderer. This hook converts it at build time with
`latex2mathml` (pure Python) instead, so the site needs no JavaScript,
no CDN and no network to build or to show formulas: browsers render
MathML natively. LaTeX that `latex2mathml` cannot convert stops the
build with the page and the formula in the message.
"""

import html
import re

from latex2mathml.converter import convert

_INLINE = re.compile(
    r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.DOTALL
)
_BLOCK = re.compile(
    r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.DOTALL
)


def _to_mathml(latex, display, page):
    latex = html.unescape(latex).strip()
    try:
        return convert(latex, display=display)
    except Exception as error:  # latex2mathml raises several types
        raise ValueError(
            f"{page.file.src_path}: cannot convert the formula {latex!r} "
            f"to MathML: {error}"
        ) from error


def on_page_content(html_text, page, config, files):
    """Replaces arithmatex's inline and display math with MathML."""
    html_text = _BLOCK.sub(
        lambda m: '<div class="math-display">'
        + _to_mathml(m.group(1), "block", page) + "</div>",
        html_text,
    )
    return _INLINE.sub(
        lambda m: _to_mathml(m.group(1), "inline", page), html_text
    )
