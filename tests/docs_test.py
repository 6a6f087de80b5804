"""The docs site's own machinery: doctest rendering, shipped KaTeX, pins.

`make test` builds the site with `mkdocs build --strict`; these tests pin
what that build cannot see: that doctests become code blocks with their
output, that every file the pages load ships in docs/, and that the docs
toolchain cannot move to an untested release.
"""

import importlib.util
import pathlib
import re

import pytest
import tomllib

ROOT = pathlib.Path(__file__).parents[1]
DOCS = ROOT / "docs"


def _doctest_blocks():
    pytest.importorskip("griffe")
    path = DOCS / "_hooks" / "doctest_blocks.py"
    spec = importlib.util.spec_from_file_location("doctest_blocks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_doctests_become_pycon_blocks_with_their_output():
    text = "\n".join([
        "Example:",
        "",
        ">>> x = 1 + 1  # doctest: +ELLIPSIS",
        ">>> f(x,",
        "...   2)",
        "3",
        "",
        "Text after.",
    ])
    assert _doctest_blocks().fence_doctests(text).split("\n") == [
        "Example:",
        "",
        "```pycon",
        ">>> x = 1 + 1",
        ">>> f(x,",
        "...   2)",
        "3",
        "```",
        "",
        "Text after.",
    ]


def test_indented_doctests_keep_their_indentation():
    text = "Args:\n    x: a value.\n\n    >>> x\n    1\n"
    assert _doctest_blocks().fence_doctests(text) == (
        "Args:\n    x: a value.\n\n    ```pycon\n    >>> x\n    1\n"
        "    ```\n"
    )


def test_prompts_inside_fenced_code_are_left_alone():
    text = "```python\n>>> not a doctest\n```\n"
    assert _doctest_blocks().fence_doctests(text) == text


def _mkdocs_list(key):
    text = (ROOT / "mkdocs.yml").read_text()
    block = re.search(rf"^{key}:\n((?:  - .*\n)+)", text, re.M)
    assert block, f"mkdocs.yml has no {key} list"
    return re.findall(r"  - (\S+)", block.group(1))


@pytest.mark.parametrize("key", ["extra_css", "extra_javascript"])
def test_every_asset_the_pages_load_is_shipped(key):
    files = _mkdocs_list(key)
    assert files
    for name in files:
        assert not name.startswith(("http:", "https:", "//")), (
            f"{name}: the site must build and render without a network")
        assert (DOCS / name).is_file(), f"{name} is not in docs/"


def test_katex_fonts_referenced_by_its_css_are_shipped():
    css = (DOCS / "assets" / "katex" / "katex.min.css").read_text()
    fonts = re.findall(r"url\((fonts/[^)]+)\)", css)
    assert len(fonts) == 20
    for font in fonts:
        assert (DOCS / "assets" / "katex" / font).is_file(), font


def test_docs_toolchain_has_upper_bounds():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    docs = pyproject["project"]["optional-dependencies"]["docs"]
    names = {re.match(r"[A-Za-z0-9_.-]+", req).group(0).lower()
             for req in docs}
    assert {"mkdocs", "mkdocs-material", "mkdocstrings",
            "mkdocstrings-python", "griffelib"} <= names
    for req in docs:
        assert re.search(r"<\s*[0-9]", req), f"{req!r} has no upper bound"


def test_theme_loads_no_web_fonts():
    # Material would otherwise load Roboto from a font CDN on every page.
    assert re.search(r"^  font: false$", (ROOT / "mkdocs.yml").read_text(),
                     re.M)
