"""gnnlib: graph neural networks on PyTorch Geometric.

The import name is ``gnnlib``, not ``graphlib``: ``graphlib`` is a standard-library
module, which comes first on ``sys.path`` and would shadow (or be shadowed by) ours.
"""

__version__ = "0.1.0"
