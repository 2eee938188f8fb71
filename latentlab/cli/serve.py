"""``latentlab serve``: the dashboard. The command replaces itself with Streamlit's server (``os.execvp``), so
the server is the process that was started: a signal that stops ``latentlab serve`` stops the server and frees
its port."""

from __future__ import annotations

import os
import sys

from latentlab.core.errors import LatentLabError


def streamlit_command(app, port: int, address: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.headless", "true"]
    if address:
        cmd += ["--server.address", address]
    return cmd


def cmd_serve(args) -> None:
    from latentlab.core.workspace import dashboard_root

    app = dashboard_root() / "app.py"
    if not app.exists():
        raise LatentLabError(f"The dashboard's app.py was not found at {app}; reinstall LatentLab (pip install latentlab).")
    cmd = streamlit_command(app, args.port, args.address)
    os.chdir(app.parent)  # where Streamlit reads .streamlit/config.toml
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(cmd[0], cmd)


def register(add, sub) -> None:
    p = add("serve", cmd_serve, "start the dashboard", json_flag=False)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", help="the address the server listens on (default: Streamlit's, all interfaces)")
