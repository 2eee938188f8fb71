"""MkDocs hook: the API reference page lists the facade's public names, read from ``latentlab.lab.__all__`` when the
site is built, so that the page follows the facade without a list of its own.

In docs/api.md the line ``::: latentlab.lab`` becomes one mkdocstrings entry per name (``::: latentlab.lab.NAME``),
each resolved by mkdocstrings to the object where it is defined.
"""

from __future__ import annotations

import importlib

MARKER = "::: latentlab.lab"


def public_names() -> list[str]:
    return list(importlib.import_module("latentlab.lab").__all__)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if page.file.src_uri != "api.md":
        return markdown
    entries = "\n\n".join(f"{MARKER}.{name}" for name in public_names())
    return "\n".join(entries if line.strip() == MARKER else line for line in markdown.splitlines())
