"""Errors speak the language of the face that shows them: the engine names a parameter (``ray_address``), the
command line words it as the flag (``--ray-address``), the dashboard as the control's label, Python as is."""

import ast
import re
from pathlib import Path

import pytest

from latentlab.cli import main
from latentlab.core.errors import LatentLabError
from latentlab.jobs.executor import resolve_executor

ENGINE = Path(__file__).resolve().parent.parent / "latentlab"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SHELL_COMMAND = re.compile(r"'[a-z]+ [^']*'")  # a quoted command line to run, e.g. 'ray start --head'
ERROR_NAMES = {"LatentLabError", "TrainingDiverged", "WeightsMismatch"}


def _error_texts(node: ast.AST):
    """The string literals of a raise statement or of a call that builds a LatentLabError."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            yield sub


def flag_mentions(source: str, filename: str = "<source>") -> list[str]:
    """``file:line: text`` for each string literal inside a raise or a LatentLabError(...) call that names a
    command-line flag (outside a quoted command line)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        is_error_call = (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
                         and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in ERROR_NAMES)
        if not (isinstance(node, ast.Raise) or is_error_call):
            continue
        for const in _error_texts(node):
            text = SHELL_COMMAND.sub("", const.value)
            if FLAG.search(text):
                found.append(f"{filename}:{const.lineno}: {const.value[:80]!r}")
    return sorted(set(found))


def test_the_scan_finds_a_flag_in_a_message():
    assert flag_mentions('raise LatentLabError("choose another --name.")')
    assert flag_mentions('err = LatentLabError(f"--k {k}: too small")')
    assert not flag_mentions("raise LatentLabError(\"start one with 'ray start --head'.\", param='x')")
    assert not flag_mentions('raise LatentLabError("choose another `name`.", param="name")')


def test_no_engine_message_names_a_flag():
    offenders = []
    for path in sorted(ENGINE.rglob("*.py")):
        if path.relative_to(ENGINE).parts[0] == "cli":
            continue
        offenders += flag_mentions(path.read_text(encoding="utf-8"), str(path.relative_to(ENGINE.parent)))
    assert offenders == []


def _ray_error() -> LatentLabError:
    with pytest.raises(LatentLabError) as info:
        resolve_executor("local", "10.0.0.5:6379")
    return info.value


def test_python_reads_the_plain_sentence():
    exc = _ray_error()
    text = str(exc)
    assert exc.param == "ray_address" and exc.value == "10.0.0.5:6379"
    assert "ray_address" in text and text.endswith(".") and "\n" not in text
    assert not FLAG.search(text) and "Ray address" not in text


def test_the_command_line_words_the_parameter_as_its_flag(capsys, workspace):
    code = main(["train", "--dataset", "digits", "--model", "vae", "--executor", "local",
                 "--ray-address", "10.0.0.5:6379"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("latentlab: error: --ray-address goes with --executor ray;")
    assert "ray_address" not in err and "`" not in err


def test_the_command_line_words_a_positional_by_its_metavar():

    from latentlab.cli import build_parser
    from latentlab.cli.wording import worded

    parser = build_parser()
    exc = LatentLabError("A checkpoint named 'x' already exists; choose another `name`.", param="name")
    add = parser.parse_args(["checkpoints", "add", "x", "--dataset", "d", "--class", "m:C"])
    assert worded(exc, parser, parser.parse_args(["train", "--dataset", "d", "--model", "vae"])).endswith("choose another --name.")
    assert worded(exc, parser, add).endswith("choose another NAME.")
    facade = LatentLabError("`steps` must be at least 2 and `span` positive.", param="span", also=("steps",))
    assert worded(facade, parser) == "--steps must be at least 2 and --range positive."


def _shown_in_dashboard(monkeypatch, labels):
    from latentlab.ui import sidebar

    shown = []

    class Stopped(Exception):
        pass

    def stop():
        raise Stopped

    monkeypatch.setattr(sidebar.st, "error", shown.append)
    monkeypatch.setattr(sidebar.st, "stop", stop)
    with pytest.raises(Stopped):
        with sidebar.user_errors(labels):
            resolve_executor("local", "10.0.0.5:6379")
    return shown


def test_the_dashboard_words_the_parameter_as_its_controls_label(monkeypatch):
    shown = _shown_in_dashboard(monkeypatch, {"ray_address": "Ray address", "executor": "Run on"})
    assert len(shown) == 1
    assert shown[0].startswith("**Ray address** goes with **Run on** ray;")
    assert not FLAG.search(shown[0]) and "ray_address" not in shown[0]


def test_the_dashboard_without_labels_words_the_parameters_not_as_code(monkeypatch):
    shown = _shown_in_dashboard(monkeypatch, None)
    assert shown == [str(_ray_error()).replace("`ray_address`", "ray address").replace("`executor`", "executor")]
    assert "`" not in shown[0] and "--" not in shown[0]


def test_the_dashboard_page_shows_the_label(workspace):
    from streamlit.testing.v1 import AppTest

    def page():
        from latentlab.jobs.executor import resolve_executor
        from latentlab.ui.sidebar import user_errors

        with user_errors({"ray_address": "Ray address", "executor": "Run on"}):
            resolve_executor("local", "10.0.0.5:6379")

    at = AppTest.from_function(page).run(timeout=30)
    assert not at.exception
    assert [e.value for e in at.error] == ["**Ray address** goes with **Run on** ray; leave it out to run on this "
                                           "machine."]


def test_a_parameter_without_a_wording_stays_plain():
    exc = LatentLabError("`grid` axis 'x' is not NAME=V1,V2,... (e.g. beta=1,4,8).", param="grid")
    assert exc.worded({"other": "--other"}.get) == str(exc)
    assert exc.worded(lambda p: "--grid") == "--grid axis 'x' is not NAME=V1,V2,... (e.g. beta=1,4,8)."
    undeclared = LatentLabError("leave out `k`.", param="n")  # only declared parameters are worded
    assert undeclared.worded(lambda p: "--" + p) == "leave out `k`."


def test_the_labels_kept_in_ui_are_the_pages_controls():
    from latentlab.ui import param_labels

    root = ENGINE.parent
    sources = "".join(p.read_text(encoding="utf-8") for p in [*root.glob("pages/*.py"), *root.glob("latentlab/ui/*.py")]
                      if p.name != "param_labels.py")
    for mapping in (param_labels.TRAIN, param_labels.DATA_IMPORT, param_labels.TRAVERSE):
        for label in mapping.values():
            assert f'("{label}"' in sources or f'"{label}",' in sources, label


def test_a_failed_jobs_stored_message_is_shown_in_words():
    from latentlab.ui.param_labels import job_error

    stored = str(LatentLabError("`ray_address` is not host:port; fix `ray_address`.", param="ray_address"))
    assert job_error(stored) == "ray address is not host:port; fix ray address."
    assert job_error("no parameter here") == "no parameter here"
