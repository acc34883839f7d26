"""Supervised tasks (node and graph classification) and the shared task pieces.

The table of every runnable task, for ``gnnlib run``, is :data:`gnnlib.tasks.registry.TASKS`.
"""
