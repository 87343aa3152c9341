"""Write the seed network's description and diagram into the docs and the README.

    python tools/generate_describe_docs.py [--check]

Writes ``docs/examples/vogels_abbott_coba.md`` (``netspec describe``),
``docs/examples/vogels_abbott_coba.svg`` (``netspec describe --diagram``) and the
README's excerpt between ``<!-- describe:begin -->`` and ``<!-- describe:end -->``
(sections A to C). ``--check`` exits 1 when the Markdown or the README is out of date;
the SVG is not compared, since its bytes depend on the installed matplotlib and fonts.
"""

from __future__ import annotations

import sys
from pathlib import Path

import netspec
from netspec.describe import describe
from netspec.describe.diagram import draw

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "specs" / "vogels_abbott_coba.yaml"
MARKDOWN = ROOT / "docs" / "examples" / "vogels_abbott_coba.md"
SVG = ROOT / "docs" / "examples" / "vogels_abbott_coba.svg"
README = ROOT / "README.md"
BEGIN, END = "<!-- describe:begin -->", "<!-- describe:end -->"


def excerpt(markdown: str) -> str:
    """Sections A to C of the description, headings one level down, for the README."""
    body = markdown.split("\n## D.", 1)[0]
    body = body.split("\n## A.", 1)[1]
    lines = ["#### A." + body.replace("\n## ", "\n#### ")]
    return "\n".join(lines).rstrip() + "\n"


def readme_with(readme: str, markdown: str) -> str:
    """The README with its excerpt replaced."""
    head, rest = readme.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{excerpt(markdown)}{END}{tail}"


def main() -> int:
    """Write the files, or with --check exit 1 when the Markdown or README is stale."""
    network = netspec.load(SPEC)
    markdown = describe(network, "markdown")
    readme = README.read_text(encoding="utf-8")
    new_readme = readme_with(readme, markdown)
    if "--check" in sys.argv:
        current = MARKDOWN.read_text(encoding="utf-8") if MARKDOWN.is_file() else ""
        return 0 if current == markdown and new_readme == readme and SVG.is_file() else 1
    MARKDOWN.parent.mkdir(parents=True, exist_ok=True)
    MARKDOWN.write_text(markdown, encoding="utf-8")
    SVG.write_bytes(draw(network, "svg"))
    README.write_text(new_readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
