"""NCN / NCNC link prediction (Wang, Yang, Zhang, ICLR 2024): neighbourhood set
operations on sparse CSR adjacencies, heuristic scores, and the predictors."""

from gnnlib.linkpred.common_neighbors import (
    NeighborOverlap,
    check_pairs,
    common_neighbors,
    drop_entries,
    neighbor_overlap,
    pool,
    remove_target_links,
    row_indices,
    subsample_rows,
    symmetric_csr,
    two_hop_neighbors,
    with_values,
)
from gnnlib.linkpred.heuristics import adamic_adar, common_neighbor_count, resource_allocation
from gnnlib.linkpred.predictors import (
    PREDICTORS,
    CNPredictor,
    GAEPredictor,
    NCN2Predictor,
    NCNCPredictor,
    NCNDiffPredictor,
    NCNPredictor,
    build_predictor,
)

__all__ = [
    "PREDICTORS",
    "CNPredictor",
    "GAEPredictor",
    "NCN2Predictor",
    "NCNCPredictor",
    "NCNDiffPredictor",
    "NCNPredictor",
    "NeighborOverlap",
    "adamic_adar",
    "build_predictor",
    "check_pairs",
    "common_neighbor_count",
    "common_neighbors",
    "drop_entries",
    "neighbor_overlap",
    "pool",
    "remove_target_links",
    "resource_allocation",
    "row_indices",
    "subsample_rows",
    "symmetric_csr",
    "two_hop_neighbors",
    "with_values",
]
