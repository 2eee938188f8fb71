"""The tables in docs/architecture.md of what is registered (models, metrics, projectors, clusterers) are made from the registries,
so the docs never drift: every entry is named with its description, and the tables are exactly what the
registries give. After adding or changing an entry, rewrite them with ``python3 tests/test_readme_registries.py``."""

import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "docs" / "architecture.md"
BEGIN = "<!-- registries: made by tests/test_readme_registries.py from the registries; run it to rewrite -->"
END = "<!-- registries: end -->"


def families():
    """(heading, what the CLI flag is, registry) per family, in the page's order."""
    from latentlab import lab

    return [("Models", "`--model`", lab.MODELS), ("Metrics", "`--metrics`", lab.METRICS),
            ("Projection methods", "`project --method`", lab.PROJECTORS),
            ("Clustering methods", "`cluster --method`", lab.CLUSTERERS)]


def registry_tables() -> str:
    """The tables, one per family: each entry's name and description, and for a family where some entry declares a
    deviation from its reference implementation, which ones do."""
    parts = []
    for heading, flag, registry in families():
        entries = registry.entries()
        if any(e.deviation for e in entries):
            header = ["| name | what it is | departs from the reference |", "|---|---|---|"]
            rows = [f"| `{e.name}` | {e.description} | {'yes' if e.deviation else ''} |" for e in entries]
        else:
            header = ["| name | what it is |", "|---|---|"]
            rows = [f"| `{e.name}` | {e.description} |" for e in entries]
        parts.append("\n".join([f"{heading} ({flag}):", "", *header, *rows]))
    return "\n\n".join(parts)


def section(text: str) -> str:
    assert BEGIN in text and END in text, "docs/architecture.md has lost its registry tables' markers"
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def test_every_registry_entry_is_named_in_the_readme_with_its_description():
    readme = README.read_text()
    missing = [f"{registry.family} {e.name}" for _, _, registry in families() for e in registry.entries()
               if f"| `{e.name}` | {e.description} |" not in readme]
    assert missing == [], f"not in docs/architecture.md with their descriptions: {missing}; run python3 tests/test_readme_registries.py"


def test_the_readme_tables_are_the_registries():
    assert section(README.read_text()) == registry_tables(), "run python3 tests/test_readme_registries.py"


if __name__ == "__main__":
    sys.path.insert(0, str(README.parent.parent))
    text = README.read_text()
    section(text)
    before, rest = text.split(BEGIN, 1)
    README.write_text(f"{before}{BEGIN}\n\n{registry_tables()}\n\n{END}{rest.split(END, 1)[1]}")
