"""The documentation site (mkdocs.yml, docs/) builds with ``mkdocs build --strict``: no broken link, no missing page,
no docstring mkdocstrings cannot read. Its API reference holds exactly the facade's public names
(``latentlab.lab.__all__``), and every page under docs/ is in the navigation. Skipped without the ``docs`` extra."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")
pytest.importorskip("mkdocstrings_handlers.python")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)], cwd=ROOT,
                          capture_output=True, text=True, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin",
                                                               "HOME": str(out)})
    assert done.returncode == 0, done.stderr[-3000:]
    return out


def test_the_site_builds_strictly_with_every_page(site):
    for page in ["index.html", "api/index.html", "benchmarks/index.html", "tutorials/first-map/index.html"]:
        assert (site / page).is_file(), page
    assert "Command-line start-up" in (site / "benchmarks" / "index.html").read_text()  # benchmarks/README.md shown


def test_the_api_reference_is_the_facade(site):
    from latentlab import lab

    html = (site / "api" / "index.html").read_text()
    documented = set(re.findall(r'id="latentlab\.lab\.(\w+)"', html))
    assert documented == set(lab.__all__)


def test_every_page_is_in_the_navigation():
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # mkdocs' own tags (!relative)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=Loader)

    def pages(nav):
        for item in nav:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            yield from pages(value) if isinstance(value, list) else [value]

    in_nav = set(pages(config["nav"]))
    on_disk = {str(p.relative_to(ROOT / "docs")) for p in (ROOT / "docs").rglob("*.md")}
    assert on_disk - in_nav == set(), "add these pages to mkdocs.yml's nav"
    assert in_nav - on_disk == set(), "mkdocs.yml's nav names pages that do not exist"
