"""A dashboard server with sign-in for the browser tests and benchmarks: a project folder whose
``.streamlit/secrets.toml`` has ``[auth]`` pointing at a mock OIDC provider (``oidc-provider-mock``, started by
the caller), its ``streamlit run``, and a browser page signed in as one of the provider's people."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.e2e.server import ROOT

PEOPLE = {"alice": "Alice Liddell", "bob": "Bob Marley", **{f"member{k}": f"Member {k}" for k in range(3, 9)}}


def project(folder: Path, port: int, provider_port: int) -> Path:
    """A project folder serving the dashboard, with sign-in configured in its secrets."""
    folder.mkdir()
    for name in ("app.py", "dashboard.py", "pages", "checkpoints"):
        (folder / name).symlink_to(ROOT / name)
    (folder / ".streamlit").mkdir()
    shutil.copy(ROOT / ".streamlit" / "config.toml", folder / ".streamlit" / "config.toml")
    (folder / ".streamlit" / "secrets.toml").write_text(f"""
[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "{os.urandom(24).hex()}"
client_id = "latentlab"
client_secret = "lab-secret"
server_metadata_url = "http://localhost:{provider_port}/.well-known/openid-configuration"

[latentlab]
max_running_jobs = 1
max_stored_mb = 50
""")
    return folder


@contextlib.contextmanager
def signed_in_dashboard(folder: Path, home: Path, port: int, timeout: float = 60.0):
    """Yield the URL of a ``streamlit run`` of ``folder`` (made by ``project``) using workspace ``home``."""
    env = {**os.environ, "LATENTLAB_HOME": str(home), "LATENTLAB_RUNNER_IDLE_S": "5"}
    log = open(folder.parent / "streamlit.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "localhost", "--server.fileWatcherType", "none"],
                            cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://localhost:{port}"
    try:
        deadline = time.time() + timeout
        while True:
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError((folder.parent / "streamlit.log").read_text()[-2000:])
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(10)
        proc.kill()
        log.close()


def sign_in(page, url: str, sub: str):
    """Sign ``page`` in as the provider's predefined person ``sub`` and wait for the dashboard."""
    page.goto(url)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name=sub, exact=True).click()  # the provider's predefined people
    page.get_by_text(f"Signed in as {PEOPLE[sub]}").wait_for(timeout=60_000)  # the caller goes on to its page
    return page
