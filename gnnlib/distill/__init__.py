"""GNN-to-MLP distillation: GLNN (Zhang et al., ICLR 2022) and KRD (Wu et al., ICML 2023).

A GNN teacher is trained once per (dataset, teacher, seed, setting) and its soft labels
are cached (:mod:`~gnnlib.distill.teachers`); a graph-free student MLP
(:mod:`~gnnlib.distill.student`) learns from them with the losses of
:mod:`~gnnlib.distill.losses` (GLNN) or from reliability-sampled knowledge points
(:mod:`~gnnlib.distill.reliability`, KRD), in the transductive or the production
setting (:mod:`~gnnlib.distill.settings`). :mod:`~gnnlib.distill.task` is the
``gnnlib run`` entry point; it writes each seed's trained student to a file that
:func:`~gnnlib.distill.student.load_student` reads back for deployment.
"""

from gnnlib.distill.appnp import APPNP
from gnnlib.distill.features import propagate_features, propagate_rows, propagation_matrix
from gnnlib.distill.losses import distillation_loss, soft_label_kl
from gnnlib.distill.reliability import KnowledgeSampler, entropy_shift
from gnnlib.distill.sampling import layerwise_inference, sample_blocks, sampled_forward
from gnnlib.distill.settings import SettingSplit, make_setting, setting_metrics
from gnnlib.distill.student import StudentConfig, load_student, save_student
from gnnlib.distill.teachers import TeacherConfig, TeacherOutputs

__all__ = [
    "APPNP",
    "KnowledgeSampler",
    "SettingSplit",
    "StudentConfig",
    "TeacherConfig",
    "TeacherOutputs",
    "distillation_loss",
    "entropy_shift",
    "layerwise_inference",
    "load_student",
    "make_setting",
    "propagate_features",
    "propagate_rows",
    "propagation_matrix",
    "sample_blocks",
    "sampled_forward",
    "save_student",
    "setting_metrics",
    "soft_label_kl",
]
