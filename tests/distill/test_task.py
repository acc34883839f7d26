"""The ``distillation`` task: shipped configs load; tiny end-to-end runs on Cora; the
stored splits (``split: stored``) and ROC-AUC of the heterophilous sets."""

import logging
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import scipy.sparse.csgraph
import torch
from torch_geometric.data import Data

from gnnlib.config import ConfigError, from_dict, read_yaml
from gnnlib.data import load
from gnnlib.distill import load_student, make_setting, teachers
from gnnlib.distill import task as distillation
from gnnlib.eval.metrics import accuracy
from gnnlib.io import UnreadableFileError, atomic_torch_save, safe_torch_load
from gnnlib.tasks.registry import TASKS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "experiments/distill").rglob("*.yaml"))


def _config(name: str, *overrides: tuple[str, object]) -> distillation.DistillationConfig:
    raw = read_yaml(ROOT / "experiments/distill" / name)
    assert raw.pop("task") == "distillation"
    for key, value in overrides:
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return from_dict(distillation.DistillationConfig, raw)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load(path):
    raw = read_yaml(path)
    schema, _ = TASKS[raw.pop("task")]
    config = from_dict(schema, raw)
    if config.model == "glnn":
        assert config.loss.lam == 0.0  # GLNN's official pure soft-label distillation
    if config.model == "mlp":
        assert config.loss.lam == 1.0


def test_inconsistent_configs_are_rejected():
    with pytest.raises(ConfigError, match="lam: 1"):
        _config("mlp_cora_tran.yaml", ("loss.lam", 0.0))
    with pytest.raises(ConfigError, match="fan_out"):
        _config("glnn_cora_tran.yaml", ("teacher.conv", "gcn"))


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("student.batch_size", 0, r"student: batch_size must lie in \[1, inf\), got 0"),
        ("student.layers", 0, "student: layers must lie in"),
        ("student.dropout", 1.0, r"student: dropout must lie in \[0, 1\)"),
        ("student.lr", -0.01, r"student: lr must lie in \[0, inf\), got -0.01"),
        ("student.patience", 0, "student: patience must lie in"),
        ("teacher.fan_out", [5, 0], "each entry is a neighbour count >= 1, or -1"),
        ("teacher.weight_decay", -1e-4, "teacher: weight_decay must lie in"),
        ("loss.lam", 1.5, r"loss: lam must lie in \[0, 1\], got 1.5"),
        ("loss.temperature", 0.0, "loss: temperature must lie in"),
        ("krd.momentum", 1.5, "krd: momentum must lie in"),
        ("data.inductive_ratio", 1.0, r"data: inductive_ratio must lie in \(0, 1\)"),
        ("data.val_per_class", 0, "data: val_per_class must lie in"),
    ],
)
def test_values_no_run_could_use_fail_when_the_config_loads(key, value, message):
    """Before any data loads or teacher trains: a student value is otherwise found only
    once the teacher is cached, hours into an ogbn-products run."""
    with pytest.raises(ConfigError, match=message):
        _config("krd_cora_prod.yaml", (key, value))


def test_tiny_runs_share_one_cached_teacher(require_data, tmp_path, monkeypatch):
    require_data("Planetoid/Cora")
    calls = []
    train = teachers.train_teacher

    def counting_train(*args, **kwargs):
        calls.append(1)
        return train(*args, **kwargs)

    monkeypatch.setattr(teachers, "train_teacher", counting_train)
    short = [
        ("teacher_cache", str(tmp_path / "cache")),
        ("teacher.epochs", 3),
        ("student.epochs", 3),
        ("krd.warmup_epochs", 1),
    ]
    cpu = torch.device("cpu")
    records = {}
    for name in ("sage_cora_prod.yaml", "glnn_cora_prod.yaml", "krd_cora_prod.yaml"):
        config = _config(name, *short)
        records[config.model] = distillation.run(config, 0, cpu, tmp_path / name)
    assert len(calls) == 1  # trained once, then read back from the cache
    assert len(list((tmp_path / "cache").rglob("seed0.pt"))) == 1
    for record in records.values():
        test = record.metrics["test"]
        assert set(test) == {"acc_prod", "acc_tran", "acc_ind"}
        assert 0 < test["acc_ind"] <= 1
        assert test["acc_prod"] == pytest.approx(0.8 * test["acc_tran"] + 0.2 * test["acc_ind"])
    # Each student run leaves its student, which alone, on the held-out nodes' feature
    # rows, scores what the record says.
    config = _config("glnn_cora_prod.yaml", *short)
    data = distillation.load_graph(config.data)
    split = make_setting(data, distillation.node_masks(data, config.data, 0), "production", 0.2, 0)
    for model in ("glnn", "krd"):
        student = load_student(tmp_path / f"{model}_cora_prod.yaml" / "student.pt")
        with torch.no_grad():
            logits = student(split.full.x[split.inductive_test])
        acc_ind = accuracy(logits, split.full.y[split.inductive_test])
        assert acc_ind == pytest.approx(records[model].metrics["test"]["acc_ind"])
    assert not (tmp_path / "sage_cora_prod.yaml" / "student.pt").exists()
    mlp = distillation.run(_config("mlp_cora_tran.yaml", *short), 0, cpu, tmp_path / "mlp")
    assert set(mlp.metrics["test"]) == {"acc"} and mlp.epochs_run == 3


def test_minibatches_split_evenly_or_drop_the_partial_batch():
    nodes = torch.arange(1100)
    joint = distillation.minibatches(nodes, 512, drop_last=False)
    assert [b.numel() for b in joint] == [367, 367, 366]  # not 512, 512 and a tail of 76
    assert sorted(torch.cat(joint).tolist()) == nodes.tolist()
    exact = distillation.minibatches(torch.arange(1024), 512, drop_last=False)
    assert [b.numel() for b in exact] == [512, 512]
    assert [b.numel() for b in distillation.minibatches(nodes[:7], 512, False)] == [7]
    official = distillation.minibatches(nodes, 512, drop_last=True)
    assert [b.numel() for b in official] == [512, 512]
    assert torch.cat(official).unique().numel() == 1024
    few = distillation.minibatches(torch.arange(140), 512, drop_last=True)
    assert [b.numel() for b in few] == [140]  # fewer than a batch: one batch of all


def test_alternating_passes_are_glnn_official_loop(require_data, tmp_path, monkeypatch):
    """``alternating``: per epoch one step on the 140 labelled nodes (a zero loss at
    ``lam: 0``, still an Adam step), then one per whole minibatch of all 2485 nodes;
    ``joint``: one per minibatch of all nodes, five of 497."""
    require_data("Planetoid/Cora")
    cpu = torch.device("cpu")
    short = [
        ("teacher_cache", str(tmp_path / "cache")),
        ("teacher.epochs", 3),
        ("student.epochs", 2),
    ]
    distillation.run(_config("glnn_cora_tran.yaml", *short), 0, cpu, tmp_path / "teacher")
    batches, steps = [], []
    cut, step = distillation.minibatches, torch.optim.Adam.step

    def recording_minibatches(nodes, batch_size, drop_last):
        out = cut(nodes, batch_size, drop_last)
        batches.append([b.numel() for b in out])
        return out

    def counting_step(self, *args, **kwargs):
        steps.append(1)
        return step(self, *args, **kwargs)

    monkeypatch.setattr(distillation, "minibatches", recording_minibatches)
    monkeypatch.setattr(torch.optim.Adam, "step", counting_step)
    passes = {}
    for mode in ("alternating", "joint"):
        batches.clear()
        steps.clear()
        config = _config("glnn_cora_tran.yaml", *short, ("loss.passes", mode))
        distillation.run(config, 0, cpu, tmp_path / mode)  # the teacher comes from the cache
        passes[mode] = (list(batches), len(steps))
    assert passes["alternating"] == ([[140], [512] * 4] * 2, 2 * 5)
    assert passes["joint"] == ([[497] * 5] * 2, 2 * 5)
    with pytest.raises(ConfigError, match="passes: alternating"):
        _config("krd_cora_tran.yaml", ("loss.passes", "alternating"))


def test_stored_split_is_the_column_of_the_seed(require_data):
    require_data("WebKB/cornell")
    config = _config("heterophilous/glnn_cornell_tran.yaml").data
    data = distillation.load_graph(config)
    stored = load("Cornell")[0]
    for seed in (0, 9):
        masks = distillation.node_masks(data, config, seed)
        assert torch.equal(masks["train"], stored.train_mask[:, seed])
        assert torch.equal(masks["valid"], stored.val_mask[:, seed])
        assert torch.equal(masks["test"], stored.test_mask[:, seed])
    assert not torch.equal(stored.train_mask[:, 0], stored.train_mask[:, 9])
    # undirected: true keeps every stored (directed) edge and adds its reverse.
    edges = set(map(tuple, data.edge_index.t().tolist()))
    assert set(map(tuple, stored.edge_index.t().tolist())) <= edges
    assert all((j, i) in edges for i, j in edges)


def test_stored_split_rejects_seeds_it_does_not_store(require_data):
    require_data("WebKB/cornell")
    config = _config("heterophilous/glnn_cornell_tran.yaml").data
    data = distillation.load_graph(config)
    for seed in (10, -1):
        with pytest.raises(ValueError, match=rf"split index {seed} is out of range.*\(0\.\.9\)"):
            distillation.node_masks(data, config, seed)


def test_split_protocol_mismatches_are_clear_errors(require_data):
    require_data("WebKB/cornell")
    require_data("Planetoid/Cora")
    cornell = _config("heterophilous/glnn_cornell_tran.yaml", ("data.split", "public")).data
    with pytest.raises(ValueError, match=r"stores 10 splits .*choose one by index 0\.\.9"):
        distillation.node_masks(distillation.load_graph(cornell), cornell, 0)
    cora = _config(
        "glnn_cora_tran.yaml", ("data.split", "stored"), ("data.largest_component", False)
    ).data
    with pytest.raises(ValueError, match=r"single split .*no split index 0"):
        distillation.node_masks(distillation.load_graph(cora), cora, 0)
    with pytest.raises(ConfigError, match="split: stored indexes the whole graph"):
        _config("heterophilous/glnn_cornell_tran.yaml", ("data.largest_component", True))


def test_citeseer_under_the_glnn_protocol_has_no_padding_nodes(require_data):
    # Shchur et al.'s CiteSeer component: 2,110 nodes, 3,668 edges. Planetoid's has 10
    # more, label-less nodes that a drawn split would take as class 0.
    require_data("Planetoid/CiteSeer")
    glnn = distillation.load_graph(_config("glnn_citeseer_tran.yaml").data)
    assert (glnn.num_nodes, glnn.num_edges // 2) == (2110, 3668)
    assert bool((glnn.x.sum(1) > 0).all())
    assert sorted(torch.bincount(glnn.y).tolist()) == [115, 304, 308, 388, 463, 532]
    # KRD's public split keeps the graph Planetoid's loaders give, padding included.
    public = distillation.load_graph(_config("krd_public_citeseer_tran.yaml").data)
    assert public.num_nodes == 3327


def test_photo_is_glnns_graph_node_for_node(require_data):
    # GLNN (through CPF) reads the same npz and keeps the largest component of the
    # unweighted, symmetrised, loop-free graph, nodes in file order. Same graph, same
    # order: random_node_split's numpy draw then gives the official split of every seed.
    raw = np.load(require_data("Amazon/Photo/raw/amazon_electronics_photo.npz"))
    adj = scipy.sparse.csr_matrix(
        (raw["adj_data"], raw["adj_indices"], raw["adj_indptr"]), shape=raw["adj_shape"]
    )
    adj = ((adj + adj.T) != 0).astype(np.float64).tolil()
    adj.setdiag(0)
    adj = adj.tocsr()
    adj.eliminate_zeros()
    _, component = scipy.sparse.csgraph.connected_components(adj)
    nodes = np.flatnonzero(component == np.bincount(component).argmax())
    features = scipy.sparse.csr_matrix(
        (raw["attr_data"], raw["attr_indices"], raw["attr_indptr"]), shape=raw["attr_shape"]
    )
    data = distillation.load_graph(_config("glnn_photo_tran.yaml").data)
    assert np.array_equal(data.y.numpy(), raw["labels"][nodes])
    assert np.array_equal(data.x.numpy(), features[nodes].toarray())
    edges = data.edge_index.numpy()
    ours = scipy.sparse.csr_matrix((np.ones(edges.shape[1]), tuple(edges)), shape=(nodes.size,) * 2)
    assert (ours != adj[nodes][:, nodes]).nnz == 0


def test_teacher_cache_tells_splits_and_graphs_apart():
    stored = _config("heterophilous/glnn_cornell_tran.yaml")
    drawn = _config(
        "heterophilous/glnn_cornell_tran.yaml",
        ("data.split", "glnn"),
        ("data.largest_component", True),
    )
    edges = torch.tensor([[0, 1], [1, 0]])
    graph, smaller = Data(edge_index=edges, num_nodes=3), Data(edge_index=edges, num_nodes=2)
    files = {
        distillation.teacher_cache_file(stored, 0, graph),
        distillation.teacher_cache_file(stored, 1, graph),
        distillation.teacher_cache_file(drawn, 0, graph),
        distillation.teacher_cache_file(stored, 0, smaller),
    }
    assert len(files) == 4


def test_teacher_cache_is_not_read_across_training_code_versions(monkeypatch):
    from gnnlib.distill import teachers

    config, graph = _config("glnn_cora_tran.yaml"), Data(num_nodes=3)
    before = distillation.teacher_cache_file(config, 0, graph)
    monkeypatch.setattr(teachers, "TEACHER_TRAINING_VERSION", teachers.TEACHER_TRAINING_VERSION + 1)
    assert distillation.teacher_cache_file(config, 0, graph) != before


def test_teacher_cache_notes_its_thread_count_and_warns_under_another(tmp_path, monkeypatch):
    trained = teachers.TeacherOutputs(torch.randn(3, 2), {}, {"test": {"acc": 0.5}}, 1, 2)
    monkeypatch.setattr(teachers, "train_teacher", lambda *args: trained)
    cache, cpu = tmp_path / "seed0.pt", torch.device("cpu")

    def load_teacher():
        return teachers.load_or_train_teacher(teachers.TeacherConfig(), None, cpu, cache, tmp_path)

    load_teacher()
    saved = safe_torch_load(cache)
    threads = torch.get_num_threads()
    assert saved["threads"] == threads
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger(teachers.__name__)
    logger.addHandler(handler)
    try:
        load_teacher()
        assert warnings == []  # trained with this run's thread count
        atomic_torch_save({**saved, "threads": threads + 1}, cache)
        loaded = load_teacher()
    finally:
        logger.removeHandler(handler)
    assert len(warnings) == 1
    assert f"trained with {threads + 1} threads and this run uses {threads}" in warnings[0]
    assert torch.equal(loaded.logits, trained.logits)  # still read, not retrained


def test_damaged_teacher_cache_is_a_clear_error_and_left_as_it_is(tmp_path, monkeypatch):
    monkeypatch.setattr(teachers, "train_teacher", lambda *args: pytest.fail("retrained"))
    cache = tmp_path / "seed0.pt"
    cache.write_bytes(b"PK\x03\x04 cut short")  # e.g. an unfinished copy
    with pytest.raises(UnreadableFileError, match=r"cached teacher .*seed0.pt.*Delete it"):
        teachers.load_or_train_teacher(
            teachers.TeacherConfig(), None, torch.device("cpu"), cache, tmp_path
        )
    assert cache.read_bytes() == b"PK\x03\x04 cut short"


def test_production_on_a_stored_split_never_trains_on_held_out_nodes(
    require_data, tmp_path, monkeypatch
):
    require_data("WebKB/cornell")
    stored = load("Cornell")[0]
    seed = 3
    short = [
        ("data.setting", "production"),
        ("teacher.epochs", 3),
        ("student.epochs", 3),
        ("krd.warmup_epochs", 1),
    ]
    make_setting = distillation.make_setting
    splits = []

    def poisoned_setting(*args, **kwargs):
        split = make_setting(*args, **kwargs)
        # Any read of a held-out node's features (or, through an edge, of its messages)
        # while training would turn losses, weights and every later metric NaN or
        # different from the clean run's.
        split.full.x[split.inductive_test] = float("nan")
        splits.append(split)
        return split

    records = {}
    for run in ("clean", "poisoned"):
        if run == "poisoned":
            monkeypatch.setattr(distillation, "make_setting", poisoned_setting)
        cache = ("teacher_cache", str(tmp_path / run / "cache"))
        for model in ("sage", "glnn", "krd"):
            config = _config(f"heterophilous/{model}_cornell_tran.yaml", cache, *short)
            record = distillation.run(config, seed, torch.device("cpu"), tmp_path / run / model)
            records[run, model] = record

    split = splits[0]
    held_out, observed = split.inductive_test, split.observed_nodes
    assert held_out.numel() == int(stored.test_mask[:, seed].sum() * 0.2)
    assert bool(stored.test_mask[held_out, seed].all())
    assert torch.equal(split.observed.train_mask, stored.train_mask[observed, seed])
    assert torch.equal(split.observed.val_mask, stored.val_mask[observed, seed])
    for model in ("sage", "glnn", "krd"):
        clean, poisoned = records["clean", model], records["poisoned", model]
        assert poisoned.split_seed == seed and poisoned.setting == "production"
        assert poisoned.best_epoch == clean.best_epoch
        for part in ("train", "valid"):
            assert poisoned.metrics[part] == clean.metrics[part]
        assert poisoned.metrics["test"]["acc_tran"] == clean.metrics["test"]["acc_tran"]


def test_tiny_rocauc_runs_on_minesweeper(require_data, tmp_path):
    require_data("HeterophilousGraphDataset/minesweeper")
    short = [
        ("teacher_cache", str(tmp_path / "cache")),
        ("teacher.epochs", 2),
        ("student.epochs", 2),
        ("krd.warmup_epochs", 1),
    ]
    for model in ("sage", "mlp", "glnn", "krd"):
        config = _config(f"heterophilous/{model}_minesweeper_tran.yaml", *short)
        record = distillation.run(config, 9, torch.device("cpu"), tmp_path / model)
        assert record.split_seed == 9 and record.setting == "transductive"
        assert set(record.metrics) == {"train", "valid", "test"}
        for part in record.metrics.values():
            assert set(part) == {"rocauc"} and 0.0 <= part["rocauc"] <= 1.0


@pytest.mark.parametrize("name", ["glnn_arxiv_prod.yaml", "glnn_products_tran.yaml"])
def test_ogb_configs_models_train_on_cora(require_data, tmp_path, name):
    """The ogbn-arxiv and ogbn-products configs (data not on this machine) with their
    own teacher and student, on Cora's GLNN protocol instead: 3-layer batch-norm SAGE
    teachers sampled with fan-out 5, 10, 15 and wide batch-norm students, end to end."""
    require_data("Planetoid/Cora")
    config = _config(
        name,
        ("data", {"name": "Cora", "setting": _config(name).data.setting}),
        ("teacher_cache", str(tmp_path / "cache")),
        ("teacher.epochs", 2),
        ("student.epochs", 2),
    )
    assert config.teacher.fan_out == [5, 10, 15] and config.student.norm == "batch"
    record = distillation.run(config, 0, torch.device("cpu"), tmp_path / "run")
    assert record.epochs_run == 2
    for part in record.metrics["test"].values():
        assert 0.0 < part <= 1.0
    student = load_student(tmp_path / "run" / "student.pt")
    hidden = config.student.hidden
    assert student.channels == [1433, hidden, hidden, 7]
