"""Training a class an installed package registers under ``latentlab.models`` (see
``latentlab.models.foreign_settings``) as LatentLab trains its own models.

The module is built from its constructor's keyword arguments (``model_params``) and probed on the dataset's items
as an added model is (``checkpoints.add.probe``: the code's width, one code or a mean and log-variance, a decoder that
gives items), then trained by the same loop through ``ForeignModel.loss``. Its checkpoint is a foreign one
(``checkpoints.sources``): the module's own ``state_dict`` in safetensors, and a source that names the entry point and
the constructor's arguments, so it loads back as that class, by that name, with its weights; a run stopped
half-way resumes from it like any other.
"""

from __future__ import annotations

from latentlab.core.errors import LatentLabError
from latentlab.data import Dataset
from latentlab.models import MODELS
from latentlab.checkpoints.foreign_sources import InstalledClass
from latentlab.checkpoints.sources import capabilities, source_of
from latentlab.models.foreign import ForeignModel, Preprocessing
from latentlab.models.foreign_settings import check_class_settings, coerce_settings, settings_class, trainable_class


def build_trainable(name: str, ds: Dataset, model_params: dict | None) -> ForeignModel:
    """A new ``ForeignModel`` of the installed class ``name`` for ``ds``, built from ``model_params``."""
    from latentlab.checkpoints.add import probe

    cls, found = trainable_class(name, MODELS)
    settings = settings_class(name, cls)
    kwargs = {k: v for k, v in (model_params or {}).items() if v is not None}
    check_class_settings(name, settings, kwargs)
    kwargs = coerce_settings(settings, kwargs)
    try:
        source = InstalledClass(name, kwargs, found.get("entry_point"), found["class"], found.get("distribution"))
        model = probe(source.build(cls), ds, Preprocessing(), source)
    except LatentLabError as exc:  # build_module and probe speak of class_path, the parameter that adds a model
        raise LatentLabError(exc.template.replace(f"`class_path` {name}:", f"`model` {name}:", 1), param="model",
                             value=name, also=tuple(p for p in exc.params if p != "class_path")) from None
    return model


def check_trainable(model, checkpoint: str) -> None:
    """One sentence when a resumed checkpoint's model cannot be trained (a foreign model without loss(x))."""
    if not capabilities(model).can_train:
        raise LatentLabError(f"Checkpoint '{checkpoint}' holds {source_of(model).label()}, which has no loss(x); training needs "
                             "loss(x), so it can be explored but not trained further.")

