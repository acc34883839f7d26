"""Dataset loading (offline-aware), the dataset catalogue, and splits.

``load(name)`` returns a PyG ``InMemoryDataset`` for every catalogue dataset; raw files
are read from ``GNNLIB_DATA`` (never written), processed files go to the cache root.
See ``datasets/README.md`` for the datasets and how to provide them offline.
"""

from gnnlib.data.catalog import (
    DATASETS,
    TASKS,
    DatasetInfo,
    available,
    dataset_info,
    format_table,
    list_datasets,
    table_rows,
)
from gnnlib.data.heterophilous_npz import HeterophilousNpzDataset
from gnnlib.data.loaders import DatasetNotFoundError, load
from gnnlib.data.ogb_compat import ogb_pickle_load
from gnnlib.data.paths import cache_root, data_root, offline
from gnnlib.data.peptides import PeptidesFunctional, PeptidesStructural
from gnnlib.data.seal import SEALDataset
from gnnlib.data.splits import (
    drop_planetoid_padding,
    largest_connected_component,
    ogb_split,
    planetoid_public_split,
    random_link_split,
    random_node_split,
    stored_node_split,
    stratified_split,
)

__all__ = [
    "DATASETS",
    "TASKS",
    "DatasetInfo",
    "DatasetNotFoundError",
    "HeterophilousNpzDataset",
    "PeptidesFunctional",
    "PeptidesStructural",
    "SEALDataset",
    "available",
    "cache_root",
    "data_root",
    "dataset_info",
    "drop_planetoid_padding",
    "format_table",
    "largest_connected_component",
    "list_datasets",
    "load",
    "offline",
    "ogb_pickle_load",
    "ogb_split",
    "planetoid_public_split",
    "random_link_split",
    "random_node_split",
    "stored_node_split",
    "stratified_split",
    "table_rows",
]
