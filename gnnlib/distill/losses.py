r"""The distillation losses of GLNN and KRD.

Both papers train the student on

.. math::
    \mathcal{L} = \lambda \, \frac{1}{|\mathcal{V}_L|} \sum_{i \in \mathcal{V}_L}
        \mathrm{CE}(\mathbf{z}_i, y_i)
    + (1 - \lambda) \, \frac{1}{|\mathcal{P}|} \sum_{(i, j) \in \mathcal{P}}
        \mathrm{KL}\big(\mathrm{softmax}(\mathbf{t}_j / \tau) \,\|\,
        \mathrm{softmax}(\mathbf{z}_i / \tau)\big)

with student logits :math:`\mathbf{z}`, teacher logits :math:`\mathbf{t}`, labelled
nodes :math:`\mathcal{V}_L` and knowledge pairs :math:`\mathcal{P}` (student node
:math:`i` learns teacher node :math:`j`'s soft label). GLNN's pairs are the self pairs
:math:`(i, i)` of every node the setting lets it see; KRD adds reliable neighbours.
Neither official code multiplies the KL term by :math:`\tau^2` (Hinton et al. do), so
neither does this one: :math:`\tau = 1` (GLNN's official runs) is plain KL.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor


def soft_label_kl(
    student_logits: Tensor,
    teacher_logits: Tensor,
    temperature: float = 1.0,
    pairs: Tensor | None = None,
) -> Tensor:
    r"""Mean over pairs of :math:`\mathrm{KL}(\mathrm{softmax}(\mathbf{t}_j/\tau) \,\|\,
    \mathrm{softmax}(\mathbf{z}_i/\tau))`.

    Args:
        student_logits: ``[N, C]``.
        teacher_logits: ``[M, C]`` logits (or log-probabilities: softmax ignores the shift).
        temperature: :math:`\tau > 0`.
        pairs: ``[2, P]`` (student row, teacher row); ``None`` pairs row ``i`` with
            row ``i`` (then ``M == N``).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    if student_logits.dim() != 2 or teacher_logits.dim() != 2:
        raise ValueError(
            "expected [N, C] student and teacher logits, got shapes "
            f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}"
        )
    student_log_p = F.log_softmax(student_logits / temperature, dim=-1)
    teacher_log_p = F.log_softmax(teacher_logits / temperature, dim=-1)
    if pairs is not None:
        student_log_p, teacher_log_p = student_log_p[pairs[0]], teacher_log_p[pairs[1]]
    elif student_log_p.shape != teacher_log_p.shape:
        raise ValueError(
            f"without pairs the student {tuple(student_logits.shape)} and teacher "
            f"{tuple(teacher_logits.shape)} logits must have the same shape"
        )
    # kl_div(input, target) = sum target_prob * (log target - input): KL(teacher || student).
    return F.kl_div(student_log_p, teacher_log_p, reduction="batchmean", log_target=True)


def distillation_loss(
    student_logits: Tensor,
    labels: Tensor,
    labelled: Tensor,
    teacher_logits: Tensor | None,
    lam: float,
    temperature: float = 1.0,
    pairs: Tensor | None = None,
) -> Tensor:
    r""":math:`\lambda \cdot \mathrm{CE}` over the ``labelled`` rows plus
    :math:`(1 - \lambda) \cdot \mathrm{KL}` over the knowledge pairs (module docstring).

    A term whose weight is 0 is not computed, so ``lam=1`` needs no teacher and is
    plain supervised training, and ``lam=0`` (GLNN's official choice) ignores the labels.
    A batch without labelled rows contributes no CE term.

    Args:
        student_logits: ``[N, C]``.
        labels: ``[N]`` class indices (read only where ``labelled``).
        labelled: ``[N]`` bool, the rows with a usable label.
        teacher_logits: ``[M, C]``; may be ``None`` only when ``lam == 1``.
        lam: :math:`\lambda \in [0, 1]`.
        temperature, pairs: as in :func:`soft_label_kl`.
    """
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must lie in [0, 1], got {lam}")
    loss = student_logits.new_zeros(())
    if lam > 0 and bool(labelled.any()):
        loss = loss + lam * F.cross_entropy(student_logits[labelled], labels[labelled])
    if lam < 1:
        if teacher_logits is None:
            raise ValueError(f"lam={lam} < 1 needs the teacher's logits")
        loss = loss + (1 - lam) * soft_label_kl(student_logits, teacher_logits, temperature, pairs)
    return loss
