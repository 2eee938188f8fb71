import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from latentlab.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_loop_end_to_end(workspace, tmp_path, capsys):
    code, out, _ = run(capsys, "train", "--dataset", "digits", "--model", "vae", "--latent-dim", "4",
                       "--epochs", "1", "--batch-size", "64", "--name", "cli-vae", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["name"] == "cli-vae" and info["step"] == 29 and "loss" in info["terms"]

    code, out, _ = run(capsys, "checkpoints", "--json")
    assert "cli-vae" in [r["name"] for r in json.loads(out)]

    assert run(capsys, "embed", "cli-vae", "--out", str(tmp_path / "e.npz"))[0] == 0
    with np.load(tmp_path / "e.npz") as z:
        assert z["mean"].shape == (1797, 4) and z["kl"].shape == (1797, 4) and z["labels"].shape == (1797,)
        assert z["recon_error"].shape == (1797,)

    assert run(capsys, "project", "cli-vae", "--method", "pca", "--dims", "3", "--out", str(tmp_path / "p.csv"))[0] == 0
    proj = pd.read_csv(tmp_path / "p.csv")
    assert len(proj) == 1797 and {"pca_1", "pca_2", "pca_3", "digit"} <= set(proj.columns)

    assert run(capsys, "cluster", "cli-vae", "--method", "kmeans", "--k", "10", "--out", str(tmp_path / "c.csv"))[0] == 0
    cl = pd.read_csv(tmp_path / "c.csv")
    assert len(cl) == 1797 and cl.columns[-1] == "cluster" and cl["cluster"].nunique() == 10

    assert run(capsys, "traverse", "cli-vae", "--index", "3", "--dims", "0,2", "--steps", "5", "--out", str(tmp_path / "t.png"))[0] == 0
    assert Image.open(tmp_path / "t.png").size == (5 * 66 + 2, 2 * 66 + 2)

    assert run(capsys, "interpolate", "cli-vae", "--from", "0", "--to", "9", "--steps", "6", "--slerp", "--out", str(tmp_path / "i.png"))[0] == 0
    assert Image.open(tmp_path / "i.png").size == (6 * 66 + 2, 66 + 2)


def test_cli_import_and_datasets(workspace, tmp_path, capsys):
    pd.DataFrame({"a": range(5), "b": range(5), "y": list("xyxyx")}).to_csv(tmp_path / "t.csv", index=False)
    code, out, _ = run(capsys, "import", str(tmp_path / "t.csv"), "--name", "t", "--labels", "y", "--json")
    assert code == 0 and json.loads(out)["n"] == 5
    code, out, _ = run(capsys, "datasets", "--json")
    names = [r["name"] for r in json.loads(out)]
    assert {"digits", "shapes", "wine", "breast-cancer", "t"} <= set(names)


@pytest.mark.parametrize("argv,needle", [
    (["train", "--dataset", "nope", "--model", "vae", "--steps", "1"], "Unknown dataset 'nope'"),
    (["embed", "missing-ckpt", "--out", "x.npz"], "not found"),
    (["traverse", "digits-vae", "--dims", "0,99", "--out", "t.png"], "out of range"),
    (["project", "digits-vae", "--out", "p.txt"], "expected a file ending in .csv"),
    (["train", "--dataset", "digits", "--model", "vae", "--steps", "1", "--lr", "-1"], "--lr must be positive"),
])
def test_cli_errors_are_one_line(workspace, capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_console_script_exit_code_and_no_traceback(workspace):
    proc = subprocess.run([sys.executable, "-m", "latentlab", "embed", "nope", "--out", "x.npz"],
                          capture_output=True, text=True, env={**__import__("os").environ})
    assert proc.returncode == 2
    assert proc.stderr.startswith("latentlab: error:") and "Traceback" not in proc.stderr


def test_shipped_digits_checkpoint_is_listed_and_loads(workspace, capsys):
    code, out, _ = run(capsys, "checkpoints", "--json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["digits-vae"]["source"] == "shipped" and rows["digits-vae"]["dataset"] == "digits"


def test_serve_replaces_itself_with_streamlit_and_forwards_the_address(monkeypatch, tmp_path):
    """``latentlab serve`` execs Streamlit (no child process left behind when it is stopped), in the dashboard's
    folder, with the port and the address it was given."""
    import os

    from latentlab.cli import serve
    from latentlab.core.workspace import dashboard_root

    called = {}

    def fake_exec(file, args):
        called.update(file=file, args=args, cwd=os.getcwd())
        raise SystemExit(0)

    monkeypatch.setattr(serve.os, "execvp", fake_exec)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit):
        main(["serve", "--port", "8765", "--address", "127.0.0.1"])
    args = called["args"]
    assert called["file"] == sys.executable and args[1:4] == ["-m", "streamlit", "run"]
    assert args[args.index("--server.port") + 1] == "8765" and args[args.index("--server.address") + 1] == "127.0.0.1"
    assert called["cwd"] == str(dashboard_root())
    assert "--server.address" not in serve.streamlit_command("app.py", 8501)
