"""Build hook: a wheel carries the dashboard (app.py, dashboard.py, pages/, checkpoints/ and
.streamlit/config.toml) inside the package.

In a checkout they stay at the top level, where ``streamlit run app.py`` finds them; a built package gets a
copy under ``latentlab/_dashboard/``, so ``latentlab serve`` works from any directory
(``latentlab.core.workspace.dashboard_root``; it runs Streamlit in that folder, which is where Streamlit reads
``.streamlit/config.toml``). MANIFEST.in puts the same files into a source distribution. Everything else is
declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Only Streamlit's config from .streamlit/: a local secrets.toml beside it must never be packaged.
DASHBOARD = ["app.py", "dashboard.py", "pages", "checkpoints", ".streamlit/config.toml"]


class BuildWithDashboard(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install uses the checkout itself
            return
        target = Path(self.build_lib) / "latentlab" / "_dashboard"
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name in DASHBOARD:
            source = ROOT / name
            if not source.exists():
                raise FileNotFoundError(f"{source} is missing: the package is built from a LatentLab checkout "
                                        "or a source distribution that holds the dashboard (see MANIFEST.in)")
            if source.is_dir():
                shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


setup(cmdclass={"build_py": BuildWithDashboard})
