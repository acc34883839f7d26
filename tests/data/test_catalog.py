"""The dataset catalogue, name lookup, the roots and the raw-file mirroring."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gnnlib.data import (
    DATASETS,
    TASKS,
    available,
    cache_root,
    data_root,
    dataset_info,
    format_table,
    list_datasets,
    offline,
    table_rows,
)
from gnnlib.data.catalog import _key, catalogue_spelling
from gnnlib.data.paths import mirror_raw_files

REPO = Path(__file__).resolve().parents[2]

# Names the brief requires, with the spelling a user would type.
REQUIRED = [
    "Cora",
    "CiteSeer",
    "Photo",
    "MUTAG",
    "PROTEINS",
    "NCI1",
    "ENZYMES",
    "IMDB-BINARY",
    "IMDB-MULTI",
    "PTC_MR",
    "Cornell",
    "Texas",
    "Wisconsin",
    "Actor",
    "Minesweeper",
    "Tolokers",
    "chameleon",
    "squirrel",
    "chameleon_filtered",
    "squirrel_filtered",
    "ogbl-ddi",
    "ogbg-molbace",
    "ogbg-molbbbp",
    "ogbg-molesol",
    "ogbg-molfreesolv",
    "Peptides-func",
    "USAir",
    "NS",
    "PB",
    "Yeast",
    "Celegans",
    "Power",
    "Router",
    "Ecoli",
    "PubMed",
    "Computers",
    "CS",
    "Physics",
    "ogbl-collab",
    "ogbl-ppa",
    "ogbl-citation2",
    "ogbn-arxiv",
    "ogbn-products",
    "Peptides-struct",
]


def test_catalogue_has_every_required_dataset_once():
    names = [info.name for info in list_datasets()]
    assert sorted(names) == sorted(REQUIRED)
    keys = [_key(alias) for info in DATASETS for alias in (info.name, *info.aliases)]
    assert len(keys) == len(set(keys)), "two entries share a name or alias"


@pytest.mark.parametrize("info", DATASETS, ids=lambda info: info.name)
def test_entry_is_consistent(info):
    assert info.task in TASKS
    assert info.files and all(f.startswith(info.folder + "/") for f in info.files)
    assert info.num_graphs >= 1 and info.num_nodes > 0 and info.num_edges > 0
    assert (info.num_classes == 0) == (info.task == "link_prediction")
    assert info.url.startswith(("http://", "https://"))
    assert info.description


@pytest.mark.parametrize(
    "query, name",
    [
        ("cora", "Cora"),
        ("CORA", "Cora"),
        ("ogbl-ddi", "ogbl-ddi"),
        ("OGBL_DDI", "ogbl-ddi"),
        ("IMDB-BINARY", "IMDB-BINARY"),
        ("imdb_binary", "IMDB-BINARY"),
        ("Peptides-func", "Peptides-func"),
        ("peptides-functional", "Peptides-func"),
        ("chameleon_filtered", "chameleon_filtered"),
        ("Amazon-Photo", "Photo"),
        ("ptc_mr", "PTC_MR"),
    ],
)
def test_lookup_is_case_insensitive_and_accepts_official_spelling(query, name):
    assert dataset_info(query).name == name


def test_catalogue_spelling_is_the_name_or_alias_the_query_matched():
    assert catalogue_spelling("cora") == "Cora"
    assert catalogue_spelling("a_photo") == "A-Photo"  # GLNN's alias, not the name Photo
    assert catalogue_spelling("Photo") == "Photo"
    with pytest.raises(ValueError, match="Unknown dataset"):
        catalogue_spelling("digits-zoo-cnn")


def test_unknown_name_lists_known_names_and_suggests_the_closest():
    with pytest.raises(ValueError) as err:
        dataset_info("Coraa")
    message = str(err.value)
    assert "'Coraa'" in message
    assert "Did you mean 'Cora'?" in message
    assert "ogbl-ddi" in message and "Peptides-func" in message


def test_unknown_name_without_close_match_has_no_suggestion():
    with pytest.raises(ValueError, match="Unknown dataset 'zzzzzz'") as err:
        dataset_info("zzzzzz")
    assert "Did you mean" not in str(err.value)


def test_roots_follow_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("GNNLIB_DATA", raising=False)
    monkeypatch.delenv("GNNLIB_CACHE", raising=False)
    assert data_root() is None
    # Running from this source checkout: the cache defaults to <repo>/datasets.
    assert cache_root() == REPO / "datasets"
    monkeypatch.setenv("GNNLIB_DATA", str(tmp_path / "raw"))
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path / "cache"))
    assert data_root() == tmp_path / "raw"
    assert cache_root() == tmp_path / "cache"


@pytest.mark.parametrize(
    "value, expected", [("1", True), ("true", True), ("0", False), ("", False)]
)
def test_offline_flag(monkeypatch, value, expected):
    monkeypatch.setenv("GNNLIB_OFFLINE", value)
    assert offline() is expected


def _place(root: Path, relpaths: tuple[str, ...]) -> None:
    for rel in relpaths:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(b"x")


def test_available_needs_every_file_in_one_root(monkeypatch, tmp_path):
    data, cache = tmp_path / "data", tmp_path / "cache"
    monkeypatch.setenv("GNNLIB_DATA", str(data))
    monkeypatch.setenv("GNNLIB_CACHE", str(cache))
    files = dataset_info("USAir").files + dataset_info("Cora").files[:-1]
    _place(data, files)
    assert available("USAir")
    assert not available("Cora")  # one raw file short
    _place(cache, dataset_info("Cora").files)
    assert available("cora")  # complete in the cache root


def test_table_rows_and_format(monkeypatch, tmp_path):
    monkeypatch.setenv("GNNLIB_DATA", str(tmp_path))
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path / "cache"))
    _place(tmp_path, dataset_info("NS").files)
    rows = {row[0]: row for row in table_rows()}
    assert rows["NS"] == ("NS", "link_prediction", "1,589 nodes, 5,484 edges", "SEAL", "yes")
    assert rows["MUTAG"][2] == "188 graphs, 3,371 nodes, 7,442 edges"
    assert rows["Cora"][4] == "no"
    table = format_table().splitlines()
    assert table[0].split() == ["name", "task", "size", "source", "available"]
    assert len(table) == len(DATASETS) + 2


def test_datasets_readme_describes_every_entry():
    readme = (REPO / "datasets" / "README.md").read_text()
    for info in DATASETS:
        assert f"`{info.name}`" in readme, f"{info.name} is missing from datasets/README.md"


def test_mirror_links_files_keeps_real_ones_and_replaces_stale_links(tmp_path):
    source, target = tmp_path / "src", tmp_path / "dst"
    _place(source, ("raw/a.txt", "raw/sub/b.txt", "c.txt"))
    _place(target, ("c.txt",))  # e.g. an earlier download
    old = tmp_path / "old.txt"
    old.write_text("old")
    (target / "raw").mkdir()
    (target / "raw" / "a.txt").symlink_to(old)  # left by an earlier GNNLIB_DATA

    mirror_raw_files(source, target)

    assert os.readlink(target / "raw" / "a.txt") == str(source / "raw" / "a.txt")
    assert (target / "raw" / "sub" / "b.txt").is_symlink()
    assert not (target / "c.txt").is_symlink()
    assert sorted(p.name for p in source.rglob("*")) == ["a.txt", "b.txt", "c.txt", "raw", "sub"]
