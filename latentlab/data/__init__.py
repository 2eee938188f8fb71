"""Datasets: the ``Dataset`` type, built-ins, readers and the workspace registry."""

from latentlab.data.dataset import Dataset, rows_have_unit_norm
from latentlab.data.registry import (BUILTINS, dataset_exists, dataset_names, import_dataset, list_datasets, load_dataset,
                                     remove_dataset, save_dataset)

__all__ = ["BUILTINS", "Dataset", "dataset_exists", "dataset_names", "import_dataset", "list_datasets", "load_dataset",
           "remove_dataset", "rows_have_unit_norm", "save_dataset"]
