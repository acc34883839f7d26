r"""KRD's knowledge reliability and its sampling of reliable knowledge points.

Wu et al. (ICML 2023) measure how far each node's teacher prediction can be trusted by
how much its entropy moves when the input features are perturbed:

.. math::
    \delta_i = \big| H(\mathrm{softmax}(f_T(\mathbf{X} + \boldsymbol\epsilon))_i)
        - H(\mathrm{softmax}(f_T(\mathbf{X}))_i) \big|, \quad
    \boldsymbol\epsilon \sim \mathcal{N}(0, \sigma^2), \qquad
    \delta_i \leftarrow \delta_i / \max_j \delta_j

A small :math:`\delta_i` means a stable, reliable teacher output. Each epoch (after a
warm-up in which every neighbour is used), student node :math:`i` learns from
neighbour :math:`j`'s soft label with probability :math:`p_j = 1 - \delta_j^{\alpha}`,
besides its own. The exponent :math:`\alpha` is fitted each epoch to the observed
relation between :math:`\delta` and agreement: nodes are binned by :math:`\delta`, the
fraction of nodes per bin on which teacher and student predict the same class is
min-max normalised, :math:`1 - x^{a}` is fitted to it by least squares, and
:math:`\alpha \leftarrow m \alpha + (1 - m) a` (momentum :math:`m = 0.99`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def entropy_shift(clean_logits: Tensor, noisy_logits: Tensor) -> Tensor:
    r"""Normalised :math:`\delta` of the module docstring, ``[N]`` in :math:`[0, 1]`,
    from the teacher's ``[N, C]`` logits on clean and on perturbed features."""
    if clean_logits.shape != noisy_logits.shape:
        raise ValueError(
            f"clean {tuple(clean_logits.shape)} and noisy {tuple(noisy_logits.shape)} "
            "logits must have the same shape"
        )
    shift = (_entropy(noisy_logits) - _entropy(clean_logits)).abs()
    return shift / shift.max().clamp(min=torch.finfo(shift.dtype).tiny)


def _entropy(logits: Tensor) -> Tensor:
    log_p = torch.log_softmax(logits, dim=-1)
    return -(log_p.exp() * log_p).sum(-1)


class KnowledgeSampler(torch.nn.Module):
    r"""Draws KRD's knowledge pairs ``(student node i, teacher node j)`` each epoch.

    A module so that its state (the fitted exponent :math:`\alpha` and the epoch count)
    is saved in checkpoints with the student, and a resumed run samples as an
    uninterrupted one would.

    Args:
        delta: ``[N]`` normalised entropy shift :math:`\delta` (:func:`entropy_shift`).
        edge_index: ``[2, E]`` edges ``j -> i`` of the graph the student trains on.
        init_power: initial :math:`\alpha`.
        momentum: :math:`m`.
        bins: number of :math:`\delta` bins for the fit.
        warmup_epochs: epochs that use every neighbour before sampling starts.
    """

    def __init__(
        self,
        delta: Tensor,
        edge_index: Tensor,
        init_power: float = 1.0,
        momentum: float = 0.99,
        bins: int = 50,
        warmup_epochs: int = 50,
    ) -> None:
        super().__init__()
        if delta.dim() != 1 or bool((delta < 0).any()) or bool((delta > 1).any()):
            raise ValueError("delta must be a [N] tensor with values in [0, 1]")
        self.register_buffer("delta", delta.float())
        not_loop = edge_index[0] != edge_index[1]
        self.register_buffer("edge_index", edge_index[:, not_loop])
        self.register_buffer("power", torch.tensor(float(init_power)))
        self.register_buffer("epoch", torch.tensor(0))
        self.momentum = momentum
        self.bins = bins
        self.warmup_epochs = warmup_epochs

    def probabilities(self) -> Tensor:
        r"""``[N]``: :math:`p_j = 1 - \delta_j^{\alpha}`, the chance that node ``j``'s
        soft label is passed to a neighbour."""
        return 1 - self.delta**self.power

    def fit_power(self, teacher_logits: Tensor, student_logits: Tensor) -> None:
        """Fit :math:`a` to the teacher/student agreement per bin and update
        :math:`\\alpha` with momentum (module docstring)."""
        agree = (teacher_logits.argmax(-1) == student_logits.argmax(-1)).cpu().numpy()
        delta = self.delta.cpu().numpy()
        edges = np.linspace(0.0, 1.0, self.bins + 1)
        agreeing, _ = np.histogram(delta[agree], bins=edges)
        disagreeing, _ = np.histogram(delta[~agree], bins=edges)
        rate = agreeing / (agreeing + disagreeing + 1e-6)
        spread = rate.max() - rate.min()
        if spread <= 0:  # no signal to fit (e.g. full agreement): keep the exponent
            return
        rate = (rate - rate.min()) / spread
        centres = (edges[:-1] + edges[1:]) / 2
        fitted = _fit_exponent(centres, rate, float(self.power))
        self.power.fill_(self.momentum * float(self.power) + (1 - self.momentum) * fitted)

    def pairs(
        self,
        teacher_logits: Tensor,
        student_logits: Tensor,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """This epoch's knowledge pairs ``[2, P]`` (row 0: student node, row 1: teacher
        node): every node with itself, plus every neighbour during the warm-up and
        afterwards each neighbour ``j`` kept with probability ``p_j``."""
        num_nodes = self.delta.numel()
        source, target = self.edge_index
        if int(self.epoch) >= self.warmup_epochs:
            self.fit_power(teacher_logits, student_logits)
            keep_prob = self.probabilities()[source]
            keep = torch.rand(keep_prob.shape, generator=generator, device=keep_prob.device)
            source, target = source[keep < keep_prob], target[keep < keep_prob]
        self.epoch += 1
        loops = torch.arange(num_nodes, device=source.device)
        return torch.stack([torch.cat([target, loops]), torch.cat([source, loops])])


def _fit_exponent(x: np.ndarray, y: np.ndarray, start: float) -> float:
    """Least-squares ``a`` of ``y ~ 1 - x**a`` (SciPy's ``curve_fit``, as KRD)."""
    from scipy.optimize import curve_fit

    try:
        (a,), _ = curve_fit(lambda t, a: 1 - t**a, x, y, p0=[start], maxfev=2000)
    except RuntimeError:  # no convergence: keep the current exponent
        return start
    return float(a) if np.isfinite(a) else start
