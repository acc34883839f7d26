"""The dataset catalogue: every dataset :func:`gnnlib.data.load` knows, as plain data.

One frozen :class:`DatasetInfo` per dataset in the tuple :data:`DATASETS`. An entry
says what the dataset is (task, size, origin) and which raw files must exist, relative
to a data root, for it to load without a download. Adding a dataset means adding an
entry here and, for a new ``source``, one loader in :mod:`gnnlib.data.loaders`.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from gnnlib.data.paths import cache_root, data_root

__all__ = [
    "DATASETS",
    "TASKS",
    "DatasetInfo",
    "available",
    "dataset_info",
    "format_table",
    "list_datasets",
    "locate",
    "table_rows",
]

TASKS = (
    "node_classification",
    "link_prediction",
    "graph_classification",
    "graph_regression",
    "graph_multilabel",
)


@dataclass(frozen=True)
class DatasetInfo:
    """One dataset: what it is, where it comes from and which raw files it needs.

    Attributes:
        name: official spelling (``'Cora'``, ``'ogbl-ddi'``, ``'IMDB-BINARY'``).
        task: one of :data:`TASKS`.
        source: loader family (``'Planetoid'``, ``'TUDataset'``, ``'OGB'``, ``'SEAL'``, ...);
            :mod:`gnnlib.data.loaders` has one loader per family.
        folder: the dataset's folder relative to a data root; everything under it is
            mirrored into the cache root, and processed files are written there.
        files: raw files, relative to a data root, that must all exist to load offline.
        num_graphs: number of graphs (1 for single-graph datasets).
        num_nodes: nodes, summed over graphs.
        num_edges: ``edge_index`` columns as loaded, summed over graphs (an undirected
            edge counts twice, as PyG stores both directions).
        num_features: node feature columns (0 when there are none).
        num_classes: classes; for multilabel and regression tasks the number of
            targets; 0 for link prediction.
        description: one line on what the graphs and labels are.
        url: where the raw files are published (what an online load downloads).
        aliases: other accepted names (matched like ``name``, case-insensitively).
    """

    name: str
    task: str
    source: str
    folder: str
    files: tuple[str, ...]
    num_graphs: int
    num_nodes: int
    num_edges: int
    num_features: int
    num_classes: int
    description: str
    url: str
    aliases: tuple[str, ...] = ()

    @property
    def size(self) -> str:
        """Human-readable size: nodes and edges, prefixed by the graph count if several."""
        graphs = f"{self.num_graphs:,} graphs, " if self.num_graphs > 1 else ""
        return f"{graphs}{self.num_nodes:,} nodes, {self.num_edges:,} edges"


def _planetoid(name: str, nodes: int, edges: int, features: int, classes: int) -> DatasetInfo:
    suffixes = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
    return DatasetInfo(
        name=name,
        task="node_classification",
        source="Planetoid",
        folder=f"Planetoid/{name}",
        files=tuple(f"Planetoid/{name}/raw/ind.{name.lower()}.{s}" for s in suffixes),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=classes,
        description=f"{name} citation graph, bag-of-words features, paper topics "
        "(public split: 20 labels per class, 500 val, 1,000 test)",
        url="https://github.com/kimiyoung/planetoid/raw/master/data",
    )


def _shchur_npz(
    source: str,
    name: str,
    file: str,
    nodes: int,
    edges: int,
    features: int,
    classes: int,
    description: str,
    aliases: tuple[str, ...],
) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        task="node_classification",
        source=source,
        folder=f"{source}/{name}",
        files=(f"{source}/{name}/raw/{file}",),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=classes,
        description=description,
        url=f"https://github.com/shchur/gnn-benchmark/raw/master/data/npz/{file}",
        aliases=aliases,
    )


def _tu(
    name: str,
    graphs: int,
    nodes: int,
    edges: int,
    features: int,
    classes: int,
    description: str,
) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        task="graph_classification",
        source="TUDataset",
        folder=f"TUDataset/{name}",
        files=tuple(
            f"TUDataset/{name}/raw/{name}_{part}.txt"
            for part in ("A", "graph_indicator", "graph_labels")
        ),
        num_graphs=graphs,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=classes,
        description=description,
        url=f"https://www.chrsmrrs.com/graphkerneldatasets/{name}.zip",
    )


def _geom_gcn(
    source: str,
    name: str,
    folder: str,
    prefix: str,
    nodes: int,
    edges: int,
    features: int,
    description: str,
) -> DatasetInfo:
    raw = ["out1_node_feature_label.txt", "out1_graph_edges.txt"]
    raw += [f"{prefix}_split_0.6_0.2_{i}.npz" for i in range(10)]
    return DatasetInfo(
        name=name,
        task="node_classification",
        source=source,
        folder=folder,
        files=tuple(f"{folder}/raw/{f}" for f in raw),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=5,
        description=description + " (10 Geom-GCN splits, 48/32/20, masks [N, 10])",
        url="https://github.com/graphdml-uiuc-jlu/geom-gcn",
    )


def _heterophilous(
    name: str, nodes: int, edges: int, features: int, classes: int, description: str
) -> DatasetInfo:
    folder = f"HeterophilousGraphDataset/{name.lower()}"
    base = "https://github.com/yandex-research/heterophilous-graphs/raw/main/data"
    return DatasetInfo(
        name=name,
        task="node_classification",
        source="HeterophilousGraphDataset",
        folder=folder,
        files=(f"{folder}/raw/{name.lower()}.npz",),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=classes,
        description=description + " (10 splits, masks [N, 10])",
        url=f"{base}/{name.lower()}.npz",
    )


def _heterophilous_npz(
    name: str, nodes: int, edges: int, features: int, description: str
) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        task="node_classification",
        source="heterophilous_npz",
        folder="heterophilous_npz",
        files=(f"heterophilous_npz/{name}.npz",),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=5,
        description=description + " (Platonov et al. npz, 10 splits, masks [N, 10])",
        url=f"https://github.com/yandex-research/heterophilous-graphs/raw/main/data/{name}.npz",
    )


def _seal(name: str, nodes: int, edges: int, description: str) -> DatasetInfo:
    return DatasetInfo(
        name=name,
        task="link_prediction",
        source="SEAL",
        folder="seal_linkpred",
        files=(f"seal_linkpred/{name}.mat",),
        num_graphs=1,
        num_nodes=nodes,
        num_edges=edges,
        num_features=0,
        num_classes=0,
        description=description + " (SEAL .mat, no features, no stored split)",
        url=f"https://github.com/muhanzhang/SEAL/raw/master/Python/data/{name}.mat",
    )


def _ogb(
    name: str,
    task: str,
    raw: tuple[str, ...],
    split: tuple[str, ...],
    *,
    graphs: int = 1,
    nodes: int,
    edges: int,
    features: int,
    classes: int,
    description: str,
    url: str,
) -> DatasetInfo:
    folder = "ogb/" + name.replace("-", "_")
    files = ("RELEASE_v1.txt", *(f"raw/{f}" for f in raw), *(f"split/{f}" for f in split))
    return DatasetInfo(
        name=name,
        task=task,
        source="OGB",
        folder=folder,
        files=tuple(f"{folder}/{f}" for f in files),
        num_graphs=graphs,
        num_nodes=nodes,
        num_edges=edges,
        num_features=features,
        num_classes=classes,
        description=description,
        url=f"http://snap.stanford.edu/ogb/data/{url}",
    )


_COUNTS = ("num-node-list.csv.gz", "num-edge-list.csv.gz")
_MOL_RAW = ("edge.csv.gz", "node-feat.csv.gz", "edge-feat.csv.gz", "graph-label.csv.gz") + _COUNTS
_SCAFFOLD = tuple(f"scaffold/{s}.csv.gz" for s in ("train", "valid", "test"))


def _ogb_mol(
    name: str, task: str, graphs: int, nodes: int, edges: int, classes: int, description: str
) -> DatasetInfo:
    return _ogb(
        f"ogbg-mol{name}",
        task,
        _MOL_RAW,
        _SCAFFOLD,
        graphs=graphs,
        nodes=nodes,
        edges=edges,
        features=9,
        classes=classes,
        description=description + " (OGB atom/bond features, scaffold split)",
        url=f"graphproppred/csv_mol_download/{name}.zip",
    )


def _split_files(split: str, ext: str) -> tuple[str, ...]:
    return tuple(f"{split}/{s}.{ext}" for s in ("train", "valid", "test"))


DATASETS: tuple[DatasetInfo, ...] = (
    # Node classification: citation, co-purchase and co-authorship graphs.
    _planetoid("Cora", 2708, 10556, 1433, 7),
    _planetoid("CiteSeer", 3327, 9104, 3703, 6),
    _planetoid("PubMed", 19717, 88648, 500, 3),
    _shchur_npz(
        "Amazon",
        "Photo",
        "amazon_electronics_photo.npz",
        7650,
        238162,
        745,
        8,
        "Amazon Photo co-purchase graph, bag-of-words reviews, product categories",
        ("Amazon-Photo", "A-Photo"),
    ),
    _shchur_npz(
        "Amazon",
        "Computers",
        "amazon_electronics_computers.npz",
        13752,
        491722,
        767,
        10,
        "Amazon Computers co-purchase graph, bag-of-words reviews, product categories",
        ("Amazon-Computers", "A-Computer", "A-Computers"),
    ),
    _shchur_npz(
        "Coauthor",
        "CS",
        "ms_academic_cs.npz",
        18333,
        163788,
        6805,
        15,
        "Coauthor CS co-authorship graph, paper keywords, fields of study",
        ("Coauthor-CS",),
    ),
    _shchur_npz(
        "Coauthor",
        "Physics",
        "ms_academic_phy.npz",
        34493,
        495924,
        8415,
        5,
        "Coauthor Physics co-authorship graph, paper keywords, fields of study",
        ("Coauthor-Physics",),
    ),
    # Node classification: heterophilous graphs.
    _geom_gcn(
        "WebKB",
        "Cornell",
        "WebKB/cornell",
        "cornell",
        183,
        298,
        1703,
        "WebKB Cornell web pages, directed hyperlinks",
    ),
    _geom_gcn(
        "WebKB",
        "Texas",
        "WebKB/texas",
        "texas",
        183,
        325,
        1703,
        "WebKB Texas web pages, directed hyperlinks",
    ),
    _geom_gcn(
        "WebKB",
        "Wisconsin",
        "WebKB/wisconsin",
        "wisconsin",
        251,
        515,
        1703,
        "WebKB Wisconsin web pages, directed hyperlinks",
    ),
    _geom_gcn(
        "Actor",
        "Actor",
        "Actor",
        "film",
        7600,
        30019,
        932,
        "Actor co-occurrence on Wikipedia pages (Geom-GCN 'film'), directed",
    ),
    _heterophilous("Minesweeper", 10000, 78804, 7, 2, "Minesweeper grid, mine prediction"),
    _heterophilous("Tolokers", 11758, 1038000, 10, 2, "Toloka crowd workers, ban prediction"),
    _heterophilous_npz("chameleon", 2277, 62742, 2325, "Wikipedia chameleon pages, traffic"),
    _heterophilous_npz("squirrel", 5201, 396706, 2089, "Wikipedia squirrel pages, traffic"),
    _heterophilous_npz(
        "chameleon_filtered", 890, 17708, 2325, "chameleon with duplicate nodes removed"
    ),
    _heterophilous_npz(
        "squirrel_filtered", 2223, 93996, 2089, "squirrel with duplicate nodes removed"
    ),
    # Node classification: OGB.
    _ogb(
        "ogbn-arxiv",
        "node_classification",
        ("edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz", "node_year.csv.gz") + _COUNTS,
        _split_files("time", "csv.gz"),
        nodes=169343,
        edges=1166243,
        features=128,
        classes=40,
        description="arXiv CS citation graph (directed), subject areas, split by year",
        url="nodeproppred/arxiv.zip",
    ),
    _ogb(
        "ogbn-products",
        "node_classification",
        ("edge.csv.gz", "node-feat.csv.gz", "node-label.csv.gz") + _COUNTS,
        _split_files("sales_ranking", "csv.gz"),
        nodes=2449029,
        edges=123718280,
        features=100,
        classes=47,
        description="Amazon co-purchase graph, product categories, split by sales rank",
        url="nodeproppred/products.zip",
    ),
    # Link prediction.
    _ogb(
        "ogbl-ddi",
        "link_prediction",
        ("edge.csv.gz",) + _COUNTS,
        ("target/valid.pt", "target/test.pt"),
        nodes=4267,
        edges=2135822,
        features=0,
        classes=0,
        description="drug-drug interactions, no features, protein-target "
        "split (train split rebuilt from raw/edge.csv.gz if train.pt is absent)",
        url="linkproppred/ddi.zip",
    ),
    _ogb(
        "ogbl-collab",
        "link_prediction",
        ("edge.csv.gz", "node-feat.csv.gz", "edge_weight.csv.gz", "edge_year.csv.gz") + _COUNTS,
        _split_files("time", "pt"),
        nodes=235868,
        edges=2358104,
        features=128,
        classes=0,
        description="author collaborations, split by year",
        url="linkproppred/collab.zip",
    ),
    _ogb(
        "ogbl-ppa",
        "link_prediction",
        ("edge.csv.gz", "node-feat.csv.gz") + _COUNTS,
        _split_files("throughput", "pt"),
        nodes=576289,
        edges=42463862,
        features=58,
        classes=0,
        description="protein-protein associations, split by throughput",
        url="linkproppred/ppassoc.zip",
    ),
    _ogb(
        "ogbl-citation2",
        "link_prediction",
        ("edge.csv.gz", "node-feat.csv.gz", "node_year.csv.gz") + _COUNTS,
        _split_files("time", "pt"),
        nodes=2927963,
        edges=30387995,
        features=128,
        classes=0,
        description="paper citations (directed), split by year",
        url="linkproppred/citation-v2.zip",
    ),
    _seal("USAir", 332, 4252, "US air transportation network"),
    _seal("NS", 1589, 5484, "network-science co-authorship"),
    _seal("PB", 1222, 33428, "US political blogs"),
    _seal("Yeast", 2375, 23386, "yeast protein-protein interactions"),
    _seal("Celegans", 297, 4296, "C. elegans neural network"),
    _seal("Power", 4941, 13188, "US western power grid"),
    _seal("Router", 5022, 12516, "Internet router-level topology"),
    _seal("Ecoli", 1805, 29320, "E. coli metabolic reactions"),
    # Graph classification and regression.
    _tu("MUTAG", 188, 3371, 7442, 7, 2, "mutagenic aromatic compounds, atom and bond labels"),
    _tu("PROTEINS", 1113, 43471, 162088, 3, 2, "protein structures, enzyme or not"),
    _tu("NCI1", 4110, 122747, 265506, 37, 2, "chemical compounds, anti-cancer screen"),
    _tu("ENZYMES", 600, 19580, 74564, 3, 6, "protein tertiary structures, enzyme class"),
    _tu(
        "IMDB-BINARY",
        1000,
        19773,
        193062,
        0,
        2,
        "actor ego-networks, movie genre (no node features)",
    ),
    _tu(
        "IMDB-MULTI",
        1500,
        19502,
        197806,
        0,
        3,
        "actor ego-networks, movie genre (no node features)",
    ),
    _tu("PTC_MR", 344, 4915, 10108, 18, 2, "chemical compounds, carcinogenicity in male rats"),
    _ogb_mol("bace", "graph_classification", 1513, 51577, 111536, 2, "BACE-1 inhibitors, binary"),
    _ogb_mol(
        "bbbp",
        "graph_classification",
        2039,
        49068,
        105842,
        2,
        "blood-brain barrier penetration, binary",
    ),
    _ogb_mol("esol", "graph_regression", 1128, 14991, 30856, 1, "water solubility"),
    _ogb_mol("freesolv", "graph_regression", 642, 5600, 10770, 1, "hydration free energy"),
    DatasetInfo(
        name="Peptides-func",
        task="graph_multilabel",
        source="LRGB",
        folder="lrgb/peptides-functional",
        files=(
            "lrgb/peptides-functional/raw/peptide_multi_class_dataset.csv.gz",
            "lrgb/peptides-functional/splits_random_stratified_peptide.pickle",
        ),
        num_graphs=15535,
        num_nodes=2344859,
        num_edges=4773974,
        num_features=9,
        num_classes=10,
        description="peptide molecular graphs, 10 functional classes (multilabel), "
        "LRGB stratified split",
        url="https://www.dropbox.com/s/ol2v01usvaxbsr8/peptide_multi_class_dataset.csv.gz",
        aliases=("peptides-functional",),
    ),
    DatasetInfo(
        name="Peptides-struct",
        task="graph_regression",
        source="LRGB",
        folder="lrgb/peptides-structural",
        files=(
            "lrgb/peptides-structural/raw/peptide_structure_normalized_dataset.csv.gz",
            "lrgb/peptides-structural/splits_random_stratified_peptide_structure.pickle",
        ),
        num_graphs=15535,
        num_nodes=2344859,
        num_edges=4773974,
        num_features=9,
        num_classes=11,
        description="the Peptides-func molecules, 11 standardised 3-D structure targets "
        "(regression, MAE), LRGB stratified split",
        url="https://www.dropbox.com/s/0d4aalmq4b4e2nh/peptide_structure_normalized_dataset.csv.gz",
        aliases=("peptides-structural",),
    ),
)


def _key(name: str) -> str:
    """Normalise a name for lookup: case, ``_`` and spaces do not matter."""
    return name.strip().casefold().replace("_", "-").replace(" ", "-")


_BY_KEY: dict[str, DatasetInfo] = {
    _key(alias): info for info in DATASETS for alias in (info.name, *info.aliases)
}


def dataset_info(name: str) -> DatasetInfo:
    """Return the catalogue entry for ``name`` (case-insensitive; aliases accepted).

    Raises:
        ValueError: for an unknown name; the message lists the known names and the
            closest match.
    """
    info = _BY_KEY.get(_key(name))
    if info is not None:
        return info
    names = [entry.name for entry in DATASETS]
    close = difflib.get_close_matches(_key(name), list(_BY_KEY), n=1, cutoff=0.6)
    hint = f" Did you mean '{_BY_KEY[close[0]].name}'?" if close else ""
    raise ValueError(f"Unknown dataset '{name}'.{hint} Known datasets: {', '.join(names)}.")


def catalogue_spelling(name: str) -> str:
    """The spelling of ``name`` the catalogue writes (its name or one of its aliases),
    e.g. ``'cora'`` -> ``'Cora'``, ``'a-photo'`` -> ``'A-Photo'``. Raises like
    :func:`dataset_info` for an unknown name."""
    info = dataset_info(name)
    return next(s for s in (info.name, *info.aliases) if _key(s) == _key(name))


def list_datasets() -> list[DatasetInfo]:
    """Return every catalogue entry, in catalogue order."""
    return list(DATASETS)


def locate(info: DatasetInfo) -> Path | None:
    """Return the root holding all of ``info.files``: the data root first, then the cache.

    ``None`` when neither holds them all (the dataset must be provided or downloaded).
    """
    for root in (data_root(), cache_root()):
        if root is not None and all((root / f).is_file() for f in info.files):
            return root
    return None


def available(name: str) -> bool:
    """Whether ``name`` can be loaded without a download, from the data or cache root."""
    return locate(dataset_info(name)) is not None


def table_rows() -> list[tuple[str, str, str, str, str]]:
    """Rows ``(name, task, size, source, available here)`` for every catalogue entry.

    ``available here`` is ``'yes'`` or ``'no'``; what ``gnnlib datasets`` prints.
    """
    return [
        (info.name, info.task, info.size, info.source, "yes" if locate(info) else "no")
        for info in DATASETS
    ]


def format_table() -> str:
    """The catalogue as an aligned plain-text table, with a header line."""
    header = ("name", "task", "size", "source", "available")
    rows = [header, *table_rows()]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
