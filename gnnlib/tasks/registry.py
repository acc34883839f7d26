"""Runnable tasks: a config schema and a ``run(config, seed, device, run_dir)`` each.

``gnnlib run CONFIG`` reads the config's ``task:`` key and looks it up here; adding a
task means adding one line to :data:`TASKS`.
"""

from gnnlib.distill import task as distillation
from gnnlib.linkpred import train as link_prediction
from gnnlib.metanet import task as weight_space
from gnnlib.rewiring import train as drew
from gnnlib.tasks import graph_classification, node_classification

TASKS = {
    "node_classification": (node_classification.NodeClassificationConfig, node_classification.run),
    "graph_classification": (
        graph_classification.GraphClassificationConfig,
        graph_classification.run,
    ),
    "link_prediction": (link_prediction.LinkPredictionConfig, link_prediction.run),
    "link_heuristic": (link_prediction.HeuristicConfig, link_prediction.run_heuristic),
    "drew": (drew.DRewConfig, drew.run),
    "distillation": (distillation.DistillationConfig, distillation.run),
    "weight_space": (weight_space.WeightSpaceConfig, weight_space.run),
}
