"""``gnnlib.data.load`` on the real shared data, and its offline errors.

Run with ``GNNLIB_DATA`` pointing at the shared data and ``GNNLIB_CACHE`` at a scratch
folder (processing happens once per cache; Peptides-func takes about a minute the first
time). Every test runs with ``GNNLIB_OFFLINE=1``: no network is touched.
"""

from __future__ import annotations

import os
import urllib.error
from pathlib import Path

import pytest
import torch
from filelock import FileLock, Timeout
from torch_geometric.utils import is_undirected

from gnnlib.data import (
    DATASETS,
    DatasetNotFoundError,
    cache_root,
    dataset_info,
    load,
    loaders,
    ogb_split,
    planetoid_public_split,
)

# Counts from shared/data/README.md: graphs, nodes, edge_index columns, node features,
# classes (targets for regression/multilabel, 0 for link prediction).
EXPECTED = {
    "Cora": (1, 2708, 10556, 1433, 7),
    "CiteSeer": (1, 3327, 9104, 3703, 6),
    "Photo": (1, 7650, 238162, 745, 8),
    "Cornell": (1, 183, 298, 1703, 5),
    "Texas": (1, 183, 325, 1703, 5),
    "Wisconsin": (1, 251, 515, 1703, 5),
    "Actor": (1, 7600, 30019, 932, 5),
    "Minesweeper": (1, 10000, 78804, 7, 2),
    "Tolokers": (1, 11758, 1038000, 10, 2),
    "chameleon": (1, 2277, 62742, 2325, 5),
    "squirrel": (1, 5201, 396706, 2089, 5),
    "chameleon_filtered": (1, 890, 17708, 2325, 5),
    "squirrel_filtered": (1, 2223, 93996, 2089, 5),
    "ogbl-ddi": (1, 4267, 2135822, 0, 0),
    "USAir": (1, 332, 4252, 0, 0),
    "NS": (1, 1589, 5484, 0, 0),
    "PB": (1, 1222, 33428, 0, 0),
    "Yeast": (1, 2375, 23386, 0, 0),
    "Celegans": (1, 297, 4296, 0, 0),
    "Power": (1, 4941, 13188, 0, 0),
    "Router": (1, 5022, 12516, 0, 0),
    "Ecoli": (1, 1805, 29320, 0, 0),
    "MUTAG": (188, 3371, 7442, 7, 2),
    "PROTEINS": (1113, 43471, 162088, 3, 2),
    "NCI1": (4110, 122747, 265506, 37, 2),
    "ENZYMES": (600, 19580, 74564, 3, 6),
    "IMDB-BINARY": (1000, 19773, 193062, 0, 2),
    "IMDB-MULTI": (1500, 19502, 197806, 0, 3),
    "PTC_MR": (344, 4915, 10108, 18, 2),
    "ogbg-molbace": (1513, 51577, 111536, 9, 2),
    "ogbg-molbbbp": (2039, 49068, 105842, 9, 2),
    "ogbg-molesol": (1128, 14991, 30856, 9, 1),
    "ogbg-molfreesolv": (642, 5600, 10770, 9, 1),
    # Nodes and edges are not in the README; they equal LRGB's published averages
    # (150.94 nodes, 307.30 edges per graph) times 15,535.
    "Peptides-func": (15535, 2344859, 4773974, 9, 10),
}


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("GNNLIB_OFFLINE", "1")


def _require(require_data, name: str):
    """The catalogue entry of ``name``, after checking its raw files are under GNNLIB_DATA."""
    info = dataset_info(name)
    for relpath in info.files:
        require_data(relpath)
    return info


def _num_targets(dataset, task: str) -> int:
    if task == "link_prediction":
        return 0
    if task in ("graph_regression", "graph_multilabel"):
        return dataset[0].y.size(-1)
    return dataset.num_classes


def test_shared_data_holds_exactly_the_expected_catalogue_entries(require_data):
    root = require_data("")
    present = {info.name for info in DATASETS if all((root / f).is_file() for f in info.files)}
    assert present == set(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_dataset_loads_with_the_documented_counts(require_data, name):
    info = _require(require_data, name)
    dataset = load(name)
    graphs = [dataset[i] for i in range(len(dataset))]
    counts = (
        len(dataset),
        sum(g.num_nodes for g in graphs),
        sum(g.num_edges for g in graphs),
        dataset.num_node_features,
        _num_targets(dataset, info.task),
    )
    assert counts == EXPECTED[name]
    catalogue = (
        info.num_graphs,
        info.num_nodes,
        info.num_edges,
        info.num_features,
        info.num_classes,
    )
    assert catalogue == EXPECTED[name], "the catalogue disagrees with the README"
    assert Path(dataset.processed_dir).is_relative_to(cache_root())


@pytest.mark.parametrize(
    "name, sizes", [("Cora", (140, 500, 1000)), ("CiteSeer", (120, 500, 1000))]
)
def test_planetoid_public_split(require_data, name, sizes):
    _require(require_data, name)
    masks = planetoid_public_split(load(name)[0])
    assert tuple(int(m.sum()) for m in masks) == sizes


@pytest.mark.parametrize(
    "name, sizes",
    [
        ("Cornell", (87, 59, 37)),
        ("Texas", (87, 59, 37)),
        ("Wisconsin", (120, 80, 51)),
        ("Actor", (3648, 2432, 1520)),
        ("Minesweeper", (5000, 2500, 2500)),
        ("Tolokers", (5879, 2939, 2940)),
        ("chameleon", None),
        ("squirrel_filtered", None),
    ],
)
def test_ten_split_masks(require_data, name, sizes):
    _require(require_data, name)
    data = load(name)[0]
    for key in ("train_mask", "val_mask", "test_mask"):
        mask = data[key]
        assert mask.dtype == torch.bool and mask.shape == (data.num_nodes, 10)
    if sizes is not None:
        first = tuple(int(data[key][:, 0].sum()) for key in ("train_mask", "val_mask", "test_mask"))
        assert first == sizes


@pytest.mark.parametrize("name", [info.name for info in DATASETS if info.source == "SEAL"])
def test_seal_graphs_are_undirected_without_features(require_data, name):
    _require(require_data, name)
    data = load(name)[0]
    assert data.x is None
    assert is_undirected(data.edge_index, num_nodes=data.num_nodes)
    assert not (data.edge_index[0] == data.edge_index[1]).any()


def _pair_keys(edges: torch.Tensor, num_nodes: int) -> torch.Tensor:
    low, high = edges.min(dim=1).values, edges.max(dim=1).values
    return low * num_nodes + high


def test_ogbl_ddi_split_is_complete_and_disjoint(require_data):
    _require(require_data, "ogbl-ddi")
    dataset = load("ogbl-ddi")
    split = dataset.get_edge_split()
    assert ogb_split(dataset)["train"]["edge"].shape == split["train"]["edge"].shape
    sizes = {part: {key: tuple(t.shape) for key, t in split[part].items()} for part in split}
    assert sizes == {
        "train": {"edge": (1067911, 2)},
        "valid": {"edge": (133489, 2), "edge_neg": (101882, 2)},
        "test": {"edge": (133489, 2), "edge_neg": (95599, 2)},
    }
    assert all(t.dtype == torch.long for part in split.values() for t in part.values())
    num_nodes = dataset[0].num_nodes
    keys = {part: set(_pair_keys(split[part]["edge"], num_nodes).tolist()) for part in split}
    assert len(keys["train"]) == 1067911
    assert not keys["train"] & keys["valid"]
    assert not keys["train"] & keys["test"]
    assert not keys["valid"] & keys["test"]
    # The graph is the training graph, both directions.
    assert dataset[0].num_edges == 2 * len(keys["train"])


@pytest.mark.parametrize(
    "name, sizes, y_dtype",
    [
        ("ogbg-molbace", (1210, 151, 152), torch.long),
        ("ogbg-molbbbp", (1631, 204, 204), torch.long),
        ("ogbg-molesol", (902, 113, 113), torch.float),
        ("ogbg-molfreesolv", (513, 64, 65), torch.float),
    ],
)
def test_ogbg_idx_split_on_a_cached_second_load(require_data, name, sizes, y_dtype):
    _require(require_data, name)
    first = load(name)
    assert Path(first.processed_paths[0]).is_file()
    dataset = load(name)  # reads the processed file written by the first load
    split = ogb_split(dataset)
    assert tuple(len(split[key]) for key in ("train", "valid", "test")) == sizes
    graph = dataset[int(split["test"][0])]
    assert graph.x.dtype == torch.long and graph.x.size(1) == 9
    assert graph.edge_attr.dtype == torch.long and graph.edge_attr.size(1) == 3
    assert graph.y.dtype == y_dtype and graph.y.shape == (1, 1)


def test_peptides_func_split_and_features(require_data):
    _require(require_data, "Peptides-func")
    dataset = load("Peptides-func")
    split = ogb_split(dataset)
    sizes = {key: len(idx) for key, idx in split.items()}
    assert sizes == {"train": 10873, "val": 2331, "test": 2331}
    assert len(torch.cat(list(split.values())).unique()) == 15535
    graph = dataset[0]
    assert graph.x.dtype == torch.long and graph.x.size(1) == 9
    assert graph.edge_attr.dtype == torch.long and graph.edge_attr.shape == (graph.num_edges, 3)
    assert graph.y.dtype == torch.float and graph.y.shape == (1, 10)
    assert set(graph.y.unique().tolist()) <= {0.0, 1.0}


def _snapshot(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``root`` with (is link, size, mtime): any write changes it."""
    entries = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            stat = path.lstat()
            key = str(path.relative_to(root))
            entries[key] = (path.is_symlink(), stat.st_size, stat.st_mtime_ns)
    return entries


def test_data_root_is_never_written(require_data, monkeypatch, tmp_path):
    root = require_data("")
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path))  # a fresh cache: everything processes
    before = _snapshot(root)
    # One dataset per loader family (Peptides-func processes into the same kind of
    # folder and is checked by the count test above).
    names = [
        "Cora",
        "Photo",
        "Cornell",
        "Actor",
        "Minesweeper",
        "chameleon",
        "USAir",
        "MUTAG",
        "ogbg-molfreesolv",
        "ogbl-ddi",
    ]
    for name in names:
        _require(require_data, name)
        dataset = load(name)
        assert Path(dataset.processed_dir).is_relative_to(tmp_path), name
    load("ogbl-ddi").get_edge_split()
    assert _snapshot(root) == before
    assert (tmp_path / "ogb/ogbl_ddi/split/target/split_dict.pt").is_file()
    assert (tmp_path / "Planetoid/Cora/raw/ind.cora.x").is_symlink()


def test_a_dataset_builds_under_its_lock(require_data, monkeypatch, tmp_path):
    # Seeds launched side by side on a fresh cache: one process reading the processed
    # file that another is still writing fails on a truncated file.
    _require(require_data, "Cora")
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path))
    lock = loaders.lock_path(tmp_path / dataset_info("Cora").folder)
    construct = loaders._construct
    built_under_lock = []

    def probe(*args):
        # a second FileLock on the file is a second holder, even in the same thread
        with pytest.raises(Timeout):
            FileLock(lock).acquire(timeout=0)
        built_under_lock.append(True)
        return construct(*args)

    monkeypatch.setattr(loaders, "_construct", probe)
    assert load("Cora")[0].num_nodes == 2708
    assert built_under_lock == [True]
    with FileLock(lock, timeout=0):  # released again
        pass


def test_a_cache_without_a_lock_file_still_loads(require_data, monkeypatch, tmp_path):
    _require(require_data, "Cora")
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path))

    def read_only(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self.lock_file))

    monkeypatch.setattr(FileLock, "acquire", read_only)
    assert load("Cora")[0].num_nodes == 2708


@pytest.fixture
def empty_roots(monkeypatch, tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    data.mkdir()
    monkeypatch.setenv("GNNLIB_DATA", str(data))
    monkeypatch.setenv("GNNLIB_CACHE", str(cache))
    return data, cache


def test_missing_dataset_offline_is_a_clear_error(empty_roots):
    data, cache = empty_roots
    with pytest.raises(DatasetNotFoundError) as err:
        load("Cora")
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    assert "'Cora'" in message
    assert "Planetoid/Cora/raw/ind.cora.x" in message
    assert str(data) in message and str(cache) in message
    assert "GNNLIB_OFFLINE" in message and "GNNLIB_DATA" in message
    assert err.value.looked_in == [data, cache]
    assert not cache.exists()  # nothing was created for a dataset that is not there


def test_download_false_refuses_without_touching_the_network(empty_roots, monkeypatch):
    monkeypatch.delenv("GNNLIB_OFFLINE")

    def no_network(*args, **kwargs):
        raise AssertionError("the network was touched")

    monkeypatch.setattr(loaders.socket, "create_connection", no_network)
    with pytest.raises(DatasetNotFoundError, match=r"download=False"):
        load("ogbl-collab", download=False)


def test_unreachable_host_is_a_clear_error(empty_roots, monkeypatch):
    monkeypatch.delenv("GNNLIB_OFFLINE")

    def unreachable(address, timeout):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(loaders.socket, "create_connection", unreachable)
    with pytest.raises(DatasetNotFoundError, match=r"snap\.stanford\.edu cannot be reached"):
        load("ogbn-arxiv")


def test_failed_download_is_a_clear_error_and_leaves_no_folder(empty_roots, monkeypatch):
    _, cache = empty_roots
    monkeypatch.delenv("GNNLIB_OFFLINE")

    class Connection:
        def close(self) -> None:
            pass

    def fail(*args, **kwargs):
        raise urllib.error.URLError("connection reset")

    monkeypatch.setattr(loaders.socket, "create_connection", lambda address, timeout: Connection())
    monkeypatch.setattr("torch_geometric.datasets.amazon.download_url", fail)
    with pytest.raises(DatasetNotFoundError) as err:
        load("Computers")
    message = str(err.value)
    assert "download from https://github.com/shchur/gnn-benchmark" in message
    assert "connection reset" in message
    assert err.value.__cause__ is None and err.value.__suppress_context__
    assert not (cache / "Amazon" / "Computers").exists()


def test_unknown_name_is_a_value_error():
    with pytest.raises(ValueError, match=r"Unknown dataset 'ogbl-dd'\. Did you mean 'ogbl-ddi'\?"):
        load("ogbl-dd")
