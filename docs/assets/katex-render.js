// Renders the math that pymdownx.arithmatex (generic mode) marks, with the
// KaTeX shipped in assets/katex: no CDN, no network. Material's instant
// navigation is off, so running once per page load is enough.
document.addEventListener("DOMContentLoaded", function () {
  renderMathInElement(document.body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: true,
  });
});
