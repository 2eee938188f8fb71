"""Every code block in README.md and docs/ is executed, so that no example can rot.

Each page runs as a reader would follow it, top to bottom, in a fresh temporary ``LATENTLAB_HOME`` and an empty
working folder:

- a ```python block runs in the page's one namespace (a later block sees an earlier block's names), as if typed
  into ``python3`` started in the working folder (so a module written there imports);
- a block with ``title="NAME"`` is the content of file NAME: it is written to the working folder;
- a ```bash block runs each command line (a trailing ``\\`` joins lines, ``#`` starts a comment): ``latentlab ...``
  through the command line's own ``main`` in this process (it must exit 0), ``export NAME=VALUE`` for the rest of
  the page, ``NAME=VALUE`` before a command as ``export`` (``PYTHONPATH=.`` puts the folder on ``sys.path``);
- commands that start a long-running server or install packages are not run: their command line is parsed
  against the real parser instead (``latentlab serve`` by latentlab's, ``streamlit run`` by Streamlit's,
  ``ray start`` by Ray's, ``make TARGET`` by make's dry run of the Makefile, ``pip install`` by pip's, each extra
  it names checked against pyproject.toml);
- ``ray start --head`` is parsed, and the page gets a real one-node Ray cluster of its own in its place (named by
  ``LATENTLAB_RAY_ADDRESS``, started before the next command that names Ray, shut down when the page ends), so
  that its ``--executor ray`` commands run; ``ray stop``, which would stop every Ray process on the machine, is
  parsed only; ``latentlab`` commands aimed at another machine's cluster (``--ray-address`` or
  ``LATENTLAB_RAY_ADDRESS`` naming a host other than this one) are parsed by latentlab's parser;
- a ```text block is a drawing or a program's output, not code; a block in any other language fails the test.

The reference pages' shell examples read three small files from the working folder, written here before the page
runs: ``data.csv`` (a table with a ``species`` column), ``vectors.npy`` (embeddings), ``docs.csv`` (texts in
``body``, labels in ``topic``), and signals as ``eeg.npz`` (``x`` of shape (N, C, T), ``labels``) and as the long
table ``eeg.csv`` (columns ``trial``, ``t``, ``Cz``, ``Pz``, ``cond``, ``a``, ``b``).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import signal
import subprocess
import textwrap
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^( *)```([\w+-]*)([^\n]*)\n(.*?)^\1```\s*$", re.M | re.S)  # also indented, in a list
TITLE = re.compile(r'title="([\w.-]+)"')
RUN, NOT_CODE = {"python", "bash"}, {"text"}
SERVERS = {("latentlab", "serve"), ("streamlit", "run"), ("ray", "start"), ("ray", "stop"), ("pip", "install"),
           ("make", None)}


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    language: str
    code: str
    title: str | None = None  # a file's name: the block is that file's content

    def where(self) -> str:
        page = self.page.relative_to(ROOT) if self.page.is_relative_to(ROOT) else self.page
        return f"{page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The page's fenced code blocks, in order, with the line each starts on."""
    text = page.read_text()
    return [Block(page, text.count("\n", 0, m.start()) + 1, m.group(2).lower(), textwrap.dedent(m.group(4)),
                  (t := TITLE.search(m.group(3))) and t.group(1)) for m in FENCE.finditer(text)]


def command_lines(code: str) -> list[list[str]]:
    """A shell block's commands as argument lists: continuations joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n", " ", code)
    return [args for line in joined.splitlines() if (args := shlex.split(line, comments=True))]


# ---------------------------------------------------------------- commands parsed, not run


def parse_latentlab(args: list[str]) -> None:
    from latentlab.cli import build_parser

    build_parser().parse_args(args)


def parse_streamlit(args: list[str]) -> None:
    from streamlit.web.cli import main as streamlit_cli

    ctx = streamlit_cli.make_context("streamlit", list(args))
    name, command, rest = streamlit_cli.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
    command.make_context(name, rest, parent=ctx)
    assert (ROOT / rest[0]).is_file(), f"streamlit run: no {rest[0]} in the repository"


def parse_ray(args: list[str]) -> None:
    pytest.importorskip("ray")
    from ray.scripts.scripts import cli as ray_cli

    ctx = ray_cli.make_context("ray", list(args))
    name, command, rest = ray_cli.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
    command.make_context(name, rest, parent=ctx)


def parse_make(args: list[str]) -> None:
    done = subprocess.run(["make", "-n", "-C", str(ROOT), *args], capture_output=True, text=True)
    assert done.returncode == 0, f"make {' '.join(args)}: {done.stderr.strip()}"


def parse_pip(args: list[str]) -> None:
    from pip._internal.commands import create_command

    options, targets = create_command(args[0]).parse_args(args[1:])
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for target in targets:
        if (m := re.fullmatch(r"(?:latentlab|\.)\[([\w,-]+)\]", target)):
            unknown = set(m.group(1).split(",")) - set(extras)
            assert not unknown, f"pip install {target}: no extra {sorted(unknown)} in pyproject.toml"
    assert targets or options.requirements or options.editables, "pip install of nothing"


PARSERS = {"latentlab": parse_latentlab, "streamlit": parse_streamlit, "ray": parse_ray, "make": parse_make,
           "pip": parse_pip}


def is_server_or_install(args: list[str]) -> bool:
    program = args[0] if args[0] != "python3" else args[2]  # python3 -m pip ...
    rest = args[1:] if args[0] != "python3" else args[3:]
    return (program, rest[0] if rest else None) in SERVERS or (program, None) in SERVERS


def parse_only(args: list[str]) -> None:
    if args[0] == "python3":
        assert args[1] == "-m", f"{shlex.join(args)}: only python3 -m PROGRAM is understood"
        args = args[2:]
    PARSERS[args[0]](args[1:])


# ---------------------------------------------------------------- commands and code run


def run_latentlab(args: list[str], where: str) -> None:
    from latentlab.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    assert code == 0, f"{where}: latentlab {shlex.join(args)} exited {code}: {err.getvalue().strip()}"


@dataclass
class Page:
    """A page being run: its namespace, what it set, what ends with it."""

    monkeypatch: pytest.MonkeyPatch
    stack: contextlib.ExitStack
    namespace: dict = field(default_factory=lambda: {"__name__": "__main__"})
    cluster_wanted: bool = False  # ``ray start --head`` seen: a cluster before the next Ray command
    remote: bool = False  # LATENTLAB_RAY_ADDRESS names another machine

    def start_ray_cluster(self) -> None:
        """A one-node cluster of this machine's cores, in place of the one ``ray start --head`` would start."""
        from ray.cluster_utils import Cluster

        self.monkeypatch.setenv("OMP_NUM_THREADS", "1")
        self.monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the cluster's workers import this checkout
        cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 2, "include_dashboard": False,
                                                                "object_store_memory": 80 * 1024 ** 2})
        self.stack.callback(cluster.shutdown)
        self.stack.callback(stop_ray_drivers)
        cluster.wait_for_nodes()
        self.monkeypatch.setenv("LATENTLAB_RAY_ADDRESS", cluster.address)
        self.cluster_wanted = False


def stop_ray_drivers() -> None:
    """The drivers the page's Ray jobs started (one per workspace and cluster)."""
    from latentlab import jobs

    for pid in {j.pid for j in jobs.list_jobs() if j.executor and j.pid}:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)


def is_remote(address: str) -> bool:
    return address.rpartition(":")[0] not in {"127.0.0.1", "localhost", ""}


def aimed_elsewhere(args: list[str]) -> bool:
    """Whether a command names another machine's Ray cluster with ``--ray-address``."""
    return "--ray-address" in args[:-1] and is_remote(args[args.index("--ray-address") + 1])


def set_variable(page: Page, name: str, value: str) -> None:
    if name == "PYTHONPATH":
        page.monkeypatch.syspath_prepend(str(Path(value).resolve()))
    elif name == "LATENTLAB_RAY_ADDRESS" and is_remote(value):
        page.remote = True
    else:
        page.monkeypatch.setenv(name, value)


def run_shell(block: Block, page: Page) -> None:
    for args in command_lines(block.code):
        while "=" in args[0] and args[0].split("=")[0].isidentifier():  # NAME=VALUE before a command
            set_variable(page, *args.pop(0).split("=", 1))
        if args[0] == "export":
            set_variable(page, *args[1].split("=", 1))
        elif is_server_or_install(args):
            parse_only(args)
            page.cluster_wanted |= args[:2] == ["ray", "start"] and "--head" in args
        elif args[0] != "latentlab":
            pytest.fail(f"{block.where()}: no way to run or check `{shlex.join(args)}` (see this test's docstring)")
        elif page.remote or aimed_elsewhere(args):
            parse_latentlab(args[1:])
        else:
            if page.cluster_wanted and "ray" in args:
                page.start_ray_cluster()
            run_latentlab(args[1:], block.where())


def run_page(path: Path, monkeypatch) -> None:
    with contextlib.ExitStack() as stack:
        page = Page(monkeypatch, stack)
        for block in blocks(path):
            run_block(block, page)


def run_block(block: Block, page: Page) -> None:
    if block.title:
        Path(block.title).write_text(block.code)
    elif block.language == "python":
        exec(compile(block.code, block.where(), "exec"), page.namespace)
    elif block.language == "bash":
        run_shell(block, page)
    else:
        assert block.language in NOT_CODE, (
            f"{block.where()}: a ```{block.language or ''} block; mark code as python or bash, other text as text")


def write_sample_files(folder: Path) -> None:
    """The files the reference pages' shell examples read (see the module docstring)."""
    rng = np.random.default_rng(0)
    table = pd.DataFrame(rng.normal(size=(90, 4)), columns=["a", "b", "c", "d"]).round(3)
    table["species"] = np.repeat(["setosa", "versicolor", "virginica"], 30)
    table.to_csv(folder / "data.csv", index=False)
    np.save(folder / "vectors.npy", rng.normal(size=(200, 16)).astype(np.float32))
    words = {"dates": "parse a date time format day month year", "files": "read write open a file path folder",
             "maths": "add multiply a number sum square root"}
    rows = [("how to " + " ".join(rng.permutation(w.split())[:5]), topic) for topic, w in words.items() for _ in range(20)]
    pd.DataFrame(rows, columns=["body", "topic"]).to_csv(folder / "docs.csv", index=False)
    waves = np.sin(np.linspace(0, 6, 32) * rng.uniform(1, 3, size=(40, 2, 1))).astype(np.float32)  # (N, C, T)
    np.savez(folder / "eeg.npz", x=waves, labels=np.repeat(["a", "b"], 20))
    trial, t = np.repeat(np.arange(40), 32), np.tile(np.arange(32) / 32, 40)
    pd.DataFrame({"trial": trial, "t": t, "Cz": waves[:, 0].ravel(), "Pz": waves[:, 1].ravel(),
                  "cond": np.repeat(["a", "b"], 20 * 32), "a": trial % 2, "b": trial % 4 // 2}).to_csv(
        folder / "eeg.csv", index=False)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """The examples' models are tiny: on a busy 2-core machine one thread runs them many times faster than two."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


CODE_PAGES = [p for p in PAGES if any(b.language in RUN for b in blocks(p))]


@pytest.mark.parametrize("page", CODE_PAGES, ids=[str(p.relative_to(ROOT)) for p in CODE_PAGES])
def test_every_code_block_of_the_page_runs(page, tmp_path, monkeypatch):
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    write_sample_files(work)
    monkeypatch.setenv("LATENTLAB_HOME", str(home))
    monkeypatch.chdir(work)
    monkeypatch.syspath_prepend(str(work))
    for name in [n for n in os.environ if n.startswith("LATENTLAB_") and n != "LATENTLAB_HOME"]:
        monkeypatch.delenv(name)
    run_page(page, monkeypatch)


def test_every_fenced_block_is_marked_as_code_or_text():
    unmarked = [b.where() for p in PAGES for b in blocks(p) if b.language not in RUN | NOT_CODE]
    assert unmarked == []


def test_the_checks_fail_on_a_broken_example(tmp_path, monkeypatch):
    """The checks can fail: an unknown flag, a server command with a typo, a python block that raises."""
    monkeypatch.setenv("LATENTLAB_HOME", str(tmp_path))
    page = tmp_path / "broken.md"
    for bad in ["```bash\nlatentlab checkpoints --no-such-flag\n```\n", "```bash\nlatentlab serve --prot 1\n```\n",
                "```bash\nmake no-such-target\n```\n", "```python\nimport latentlab as ll\nll.no_such_verb()\n```\n",
                "```bash\nrm -rf build\n```\n"]:
        page.write_text(bad)
        with pytest.raises((AssertionError, SystemExit, AttributeError, pytest.fail.Exception)):
            run_page(page, monkeypatch)
