import dataclasses
import shutil

import pytest
import torch

from gnnlib.io import UnreadableFileError, atomic_torch_save, safe_torch_load
from gnnlib.metanet import parameter_graph, task
from gnnlib.metanet.zoo import ModelZoo, build_zoo, run_path, sample_spec, split_runs


@pytest.fixture(scope="module")
def zoo_dir(tmp_path_factory):
    return build_zoo(tmp_path_factory.mktemp("zoo"), size=4, seed=3, show_progress=False)


def test_zoo_is_deterministic_and_resumes_after_a_kill(zoo_dir, capsys):
    first = safe_torch_load(run_path(zoo_dir, 2))
    kept = run_path(zoo_dir, 0).stat().st_mtime_ns
    run_path(zoo_dir, 2).unlink()  # as if killed while training run 2
    capsys.readouterr()
    build_zoo(zoo_dir, size=4, seed=3, show_progress=False)
    # with the bar hidden, the last run built is logged
    assert (
        capsys.readouterr()
        .err.rstrip()
        .endswith(f"zoo {zoo_dir.name}: run 2 written, 1 of 1 to build")
    )
    again = safe_torch_load(run_path(zoo_dir, 2))
    assert run_path(zoo_dir, 0).stat().st_mtime_ns == kept  # finished runs are skipped
    assert again["spec"] == first["spec"]
    for a, b in zip(first["checkpoints"], again["checkpoints"], strict=True):
        assert a["test_acc"] == b["test_acc"]
        for key, value in a["state_dict"].items():
            assert torch.equal(value, b["state_dict"][key]), key
    with pytest.raises(ValueError, match="zoo of seed 3"):
        build_zoo(zoo_dir, size=4, seed=4)


def test_zoo_records_accuracy_and_gap_per_checkpoint(zoo_dir):
    zoo = ModelZoo(zoo_dir)
    assert zoo.runs == [0, 1, 2, 3] and len(zoo) >= 8
    for checkpoint in zoo:
        assert 0 <= checkpoint.test_acc <= 1
        assert checkpoint.gap == pytest.approx(checkpoint.train_acc - checkpoint.test_acc)
        graph = checkpoint.graph()
        assert graph.y.item() == checkpoint.test_acc and graph.run.item() == checkpoint.run
    with pytest.raises(FileNotFoundError, match="gnnlib zoo build"):
        ModelZoo(zoo_dir / "missing")


def test_diverged_checkpoints_are_left_out(zoo_dir, tmp_path):
    for path in zoo_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    record = safe_torch_load(run_path(tmp_path, 1))
    first, second = record["checkpoints"][:2]
    next(iter(first["state_dict"].values()))[0] = 5e25  # as a run that diverged
    next(iter(second["state_dict"].values()))[0] = float("nan")
    atomic_torch_save(record, run_path(tmp_path, 1))

    full = ModelZoo(zoo_dir)
    zoo = ModelZoo(tmp_path)
    assert zoo.excluded == [(1, first["epoch"]), (1, second["epoch"])]
    assert len(zoo) == len(full) - 2
    assert (1, first["epoch"]) not in {(c.run, c.epoch) for c in zoo}
    kept_huge = ModelZoo(tmp_path, max_abs_weight=None)  # finite ones all kept
    assert kept_huge.excluded == [(1, second["epoch"])]


def test_damaged_zoo_run_names_itself_and_how_to_train_it_again(zoo_dir, tmp_path):
    for path in zoo_dir.iterdir():
        shutil.copy(path, tmp_path / path.name)
    run_path(tmp_path, 2).write_bytes(b"PK\x03\x04")  # an unfinished copy
    with pytest.raises(UnreadableFileError, match=r"zoo run .*Delete it and rerun"):
        ModelZoo(tmp_path)


def test_specs_depend_only_on_seed_and_index():
    assert sample_spec(0, 5) == sample_spec(0, 5) and sample_spec(0, 5) != sample_spec(1, 5)


def test_splits_are_by_training_run():
    splits = split_runs(list(range(20)), (0.6, 0.2), seed=0)
    assert sorted(r for runs in splits.values() for r in runs) == list(range(20))
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [12, 4, 4]


@pytest.mark.parametrize("model", ["gmn", "statnn", "deepsets", "neuralgraph"])
def test_task_runs_and_reports_r2_and_tau(zoo_dir, tmp_path, model):
    config = task.WeightSpaceConfig(
        method=model,
        data=task.ZooDataConfig(name="tiny", root=str(zoo_dir), train_ratio=0.5, valid_ratio=0.25),
        model=task.MetanetModelConfig(name=model, hidden=8, layers=2),
    )
    config.train = dataclasses.replace(config.train, epochs=2)
    record = task.run(config, 0, torch.device("cpu"), tmp_path)
    assert set(record.metrics) == {"train", "valid", "test"}  # one family among the test runs
    assert set(record.metrics["test"]) == {"r2", "tau"}


def test_bce_reads_the_output_through_a_sigmoid():
    output, accuracy = torch.tensor([0.0, 2.0]), torch.tensor([0.5, 0.9])
    sig2 = 1 / (1 + torch.exp(torch.tensor(-2.0)))
    # -(y log p + (1 - y) log(1 - p)) per network, averaged; p = 1/2 for output 0
    by_hand = (
        -torch.log(torch.tensor(0.5)) - 0.9 * torch.log(sig2) - 0.1 * torch.log(1 - sig2)
    ) / 2
    assert task.training_loss(output, accuracy, "bce") == pytest.approx(float(by_hand))
    assert task.training_loss(output, accuracy, "mse") == pytest.approx((0.25 + 1.1**2) / 2)
    assert task.predicted_accuracy(output, "bce").tolist() == pytest.approx([0.5, float(sig2)])
    far = task.predicted_accuracy(torch.tensor([-50.0, 50.0]), "bce")
    assert bool(((far >= 0) & (far <= 1)).all())  # never outside [0, 1]
    assert task.predicted_accuracy(output, "mse") is output


def test_the_task_trains_with_bce_and_records_the_choice(zoo_dir, tmp_path):
    config = task.WeightSpaceConfig(
        method="deepsets",
        data=task.ZooDataConfig(name="tiny", root=str(zoo_dir), train_ratio=0.5, valid_ratio=0.25),
        model=task.MetanetModelConfig(name="deepsets", hidden=8),
        loss="bce",
    )
    config.train = dataclasses.replace(config.train, epochs=2)
    record = task.run(config, 0, torch.device("cpu"), tmp_path)
    assert record.config["loss"] == "bce"
    assert all(torch.isfinite(torch.tensor(m["r2"])) for m in record.metrics.values())


@pytest.mark.parametrize(
    ("option", "value", "owner", "other"),
    [
        ("global_state", True, "gmn", "deepsets"),
        ("readout_neurons", True, "gmn", "neuralgraph"),
        ("group_kernels", False, "neuralgraph", "gmn"),
        ("bias_features", False, "neuralgraph", "statnn"),
    ],
)
def test_a_model_option_belongs_to_its_model(option, value, owner, other):
    config = task.MetanetModelConfig(name=other, **{option: value})
    with pytest.raises(ValueError, match=f"model.{option} is an option of model.name '{owner}'"):
        task.build_model(config, [], [])
    graphs = [parameter_graph(torch.nn.Sequential(torch.nn.Linear(3, 2)), torch.randn(1, 3))]
    config = task.MetanetModelConfig(name=owner, hidden=8, layers=1, **{option: value})
    assert task.build_model(config, graphs, graphs) is not None


def test_the_neural_graph_switches_reach_the_graphs_the_model_reads(zoo_dir, tmp_path, monkeypatch):
    """With both switches off the neural graphs the task trains on have one edge per
    parameter, as the parameter graphs do; the run trains and scores."""
    config = task.WeightSpaceConfig(
        method="neuralgraph",
        data=task.ZooDataConfig(name="tiny", root=str(zoo_dir), train_ratio=0.5, valid_ratio=0.25),
        model=task.MetanetModelConfig(
            name="neuralgraph", hidden=8, layers=1, group_kernels=False, bias_features=False
        ),
    )
    config.train = dataclasses.replace(config.train, epochs=1)
    seen = []
    original = task.neural_graph

    def spy(graph, *args):
        converted = original(graph, *args)
        seen.append((graph.num_edges, converted.num_edges))
        return converted

    monkeypatch.setattr(task, "neural_graph", spy)
    record = task.run(config, 0, torch.device("cpu"), tmp_path)
    assert seen and all(before == after for before, after in seen)
    assert all(torch.isfinite(torch.tensor(m["r2"])) for m in record.metrics.values())


def test_a_test_split_of_several_families_is_also_scored_per_family(zoo_dir, tmp_path):
    data = task.ZooDataConfig(name="tiny", root=str(zoo_dir), train_ratio=0.25, valid_ratio=0.25)
    zoo = ModelZoo(zoo_dir)
    test_runs = task.split_zoo(zoo, data, seed=3)["test"]
    families = {c.spec["family"] for c in zoo.checkpoints if c.run in test_runs}
    assert families == {"cnn", "mlp"}
    config = task.WeightSpaceConfig(
        method="deepsets", data=data, model=task.MetanetModelConfig(name="deepsets", hidden=8)
    )
    config.train = dataclasses.replace(config.train, epochs=2)
    record = task.run(config, 3, torch.device("cpu"), tmp_path)
    assert set(record.metrics) == {"train", "valid", "test", "test_cnn", "test_mlp"}
    assert record.metrics["test_cnn"] != record.metrics["test_mlp"]


def test_family_metrics_score_each_family_alone():
    pred, target = torch.tensor([0.0, 1.0, 1.0, 0.0]), torch.tensor([0.0, 0.0, 1.0, 1.0])
    metrics = task.family_metrics(pred, target, ["cnn", "vit", "cnn", "vit"])
    assert metrics == {
        "test_cnn": {"r2": pytest.approx(1.0), "tau": pytest.approx(1.0)},
        # residuals 1 and 1 against a variance of 0.25 per point: 1 - 2 / 0.5
        "test_vit": {"r2": pytest.approx(-3.0), "tau": pytest.approx(-1.0)},
    }
