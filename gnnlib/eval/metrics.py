"""Evaluation metrics, one definition each, in PyTorch.

Every metric accepts ``torch.Tensor`` s (on any device) or ``numpy.ndarray`` s and
returns a Python ``float``. The definitions follow the reference implementations the
papers were measured with, so that our numbers are comparable with theirs:

- ranking metrics (:func:`hits_at_k`, :func:`mrr`, :func:`ranking_metrics`): OGB's
  ``ogb.linkproppred.Evaluator``;
- per-task classification metrics (:func:`roc_auc`, :func:`average_precision`):
  OGB's ``ogb.graphproppred.Evaluator`` (also used by the LRGB / GraphGPS / DRew code),
  each task scored with scikit-learn's definition (ties handled as scikit-learn does);
- regression metrics (:func:`mae`, :func:`rmse`, :func:`r2`): per task, NaN targets
  ignored, then averaged over tasks (OGB's ``rmse``; scikit-learn's
  ``multioutput='uniform_average'``);
- :func:`kendall_tau`: ``scipy.stats.kendalltau`` (tau-b).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

ArrayLike = Tensor | np.ndarray

__all__ = [
    "ArrayLike",
    "accuracy",
    "average_precision",
    "hits_at_k",
    "kendall_tau",
    "mae",
    "mrr",
    "r2",
    "ranking_metrics",
    "rmse",
    "roc_auc",
    "to_tensor",
]


def to_tensor(x: ArrayLike, name: str) -> Tensor:
    """Return ``x`` as a detached tensor (numpy arrays are converted, sharing memory).

    Raises ``TypeError`` naming ``name`` for anything but a tensor or an ndarray: lists
    and scalars are refused so that a wrongly shaped input cannot pass unnoticed.
    """
    if isinstance(x, Tensor):
        return x.detach()
    if isinstance(x, np.ndarray):
        try:
            return torch.from_numpy(x)
        except TypeError as err:  # object or string arrays
            raise TypeError(f"{name}: numpy array of dtype {x.dtype} is not numeric") from err
    raise TypeError(f"{name} must be a torch.Tensor or numpy.ndarray, got {type(x).__name__}")


# --------------------------------------------------------------------------- ranking


def hits_at_k(pos_scores: ArrayLike, neg_scores: ArrayLike, k: int) -> float:
    r"""Hits@K with negatives shared by all positives, exactly as OGB computes it.

    .. math::
        \mathrm{Hits@K} = \frac{1}{P} \sum_{i=1}^{P} \mathbb{1}[s^+_i > s^-_{(K)}]

    where :math:`s^-_{(K)}` is the K-th largest negative score. A positive tied with
    the K-th negative is a miss. If there are fewer than K negatives, every positive
    is in the top K and the result is 1.0 (OGB's convention).

    Args:
        pos_scores: scores of the positive edges, shape ``[P]``.
        neg_scores: scores of the negative edges, shape ``[Q]``.
        k: the cut-off K (> 0).
    """
    pos = to_tensor(pos_scores, "pos_scores")
    neg = to_tensor(neg_scores, "neg_scores")
    _check_ndim(pos, 1, "pos_scores", "[P]")
    _check_ndim(neg, 1, "neg_scores", "[Q]")
    if k < 1:
        raise ValueError(f"k must be a positive integer, got {k}")
    if pos.numel() == 0:
        raise ValueError("pos_scores is empty: Hits@K needs at least one positive")
    if neg.numel() < k:
        return 1.0
    kth_negative = torch.topk(neg, k).values[-1]
    return int((pos.to(neg.device) > kth_negative).sum()) / pos.numel()


def _ogb_ranks(pos_scores: ArrayLike, neg_scores: ArrayLike) -> Tensor:
    r"""Rank of each positive among its own negatives, ties averaged (OGB's ``_eval_mrr``).

    .. math::
        r_i = 1 + \tfrac12\big(|\{j: s^-_{ij} > s^+_i\}| + |\{j: s^-_{ij} \ge s^+_i\}|\big)

    i.e. the mean of the optimistic and the pessimistic rank. Shapes: ``pos [P]``,
    ``neg [P, Q]``; returns float64 ranks ``[P]``.
    """
    pos = to_tensor(pos_scores, "pos_scores")
    neg = to_tensor(neg_scores, "neg_scores")
    _check_ndim(pos, 1, "pos_scores", "[P]")
    _check_ndim(neg, 2, "neg_scores", "[P, Q]")
    if pos.numel() == 0:
        raise ValueError("pos_scores is empty: ranking metrics need at least one positive")
    if neg.shape[0] != pos.shape[0]:
        raise ValueError(
            f"neg_scores must have one row per positive: pos_scores has shape "
            f"{tuple(pos.shape)}, neg_scores {tuple(neg.shape)} (expected [{pos.shape[0]}, Q])"
        )
    pos = pos.to(neg.device).view(-1, 1)
    optimistic = (neg > pos).sum(dim=1)
    pessimistic = (neg >= pos).sum(dim=1)
    return 0.5 * (optimistic + pessimistic).double() + 1


def mrr(pos_scores: ArrayLike, neg_scores: ArrayLike) -> float:
    r"""Mean reciprocal rank of each positive among its own negatives (OGB's MRR).

    .. math::
        \mathrm{MRR} = \frac{1}{P} \sum_{i=1}^{P} \frac{1}{r_i}

    with :math:`r_i` the tie-averaged rank of :func:`_ogb_ranks`.

    Args:
        pos_scores: scores of the positive edges, shape ``[P]``.
        neg_scores: scores of each positive's negatives, shape ``[P, Q]``.
    """
    return ranking_metrics(pos_scores, neg_scores, ks=())["mrr"]


def ranking_metrics(
    pos_scores: ArrayLike, neg_scores: ArrayLike, ks: Sequence[int] = (1, 3, 10)
) -> dict[str, float]:
    r"""MRR and per-positive Hits@K from one ranking, as OGB's MRR evaluator returns them.

    .. math::
        \mathrm{Hits@K} = \frac{1}{P} \sum_{i} \mathbb{1}[r_i \le K]

    (unlike :func:`hits_at_k`, each positive is ranked against its own negatives).

    Args:
        pos_scores: shape ``[P]``.
        neg_scores: shape ``[P, Q]``.
        ks: the cut-offs K to report.

    Returns:
        ``{'mrr': ..., 'hits@K': ... for K in ks}``.
    """
    ranks = _ogb_ranks(pos_scores, neg_scores)
    out = {"mrr": float((1.0 / ranks).mean())}
    for k in ks:
        out[f"hits@{k}"] = float((ranks <= k).double().mean())
    return out


# -------------------------------------------------------------------- classification


def accuracy(pred: ArrayLike, y: ArrayLike) -> float:
    r"""Fraction of correct single-label predictions.

    .. math::
        \mathrm{acc} = \frac{1}{N} \sum_{i=1}^{N} \mathbb{1}[\hat y_i = y_i]

    Args:
        pred: either floating logits/probabilities ``[N, C]`` (``C >= 2``; the
            prediction is the argmax over classes) or integer predicted labels
            ``[N]`` or ``[N, 1]``.
        y: integer true labels ``[N]`` or ``[N, 1]`` (OGB stores them as ``[N, 1]``).
    """
    pred = to_tensor(pred, "pred")
    y = to_tensor(y, "y")
    y = _labels_1d(y, "y")
    if pred.is_floating_point():
        if pred.dim() != 2 or pred.shape[1] < 2:
            raise ValueError(
                f"floating pred must be logits of shape [N, C] with C >= 2, got shape "
                f"{tuple(pred.shape)}; pass integer labels [N] for predicted classes"
            )
        pred = pred.argmax(dim=-1)
    else:
        pred = _labels_1d(pred, "pred")
    if pred.shape[0] != y.shape[0]:
        raise ValueError(f"pred has {pred.shape[0]} rows but y has {y.shape[0]}")
    if y.numel() == 0:
        raise ValueError("accuracy of an empty set is undefined")
    return int((pred.to(y.device) == y).sum()) / y.numel()


def _labels_1d(labels: Tensor, name: str) -> Tensor:
    if labels.dim() == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.dim() != 1:
        raise ValueError(f"{name} must be labels of shape [N] or [N, 1], got {tuple(labels.shape)}")
    return labels


def roc_auc(scores: ArrayLike, y: ArrayLike) -> float:
    r"""Area under the ROC curve, averaged over tasks (OGB's ``rocauc``).

    Per task, with :math:`P` positives, :math:`M` negatives and :math:`R_i` the rank
    of score :math:`i` among that task's labelled scores (ties get their average rank):

    .. math::
        \mathrm{AUC} = \frac{\sum_{i \in \mathrm{pos}} R_i - P(P+1)/2}{P\,M}

    which is the probability that a random positive outscores a random negative, ties
    counting 1/2 -- exactly scikit-learn's trapezoidal ``roc_auc_score``. NaN targets
    are ignored; tasks without both a positive and a negative are skipped, the rest
    are averaged.

    Args:
        scores: real scores ``[N]`` (binary) or ``[N, T]`` (T tasks).
        y: targets in {0, 1} (NaN = unlabelled), same shape as ``scores``.
    """
    return _mean_over_binary_tasks(scores, y, _binary_roc_auc, "ROC-AUC")


def average_precision(scores: ArrayLike, y: ArrayLike) -> float:
    r"""Average precision, averaged over tasks (OGB's / LRGB Peptides-func ``ap``).

    Per task, sorting by decreasing score and taking every distinct score as a
    threshold :math:`n` (tied scores enter together), with precision :math:`P_n` and
    recall :math:`R_n` at that threshold and :math:`R_0 = 0`:

    .. math::
        \mathrm{AP} = \sum_n (R_n - R_{n-1})\, P_n

    which is scikit-learn's ``average_precision_score`` (no interpolation). NaN targets
    are ignored; as in OGB's and GraphGPS's ``eval_ap``, tasks without both a positive
    and a negative are skipped, the rest are averaged.

    Args:
        scores: real scores ``[N]`` (binary) or ``[N, T]`` (T tasks).
        y: targets in {0, 1} (NaN = unlabelled), same shape as ``scores``.
    """
    return _mean_over_binary_tasks(scores, y, _binary_average_precision, "average precision")


def _mean_over_binary_tasks(
    scores: ArrayLike, y: ArrayLike, binary_metric: Callable[[Tensor, Tensor], float], what: str
) -> float:
    """Apply ``binary_metric(scores, targets)`` per task on labelled rows, then average."""
    score_cols, y_cols = _task_columns(scores, y)
    values = []
    for s, t in zip(score_cols.T, y_cols.T):
        labelled = ~torch.isnan(t)
        s, t = s[labelled], t[labelled]
        if not bool(((t == 0) | (t == 1)).all()):
            raise ValueError(
                f"{what} targets must be 0, 1 or NaN, got values {t.unique().tolist()}"
            )
        # Undefined without both classes (OGB skips such tasks too).
        if bool((t == 1).any()) and bool((t == 0).any()):
            values.append(binary_metric(s, t))
    if not values:
        raise ValueError(f"no task has both a positive and a negative label: {what} is undefined")
    return sum(values) / len(values)


def _binary_roc_auc(scores: Tensor, targets: Tensor) -> float:
    ranks = _average_ranks(scores)
    is_pos = targets == 1
    n_pos = int(is_pos.sum())
    n_neg = targets.numel() - n_pos
    return float((ranks[is_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _average_ranks(x: Tensor) -> Tensor:
    """1-based ranks of ``x`` (ascending), tied values sharing their average rank."""
    sorted_x, order = torch.sort(x)
    _, group, counts = torch.unique_consecutive(sorted_x, return_inverse=True, return_counts=True)
    last_rank = torch.cumsum(counts, 0).double()
    group_rank = last_rank - (counts.double() - 1) / 2
    ranks = torch.empty_like(x, dtype=torch.float64)
    ranks[order] = group_rank[group]
    return ranks


def _binary_average_precision(scores: Tensor, targets: Tensor) -> float:
    order = torch.argsort(scores, descending=True)
    scores, targets = scores[order], targets[order]
    # One threshold per distinct score: the last position of each block of ties.
    last_of_block = torch.nonzero(scores[1:] != scores[:-1]).flatten()
    end = torch.tensor([scores.numel() - 1], device=scores.device)
    thresholds = torch.cat([last_of_block, end])
    true_pos = torch.cumsum(targets, 0)[thresholds]
    precision = true_pos / (thresholds + 1)
    recall = true_pos / true_pos[-1]
    recall_step = torch.diff(recall, prepend=recall.new_zeros(1))
    return float((recall_step * precision).sum())


# ------------------------------------------------------------------------ regression


def mae(pred: ArrayLike, y: ArrayLike) -> float:
    r"""Mean absolute error per task, averaged over tasks; NaN targets ignored.

    .. math::
        \mathrm{MAE} = \frac{1}{T} \sum_{t=1}^{T} \frac{1}{|L_t|}
            \sum_{i \in L_t} |\hat y_{it} - y_{it}|

    with :math:`L_t` the rows labelled for task t. Without NaN this is the mean of all
    absolute errors (scikit-learn's ``mean_absolute_error``, as LRGB Peptides-struct).

    Args:
        pred: predictions ``[N]`` or ``[N, T]``.
        y: targets (NaN = unlabelled), same shape.
    """
    return _mean_over_regression_tasks(pred, y, lambda p, t: float((p - t).abs().mean()))


def rmse(pred: ArrayLike, y: ArrayLike) -> float:
    r"""Root mean squared error per task, averaged over tasks; NaN targets ignored (OGB).

    .. math::
        \mathrm{RMSE} = \frac{1}{T} \sum_{t=1}^{T}
            \sqrt{\frac{1}{|L_t|} \sum_{i \in L_t} (\hat y_{it} - y_{it})^2}

    Args:
        pred: predictions ``[N]`` or ``[N, T]``.
        y: targets (NaN = unlabelled), same shape.
    """
    return _mean_over_regression_tasks(pred, y, lambda p, t: float((p - t).pow(2).mean().sqrt()))


def r2(pred: ArrayLike, y: ArrayLike) -> float:
    r"""Coefficient of determination per task, averaged over tasks (scikit-learn's ``r2_score``).

    .. math::
        R^2 = 1 - \frac{\sum_i (y_i - \hat y_i)^2}{\sum_i (y_i - \bar y)^2}

    If the targets are constant (zero denominator) the score is 1.0 for a perfect
    prediction and 0.0 otherwise, as scikit-learn's default ``force_finite=True``.
    NaN targets are ignored. Note the argument order: predictions first.

    Args:
        pred: predictions ``[N]`` or ``[N, T]``.
        y: targets, same shape.
    """
    return _mean_over_regression_tasks(pred, y, _r2_one_task)


def _r2_one_task(pred: Tensor, target: Tensor) -> float:
    residual = float((target - pred).pow(2).sum())
    total = float((target - target.mean()).pow(2).sum())
    if total == 0.0:
        return 1.0 if residual == 0.0 else 0.0
    return 1.0 - residual / total


def _mean_over_regression_tasks(
    pred: ArrayLike, y: ArrayLike, task_metric: Callable[[Tensor, Tensor], float]
) -> float:
    pred_cols, y_cols = _task_columns(pred, y)
    values = []
    for p, t in zip(pred_cols.T, y_cols.T):
        labelled = ~torch.isnan(t)
        if not bool(labelled.any()):
            raise ValueError("a task has no labelled (non-NaN) target")
        values.append(task_metric(p[labelled], t[labelled]))
    return sum(values) / len(values)


def _task_columns(pred: ArrayLike, y: ArrayLike) -> tuple[Tensor, Tensor]:
    """Both inputs as float64 ``[N, T]`` tensors on one device, after checking shapes."""
    pred = to_tensor(pred, "pred")
    y = to_tensor(y, "y")
    if pred.shape != y.shape:
        raise ValueError(
            f"predictions and targets must have the same shape, got {tuple(pred.shape)} "
            f"and {tuple(y.shape)}"
        )
    if pred.dim() not in (1, 2) or pred.shape[0] == 0:
        raise ValueError(f"expected shape [N] or [N, T] with N > 0, got {tuple(pred.shape)}")
    if pred.is_floating_point() and bool(torch.isnan(pred).any()):
        raise ValueError("predictions contain NaN (only targets may be NaN, meaning unlabelled)")
    if pred.dim() == 1:
        pred, y = pred[:, None], y[:, None]
    return pred.double(), y.to(pred.device).double()


def kendall_tau(pred: ArrayLike, y: ArrayLike) -> float:
    r"""Kendall rank correlation, tau-b (handles ties), as ``scipy.stats.kendalltau``.

    .. math::
        \tau_b = \frac{C - D}{\sqrt{(C + D + T_x)(C + D + T_y)}}

    with C concordant and D discordant pairs, :math:`T_x` pairs tied only in
    ``pred`` and :math:`T_y` pairs tied only in ``y``. NaN if either input is constant.

    Args:
        pred: predictions ``[N]``.
        y: targets ``[N]``.
    """
    # Imported here: scipy.stats takes ~0.5 s to import and only this metric needs it.
    from scipy.stats import kendalltau

    pred = to_tensor(pred, "pred")
    y = to_tensor(y, "y")
    _check_ndim(pred, 1, "pred", "[N]")
    _check_ndim(y, 1, "y", "[N]")
    if pred.shape != y.shape or pred.numel() < 2:
        raise ValueError(
            f"pred and y must have the same length >= 2, got {tuple(pred.shape)} and "
            f"{tuple(y.shape)}"
        )
    # scipy's O(N log N) algorithm; float64 so that float32 rounding cannot add ties.
    return float(kendalltau(pred.cpu().double().numpy(), y.cpu().double().numpy()).statistic)


def _check_ndim(x: Tensor, ndim: int, name: str, shape: str) -> None:
    if x.dim() != ndim:
        raise ValueError(f"{name} must have shape {shape}, got shape {tuple(x.shape)}")
