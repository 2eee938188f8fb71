"""A built wheel works outside the checkout: installed into a fresh environment, its command line lists the
shipped demo checkpoints and serves the dashboard from any directory."""

import importlib.util
import json
import os
import signal
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server import free_port

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the environment's bin folder, a working directory outside the checkout, its environment variables)."""
    if importlib.util.find_spec("venv") is None:
        pytest.skip("the venv module is not available")
    tmp = tmp_path_factory.mktemp("package")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", str(ROOT),
                            "-w", str(tmp / "dist")], capture_output=True, text=True)
    if built.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {built.stderr.strip()[-300:]}")
    wheel = next((tmp / "dist").glob("latentlab-*.whl"))
    env_dir = tmp / "env"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], capture_output=True, text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot create a virtual environment here: {made.stderr.strip()[-300:]}")
    python = env_dir / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # The installed dependencies (torch and the rest) are reused: a path line in a .pth file is added to
    # sys.path without running that folder's own .pth files, so this checkout's editable install stays out.
    installed_dirs = site.getsitepackages() + [d for d in [site.getusersitepackages()] if Path(d).is_dir()]
    Path(purelib, "installed-dependencies.pth").write_text("\n".join(installed_dirs) + "\n")
    # --ignore-installed: the reused folders may hold this checkout's editable install at the same version, which pip
    # would take as the wheel already installed; the wheel goes into this environment whatever is installed there,
    # and nothing outside it is uninstalled or changed.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index",
                    "--ignore-installed", str(wheel)], check=True, capture_output=True)
    assert (env_dir / "bin" / "latentlab").is_file(), "the wheel was not installed into the fresh environment"
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LATENTLAB_SHIPPED_CHECKPOINTS")}
    env["LATENTLAB_HOME"] = str(tmp / "home")
    return env_dir / "bin", elsewhere, env


def test_the_wheel_is_imported_from_the_environment_not_the_checkout(installed):
    bin_dir, elsewhere, env = installed
    code = "import latentlab, latentlab.core.workspace as w; print(latentlab.__file__); print(w.dashboard_root())"
    out = subprocess.run([str(bin_dir / "python"), "-c", code], cwd=elsewhere, env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    package, root = Path(out[0]), Path(out[1])
    assert bin_dir.parent in package.parents and ROOT not in package.parents
    assert root == package.parent / "_dashboard"
    assert {"app.py", "dashboard.py", "pages", "checkpoints"} <= {p.name for p in root.iterdir()}
    assert {p.name for p in (root / "pages").glob("*.py")} == {p.name for p in (ROOT / "pages").glob("*.py")}


def test_the_installed_dashboard_runs_with_the_projects_streamlit_config(installed):
    """`latentlab serve` runs Streamlit in the packaged folder, where Streamlit reads .streamlit/config.toml."""
    bin_dir, elsewhere, env = installed
    code = "import latentlab.core.workspace as w; print(w.dashboard_root())"
    root = Path(subprocess.run([str(bin_dir / "python"), "-c", code], cwd=elsewhere, env=env, capture_output=True,
                               text=True, check=True).stdout.strip())
    config = root / ".streamlit" / "config.toml"
    assert config.read_text() == (ROOT / ".streamlit" / "config.toml").read_text()
    assert [p.name for p in config.parent.iterdir()] == ["config.toml"]  # never a local secrets.toml
    shown = subprocess.run([str(bin_dir / "python"), "-m", "streamlit", "config", "show"], cwd=root, env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert 'showErrorDetails = "none"' in shown.stdout


def test_the_installed_command_lists_the_shipped_checkpoints_from_another_directory(installed):
    bin_dir, elsewhere, env = installed
    out = subprocess.run([str(bin_dir / "latentlab"), "checkpoints", "--json"], cwd=elsewhere, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    names = {row["name"] for row in json.loads(out.stdout)}
    assert {"digits-vae", "shapes-beta-vae", "shapes-beta-tcvae"} <= names


def test_the_installed_command_serves_the_dashboard_from_another_directory(installed):
    bin_dir, elsewhere, env = installed
    port = free_port()
    server = subprocess.Popen([str(bin_dir / "latentlab"), "serve", "--port", str(port)], cwd=elsewhere, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 90
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            assert server.poll() is None and time.time() < deadline, server.stdout.read().decode()[-2000:]
            time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200
        # the map's code, served from the installed package's component manifest
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/bidi-components/latentlab.map/map.js",
                                    timeout=10) as r:
            assert r.status == 200 and b"regl" in r.read()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(20)
