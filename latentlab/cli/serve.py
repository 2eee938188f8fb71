"""``latentlab serve``: the dashboard. The command replaces itself with Streamlit's server (``os.execvp``), so
the server is the process that was started: a signal that stops ``latentlab serve`` stops the server and frees
its port.

It says first which mode the server runs in: a single person's (no ``[auth]`` in the secrets Streamlit will
read, one workspace as ever) or a lab's (sign-in, a workspace per person; see docs/serving.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from latentlab.core.errors import LatentLabError


def streamlit_command(app, port: int, address: str | None = None, base_path: str | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.headless", "true"]
    if address:
        cmd += ["--server.address", address]
    if base_path:
        cmd += ["--server.baseUrlPath", base_path.strip("/")]
    return cmd


def secrets_files(app_dir: Path) -> list[Path]:
    """The secrets files Streamlit reads for a server started in ``app_dir``, later ones winning."""
    return [Path.home() / ".streamlit" / "secrets.toml", app_dir / ".streamlit" / "secrets.toml"]


def serving_mode(app_dir: Path) -> str:
    """The mode in words: sign-in when a secrets file has an ``[auth]`` section, else a single person's."""
    import tomllib

    for path in reversed(secrets_files(app_dir)):
        try:
            section = tomllib.loads(path.read_text()).get("auth")
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise LatentLabError(f"{path} could not be read ({exc}); fix the file or remove it.") from None
        if section:
            return f"a lab's server with sign-in ([auth] in {path}): a workspace per person"
    return "a single person's dashboard (no [auth] section in .streamlit/secrets.toml): one workspace"


def cmd_serve(args) -> None:
    from latentlab.core.workspace import dashboard_root

    app = dashboard_root() / "app.py"
    if not app.exists():
        raise LatentLabError(f"The dashboard's app.py was not found at {app}; reinstall LatentLab (pip install latentlab).")
    cmd = streamlit_command(app, args.port, args.address, args.base_path)
    print(f"Serving {serving_mode(app.parent)}.")
    os.chdir(app.parent)  # where Streamlit reads .streamlit/config.toml and .streamlit/secrets.toml
    sys.stdout.flush()
    sys.stderr.flush()
    os.execvp(cmd[0], cmd)


def register(add, sub) -> None:
    p = add("serve", cmd_serve, "start the dashboard", json_flag=False)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", help="the address the server listens on (default: Streamlit's, all interfaces)")
    p.add_argument("--base-path", help="the path the server is served under behind a reverse proxy (e.g. latentlab)")
