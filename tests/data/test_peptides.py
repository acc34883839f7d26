"""Both LRGB peptide datasets from LRGB's raw layout, on a three-molecule stand-in."""

import gzip
import pickle

import numpy as np
import pandas as pd
import pytest
import torch

from gnnlib.data import PeptidesFunctional, PeptidesStructural
from gnnlib.rewiring.data import task_info

SMILES = ["CCO", "CC(=O)N", "c1ccccc1"]


def _write(root, cls, frame):
    (root / "raw").mkdir(parents=True)
    with gzip.open(root / "raw" / cls.csv, "wt") as f:
        frame.to_csv(f, index=False)
    split = {"train": np.array([0, 2]), "val": np.array([1]), "test": np.array([2])}
    with open(root / cls.split_file, "wb") as f:
        pickle.dump(split, f)


def test_structural_targets_are_lrgb_columns_in_order(tmp_path):
    pytest.importorskip("rdkit")
    targets = np.arange(33, dtype=float).reshape(3, 11) / 10
    frame = pd.DataFrame(targets, columns=PeptidesStructural.TARGETS)
    frame.insert(0, "smiles", SMILES)
    _write(tmp_path, PeptidesStructural, frame.iloc[:, ::-1])  # column order must not matter
    dataset = PeptidesStructural(str(tmp_path))
    assert len(dataset) == 3
    for graph, row in zip(dataset, targets):
        assert graph.y.shape == (1, 11)
        torch.testing.assert_close(graph.y[0], torch.tensor(row, dtype=torch.float))
        assert graph.x.shape[1] == 9 and graph.edge_attr.shape[1] == 3
    assert dataset[2].num_nodes == 6  # benzene's heavy atoms
    assert dataset.get_idx_split()["val"].tolist() == [1]
    assert task_info("Peptides-struct").metric == "mae"


def test_functional_labels_parse_from_their_list_text(tmp_path):
    pytest.importorskip("rdkit")
    labels = [[1, 0, 0, 0, 0, 0, 0, 0, 0, 1], [0] * 10, [1] * 10]
    frame = pd.DataFrame({"smiles": SMILES, "labels": [str(row) for row in labels]})
    _write(tmp_path, PeptidesFunctional, frame)
    dataset = PeptidesFunctional(str(tmp_path))
    assert torch.equal(torch.cat([g.y for g in dataset]), torch.tensor(labels).float())


def test_missing_target_columns_are_named(tmp_path):
    pytest.importorskip("rdkit")
    frame = pd.DataFrame({"smiles": SMILES, "Spherocity": [0.0, 1.0, 2.0]})
    _write(tmp_path, PeptidesStructural, frame)
    with pytest.raises(ValueError, match="Inertia_mass_a"):
        PeptidesStructural(str(tmp_path))
