"""Where a foreign model's module comes from: a class in the user's environment, named ``package.module:Class``
or registered by an installed package under the entry-point group ``latentlab.models``; built from a JSON
config (its constructor's keyword arguments); its weights read from safetensors only.

The class is imported from what the user installed, never from an uploaded file, and must be a
``torch.nn.Module`` before it is called (a crafted manifest cannot make LatentLab call ``subprocess.Popen``).
A package registers a class in its ``pyproject.toml``::

    [project.entry-points."latentlab.models"]
    my-vae = "my_package.models:MyVAE"
"""

from __future__ import annotations

import importlib
import json
import re
from importlib import metadata
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from latentlab.core.errors import LatentLabError
from latentlab.core.limits import human_bytes, limit

ENTRY_POINT_GROUP = "latentlab.models"
PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle")
CLASS_PATH_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
MAX_CONFIG_BYTES = 1024**2
CONVERT_HINT = ('load it in your own code and save the weights with safetensors: '
                'safetensors.torch.save_file(model.state_dict(), "w.safetensors")')


def installed_classes() -> dict[str, metadata.EntryPoint]:
    """Classes installed packages register under ``latentlab.models``, by name (read afresh each call, so a
    package installed while the server runs appears)."""
    return {ep.name: ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}


def trainable_classes() -> dict[str, metadata.EntryPoint]:
    """The installed classes that provide ``loss(x)``: LatentLab can train them (``latentlab train --model``)."""
    out = {}
    for name, ep in installed_classes().items():
        try:
            cls = ep.load()
        except Exception:  # a broken plug-in must not hide the others; naming it gives the reason
            continue
        if isinstance(cls, type) and callable(getattr(cls, "loss", None)):
            out[name] = ep
    return out


def resolve_class(ref: str) -> tuple[type[nn.Module], dict]:
    """The class ``ref`` names (an installed entry point's name, or ``package.module:Class``) and the
    manifest's record of where it came from; one sentence when it does not import or is not a model."""
    ref = str(ref).strip()
    installed = installed_classes()
    if ref in installed:
        ep = installed[ref]
        source = {"kind": "entry-point", "entry_point": ref, "class": ep.value}
        try:
            cls = ep.load()
        except Exception as exc:
            raise LatentLabError(f"The model class '{ref}' registered by an installed package ({ep.value}) does not "
                                 f"import: {type(exc).__name__}: {_first_line(exc)}.") from None
    elif CLASS_PATH_RE.match(ref):
        source = {"kind": "class", "class": ref}
        cls = import_class(ref)
    else:
        names = ", ".join(sorted(installed)) or "none are installed"
        raise LatentLabError(f"'{ref}' is neither an installed model class ({names}) nor a class path; name it as "
                             "package.module:Class.")
    check_model_class(cls, ref)
    dist = getattr(getattr(installed.get(ref), "dist", None), "metadata", None)
    if dist is not None:
        source["distribution"] = f"{dist['Name']} {dist['Version']}"
    return cls, source


def import_class(path: str):
    module_name, _, attr = path.partition(":")
    try:
        obj = importlib.import_module(module_name)
    except ImportError as exc:
        raise LatentLabError(f"`class_path` {path}: module '{module_name}' does not import ({_first_line(exc)}); install the "
                             "package that holds it in this environment, or put its folder on PYTHONPATH.",
                             param="class_path", value=str(path)) from None
    except Exception as exc:
        raise LatentLabError(f"`class_path` {path}: importing module '{module_name}' failed with {type(exc).__name__}: "
                             f"{_first_line(exc)}.", param="class_path", value=str(path)) from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise LatentLabError(f"`class_path` {path}: module '{module_name}' has no '{attr}'; check the class name.",
                                 param="class_path", value=str(path))
        obj = getattr(obj, part)
    return obj


def check_model_class(cls, ref: str) -> None:
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise LatentLabError(f"`class_path` {ref}: {getattr(cls, '__name__', cls)!s} is not a torch.nn.Module class; "
                             "name the model's class.", param="class_path", value=ref)
    if not callable(getattr(cls, "encode", None)):
        raise LatentLabError(f"`class_path` {ref}: {cls.__name__} has no encode(x) method; LatentLab needs encode(x) to "
                             "return the code or a (mean, logvar) pair.", param="class_path", value=ref)


def read_config(path: str | Path | None) -> dict:
    """The constructor's keyword arguments from a JSON object file (none: ``{}``)."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise LatentLabError(f"`config` {path}: no such file; give the JSON file of the class's constructor arguments.",
                             param="config", value=str(path))
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise LatentLabError(f"`config` {path.name}: larger than 1 MB; a model config is a small JSON object.",
                             param="config", value=str(path))
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise LatentLabError(f"`config` {path.name}: not valid JSON ({_first_line(exc)}).",
                             param="config", value=str(path)) from None
    return check_config_object(config, path.name)


def check_config_object(config, where: str) -> dict:
    if not isinstance(config, dict) or not all(isinstance(k, str) and k.isidentifier() for k in config):
        raise LatentLabError(f"{where}: the config must be a JSON object of keyword arguments (names to values).")
    return config


def build_module(cls: type[nn.Module], config: dict, ref: str) -> nn.Module:
    """``cls(**config)``; a constructor that rejects the config is one sentence."""
    try:
        return cls(**config)
    except TypeError as exc:
        raise LatentLabError(f"`class_path` {ref}: {cls.__name__}(**config) failed: {_first_line(exc)}; the config's keys "
                             "must be the constructor's keyword arguments.", param="class_path", value=ref) from None
    except Exception as exc:
        raise LatentLabError(f"`class_path` {ref}: building {cls.__name__} from the config failed with "
                             f"{type(exc).__name__}: {_first_line(exc)}.", param="class_path", value=ref) from None


def check_weights_file(path: str | Path) -> Path:
    """``path`` once it is a .safetensors file within the checkpoint size limit; a pickle is refused."""
    path = Path(path)
    if path.suffix.lower() in PICKLE_SUFFIXES:
        raise LatentLabError(f"`weights` {path.name}: a pickle file is refused because loading it can run code; "
                             f"{CONVERT_HINT}.", param="weights", value=str(path))
    if path.suffix.lower() != ".safetensors":
        raise LatentLabError(f"`weights` {path.name}: weights must be a .safetensors file; {CONVERT_HINT}.",
                             param="weights", value=str(path))
    if not path.is_file():
        raise LatentLabError(f"`weights` {path}: no such file; check the path.", param="weights", value=str(path))
    size = path.stat().st_size
    if size > limit("max_checkpoint_bytes"):
        raise LatentLabError(f"`weights` {path.name}: {human_bytes(size)} is over the checkpoint limit of "
                             f"{human_bytes(limit('max_checkpoint_bytes'))} (LATENTLAB_LIMIT_MAX_CHECKPOINT_BYTES).",
                             param="weights", value=str(path))
    return path


def load_weights(module: nn.Module, path: str | Path) -> None:
    """Read ``path`` with safetensors and load it into ``module``, after checking every name and shape."""
    path = check_weights_file(path)
    try:
        state = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise LatentLabError(f"`weights` {path.name}: not a readable safetensors file ({_first_line(exc)[:200]}).",
                             param="weights", value=str(path)) from None
    differences = weight_differences(module.state_dict(), state)
    if differences:
        shown = "; ".join(differences[:4]) + (f"; and {len(differences) - 4} more" if len(differences) > 4 else "")
        raise LatentLabError(f"`weights` {path.name} does not fit the built {type(module).__name__}: {shown}; check "
                             "the class and its config.", param="weights", value=str(path))
    for key, t in state.items():
        if t.dtype.is_floating_point and not torch.isfinite(t).all():
            raise LatentLabError(f"`weights` {path.name}: tensor '{key}' holds NaN or infinite values.",
                                 param="weights", value=str(path))
    module.load_state_dict(state)
    module.eval()


def weight_differences(expected: dict, state: dict) -> list[str]:
    """What differs between a module's state dict and a weights file, missing names first."""
    out = [f"missing '{k}'" for k in expected if k not in state]
    out += [f"unexpected '{k}'" for k in state if k not in expected]
    out += [f"'{k}' is {list(state[k].shape)}, the module needs {list(v.shape)}"
            for k, v in expected.items() if k in state and tuple(state[k].shape) != tuple(v.shape)]
    return out


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
