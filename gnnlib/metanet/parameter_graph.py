r"""Neural network -> parameter graph, and back (Lim et al., "Graph Metanetworks", ICLR 2024).

:func:`parameter_graph` traces a module with ``torch.fx`` and walks the traced graph
once, keeping for every intermediate tensor the graph nodes of its channels
(:class:`Features`). Each supported operation adds what the paper's construction adds:

* ``Linear`` / ``Conv1d`` / ``Conv2d``: a node per output neuron (channel), an edge per
  weight from input to output neuron (for convolutions one parallel edge per kernel
  entry, told apart by its kernel position), and a bias node with an edge per bias.
* ``BatchNorm`` / ``LayerNorm`` / ``GroupNorm``: a node per channel for the affine map,
  an edge ``x_i -> y_i`` carrying :math:`\gamma_i` and a bias-node edge carrying
  :math:`\beta_i` (the normalisation itself has no parameters and adds nothing).
* ``x + f(x)``: weight-free residual edges from the channels of ``x`` to those of ``f(x)``.
* ``MultiheadAttention``: query, key and value neurons, a node per head linked to its
  query and value neurons, query->key edges pairing the neurons whose products form
  the scores, and the output projection from the value neurons.
* an added parameter tensor (a positional embedding): edges from a bias node, one per
  entry, placed by their position.
* activations, dropout, pooling, ``Flatten``/``flatten``, ``transpose``/``permute``,
  ``mean`` over non-channel dimensions and arithmetic with constants change no
  neurons; an activation is recorded on the neurons it is applied to.

Every parameter entry becomes exactly one edge, and the edge remembers
``(param_names[edge_param], edge_flat)``, so :func:`load_parameter_graph` writes edited
edge values back exactly. Anything else is an :class:`UnsupportedOperationError` that
names the operation and where it sits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import torch
from torch import Tensor, fx
from torch.fx.passes.shape_prop import ShapeProp
from torch_geometric.data import Batch, Data

from gnnlib.metanet.schema import ACTIVATIONS, EdgeType, NodeType

__all__ = [
    "Features",
    "UnsupportedOperationError",
    "load_parameter_graph",
    "parameter_graph",
]


class UnsupportedOperationError(ValueError):
    """A traced operation that no parameter-graph rule covers."""


@dataclass
class Features:
    """The graph nodes of one traced tensor's channels.

    ``ids[c]`` is the node of feature ``c`` along dimension ``dim`` of a tensor of
    ``shape``; ``pos[c]`` is that feature's position inside its node (non-zero only
    after a spatial dimension was flattened into the features, where several features
    share a channel's node).
    """

    ids: Tensor
    pos: Tensor
    dim: int
    shape: tuple[int, ...] = ()


_ACTIVATION_MODULES = {
    torch.nn.ReLU: "relu",
    torch.nn.GELU: "gelu",
    torch.nn.Tanh: "tanh",
    torch.nn.Sigmoid: "sigmoid",
    torch.nn.SiLU: "silu",
    torch.nn.ELU: "elu",
    torch.nn.LeakyReLU: "leaky_relu",
    torch.nn.Softplus: "softplus",
}
# Modules that leave every channel where it is (the last two mix channels, but
# equivariantly, so the neurons stay the same).
_PASS_THROUGH_MODULES = (
    torch.nn.Identity,
    torch.nn.Dropout,
    torch.nn.MaxPool1d,
    torch.nn.MaxPool2d,
    torch.nn.AvgPool1d,
    torch.nn.AvgPool2d,
    torch.nn.AdaptiveAvgPool1d,
    torch.nn.AdaptiveAvgPool2d,
    torch.nn.AdaptiveMaxPool1d,
    torch.nn.AdaptiveMaxPool2d,
    torch.nn.Softmax,
)
_SPATIAL_PASS_THROUGH_FUNCTIONS = {
    "max_pool1d",
    "max_pool2d",
    "avg_pool1d",
    "avg_pool2d",
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
}
_ELEMENTWISE_FUNCTIONS = {"dropout", "contiguous", "clone", "softmax", "identity"}
_ARITHMETIC = {"add", "iadd", "sub", "mul", "imul", "truediv", "neg"}
_REDUCTIONS = {"mean", "sum", "amax"}


def parameter_graph(
    module: torch.nn.Module, example_input: Tensor, input_channel_dim: int = 1
) -> Data:
    """The parameter graph of ``module`` as a PyG ``Data``.

    Args:
        module: the network; every parameter must be used by a supported operation,
            exactly once.
        example_input: an input of the right shape (its values do not matter); the
            network is run once on it, in eval mode and without gradients, to learn
            the shape of every intermediate tensor.
        input_channel_dim: the dimension of ``example_input`` whose entries are the
            input nodes (``1`` for ``[B, F]`` vectors and ``[B, C, H, W]`` images).

    Returns:
        ``Data`` with, for ``N`` nodes and ``E`` edges: ``node_type``, ``node_layer``,
        ``node_act`` ``[N]``; ``node_rank`` ``[N]`` (position among the network's input
        neurons, or among its output neurons, in channel order; 0 for the others); ``edge_index`` ``[2, E]`` (input side -> output side);
        ``edge_value`` ``[E]`` (the parameter, or 1 for structural edges);
        ``edge_type``, ``edge_layer`` ``[E]``; ``edge_pos`` ``[E, 2]`` (kernel or
        flattened position); ``edge_param`` ``[E]`` (index into ``param_names``, -1 for
        structural edges) and ``edge_flat`` ``[E]`` (flat index into that parameter).
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"parameter_graph expects a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(example_input, Tensor) or example_input.dim() < 2:
        raise ValueError(
            "example_input must be a batched tensor [B, ...] with at least 2 dimensions, got "
            f"{type(example_input).__name__}"
            + (
                f" of shape {tuple(example_input.shape)}"
                if isinstance(example_input, Tensor)
                else ""
            )
        )
    graph_module = _trace(module)
    _propagate_shapes(module, graph_module, example_input)
    builder = _GraphBuilder(module)
    return builder.build(graph_module, example_input, input_channel_dim % example_input.dim())


def load_parameter_graph(
    module: torch.nn.Module, graph: Data, values: Tensor | None = None
) -> torch.nn.Module:
    """Write the edge values of ``graph`` (or ``values`` ``[E]``, e.g. a GMN's edge
    predictions) into the parameters of ``module``, in place, and return ``module``.

    ``module`` must have the architecture ``graph`` was built from: the same parameter
    names and sizes. Structural edges (``edge_param == -1``) are skipped.
    """
    if isinstance(graph, Batch):
        raise TypeError(
            "load_parameter_graph takes one graph, not a batch; use batch.get_example(i)"
        )
    for key in ("edge_param", "edge_flat", "edge_value", "param_names"):
        if key not in graph:
            raise ValueError(f"graph has no {key!r}: pass a graph made by parameter_graph")
    values = graph.edge_value if values is None else values
    if values.shape != graph.edge_value.shape:
        raise ValueError(
            f"values must have one entry per edge, shape {tuple(graph.edge_value.shape)}, "
            f"got {tuple(values.shape)}"
        )
    params = dict(module.named_parameters())
    names = list(graph.param_names)
    if set(names) != set(params):
        missing, extra = sorted(set(params) - set(names)), sorted(set(names) - set(params))
        raise ValueError(
            "module does not match the graph's architecture: parameters missing from the "
            f"graph {missing}, parameters the module lacks {extra}"
        )
    with torch.no_grad():
        for index, name in enumerate(names):
            mask = graph.edge_param == index
            param = params[name]
            if int(mask.sum()) != param.numel():
                raise ValueError(
                    f"parameter {name!r} has {param.numel()} entries but the graph has "
                    f"{int(mask.sum())} edges for it"
                )
            flat = torch.empty(param.numel(), dtype=param.dtype, device=param.device)
            flat[graph.edge_flat[mask].to(param.device)] = values[mask].to(flat)
            param.copy_(flat.view_as(param))
    return module


def _trace(module: torch.nn.Module) -> fx.GraphModule:
    try:
        return fx.symbolic_trace(module)
    except Exception as error:  # fx raises many types; all mean "not traceable"
        raise UnsupportedOperationError(
            f"torch.fx could not trace {type(module).__name__}: {error}. Write its forward "
            "without data-dependent control flow, from supported layers"
        ) from error


def _propagate_shapes(
    module: torch.nn.Module, graph_module: fx.GraphModule, example_input: Tensor
) -> None:
    # Eval mode, so that batch norm's running statistics are not updated by this run.
    modes = {m: m.training for m in module.modules()}
    module.eval()
    try:
        with torch.no_grad():
            ShapeProp(graph_module).propagate(example_input)
    finally:
        for m, training in modes.items():
            m.training = training


def _op_name(node: fx.Node) -> str:
    if node.op == "call_method":
        return node.target
    return getattr(node.target, "__name__", str(node.target))


def _location(node: fx.Node) -> str:
    # fx records, for every traced op, the stack of modules it was called from.
    stack = list((node.meta.get("nn_module_stack") or {}).values())
    path = node.target if node.op == "call_module" else (stack[-1][0] if stack else None)
    return f"fx node {node.name!r}" + (f", module path {path!r}" if path else "")


class _GraphBuilder:
    """Walks a traced module once, adding the nodes and edges of each operation."""

    def __init__(self, module: torch.nn.Module) -> None:
        self.module = module
        self.params = dict(module.named_parameters())
        self.param_index = {name: i for i, name in enumerate(self.params)}
        self.used: dict[str, str] = {}
        self.node_type: list[Tensor] = []
        self.node_layer: list[Tensor] = []
        self.num_nodes = 0
        self.edges: list[dict[str, Tensor]] = []
        self.layer = 0
        self.act: dict[int, int] = {}
        self.current: fx.Node | None = None

    # -- graph pieces -------------------------------------------------------------

    def add_nodes(self, count: int, node_type: NodeType) -> Tensor:
        ids = torch.arange(self.num_nodes, self.num_nodes + count)
        self.num_nodes += count
        self.node_type.append(torch.full((count,), int(node_type)))
        self.node_layer.append(torch.full((count,), self.layer))
        return ids

    def add_edges(
        self,
        src: Tensor,
        dst: Tensor,
        edge_type: Tensor | int,
        pos: Tensor | None = None,
        param: str | None = None,
    ) -> None:
        """Edges ``src[k] -> dst[k]``; with ``param``, edge ``k`` carries entry ``k`` of
        that parameter in flat order, otherwise it is structural (value 1)."""
        count = src.numel()
        value = torch.ones(count)
        if param is not None:
            if param in self.used:
                raise UnsupportedOperationError(
                    f"parameter {param!r} is used twice ({self.used[param]} and "
                    f"{_location(self.current)}); shared weights are not supported"
                )
            self.used[param] = _location(self.current)
            value = self.params[param].detach().reshape(-1).float().cpu()
        edge_type = torch.as_tensor(edge_type).expand(count)
        self.edges.append(
            {
                "src": src,
                "dst": dst,
                "type": edge_type,
                "layer": torch.full((count,), self.layer),
                "value": value,
                "pos": torch.zeros(count, 2, dtype=torch.long) if pos is None else pos,
                "param": torch.full((count,), -1 if param is None else self.param_index[param]),
                "flat": torch.arange(count) if param is not None else torch.full((count,), -1),
            }
        )

    def bias_edges(self, param: str | None, targets: Tensor, edge_type: EdgeType) -> None:
        """Edges ``bias node -> targets[c]`` for the bias parameter ``param`` (if any)."""
        if param is None:
            return
        bias = self.add_nodes(1, NodeType.BIAS)
        self.add_edges(bias.expand(targets.numel()), targets, edge_type, param=param)

    # -- the walk -----------------------------------------------------------------

    def build(self, graph_module: fx.GraphModule, example_input: Tensor, channel_dim: int) -> Data:
        env: dict[str, Any] = {}
        output = None
        for node in graph_module.graph.nodes:
            self.current = node
            args = fx.node.map_arg(node.args, lambda n: env[n.name])
            kwargs = fx.node.map_arg(node.kwargs, lambda n: env[n.name])
            if node.op == "placeholder":
                if env:
                    raise UnsupportedOperationError(
                        f"the network takes more than one input ({_location(node)}); "
                        "parameter_graph supports a single input tensor"
                    )
                count = example_input.shape[channel_dim]
                result = Features(
                    self.add_nodes(count, NodeType.INPUT),
                    torch.zeros(count, 2, dtype=torch.long),
                    channel_dim,
                )
            elif node.op == "get_attr":
                result = node.target  # a parameter (or buffer) name, resolved where used
            elif node.op == "call_module":
                result = self.call_module(node, self.module.get_submodule(node.target), args)
            elif node.op in ("call_function", "call_method"):
                result = self.call_function(node, _op_name(node), args, kwargs)
            else:  # output
                output = args[0]
                break
            env[node.name] = _with_shapes(result, node.meta.get("tensor_meta"))
        self.mark_outputs(output)
        unused = [name for name in self.params if name not in self.used]
        if unused:
            raise UnsupportedOperationError(
                f"parameters {unused} are not used by any supported operation in the "
                "forward pass, so the graph could not represent them"
            )
        return self.to_data()

    def mark_outputs(self, output: Any) -> None:
        outputs = output if isinstance(output, tuple | list) else (output,)
        for value in outputs:
            if isinstance(value, Features):
                self.node_type_of(value.ids, NodeType.OUTPUT)

    def node_type_of(self, ids: Tensor, node_type: NodeType) -> None:
        all_types = torch.cat(self.node_type)
        all_types[ids] = int(node_type)
        self.node_type = [all_types]

    def to_data(self) -> Data:
        node_act = torch.zeros(self.num_nodes, dtype=torch.long)
        for node, act in self.act.items():
            node_act[node] = act
        cat = {key: torch.cat([edges[key] for edges in self.edges]) for key in self.edges[0]}
        node_type = torch.cat(self.node_type)
        # Input and output neurons are not permutable: their order is a feature.
        node_rank = torch.zeros_like(node_type)
        for fixed in (NodeType.INPUT, NodeType.OUTPUT):
            mask = node_type == int(fixed)
            node_rank[mask] = torch.arange(int(mask.sum()))
        return Data(
            num_nodes=self.num_nodes,
            node_type=node_type,
            node_layer=torch.cat(self.node_layer),
            node_act=node_act,
            node_rank=node_rank,
            edge_index=torch.stack([cat["src"], cat["dst"]]).long(),
            edge_value=cat["value"].float(),
            edge_type=cat["type"].long(),
            edge_layer=cat["layer"].long(),
            edge_pos=cat["pos"].long(),
            edge_param=cat["param"].long(),
            edge_flat=cat["flat"].long(),
            param_names=list(self.params),
        )

    def unsupported(self, what: str, hint: str = "") -> UnsupportedOperationError:
        return UnsupportedOperationError(
            f"cannot build a parameter graph: unsupported {what} at {_location(self.current)}"
            + (f"; {hint}" if hint else "")
            + ". Supported: Linear, Conv1d/2d, BatchNorm, LayerNorm, GroupNorm, "
            "MultiheadAttention, activations, dropout, pooling, Flatten, residual additions "
            "(see docs/gmn.md to add a layer type)"
        )

    def features(self, value: Any, what: str) -> Features:
        if not isinstance(value, Features):
            raise self.unsupported(f"input to {what} (not a traced tensor of the network)")
        return value

    # -- modules ------------------------------------------------------------------

    def call_module(self, node: fx.Node, module: torch.nn.Module, args: tuple) -> Any:
        path = node.target
        name = type(module).__name__
        if isinstance(module, torch.nn.Linear):
            return self.linear(self.features(args[0], name), module, path)
        if isinstance(module, torch.nn.Conv1d | torch.nn.Conv2d):
            return self.conv(self.features(args[0], name), module, path)
        if isinstance(module, torch.nn.BatchNorm1d | torch.nn.BatchNorm2d | torch.nn.GroupNorm):
            x = self.features(args[0], name)
            if x.dim != 1:
                raise self.unsupported(f"{name} over dimension {x.dim} (channels must be dim 1)")
            return self.norm_affine(x, path, module.weight is not None, module.bias is not None)
        if isinstance(module, torch.nn.LayerNorm):
            x = self.features(args[0], name)
            if len(module.normalized_shape) != 1 or x.dim != len(x.shape) - 1:
                raise self.unsupported(
                    f"LayerNorm{tuple(module.normalized_shape)}",
                    "only LayerNorm over the last dimension, holding the channels",
                )
            return self.norm_affine(x, path, module.weight is not None, module.bias is not None)
        if isinstance(module, torch.nn.MultiheadAttention):
            return self.attention(args, module, path)
        if isinstance(module, torch.nn.Flatten):
            return self.flatten(self.features(args[0], name), module.start_dim, module.end_dim)
        if type(module) in _ACTIVATION_MODULES:
            return self.activation(self.features(args[0], name), _ACTIVATION_MODULES[type(module)])
        if isinstance(module, _PASS_THROUGH_MODULES):
            return self.features(args[0], name)
        raise self.unsupported(f"module {name}")

    def linear(self, x: Features, module: torch.nn.Linear, path: str) -> Features:
        if x.dim != len(x.shape) - 1:
            raise self.unsupported("Linear on a tensor whose channels are not the last dimension")
        outputs = self.new_layer(module.out_features)
        rows, cols = _grid(module.out_features, module.in_features)
        self.add_edges(
            x.ids[cols], outputs[rows], EdgeType.LINEAR, pos=x.pos[cols], param=f"{path}.weight"
        )
        self.bias_edges(_bias_name(module, path), outputs, EdgeType.BIAS)
        return Features(outputs, _no_pos(outputs), x.dim)

    def conv(self, x: Features, module: torch.nn.Module, path: str) -> Features:
        if x.dim != 1 or bool(x.pos.any()):
            raise self.unsupported(f"{type(module).__name__} on a tensor without channels in dim 1")
        weight = module.weight
        outputs = self.new_layer(module.out_channels)
        coords = _unravel(torch.arange(weight.numel()), weight.shape)
        out, within = coords[0], coords[1]
        group = out // (module.out_channels // module.groups)
        inputs = group * (module.in_channels // module.groups) + within
        kernel = torch.stack(
            [coords[2], coords[3] if len(coords) > 3 else torch.zeros_like(out)], 1
        )
        self.add_edges(
            x.ids[inputs], outputs[out], EdgeType.CONV, pos=kernel, param=f"{path}.weight"
        )
        self.bias_edges(_bias_name(module, path), outputs, EdgeType.BIAS)
        return Features(outputs, _no_pos(outputs), 1)

    def norm_affine(self, x: Features, path: str, weight: bool, bias: bool) -> Features:
        if not weight and not bias:
            return x
        outputs = self.new_layer(x.ids.numel(), NodeType.NORM)
        if weight:
            self.add_edges(x.ids, outputs, EdgeType.NORM_WEIGHT, pos=x.pos, param=f"{path}.weight")
        else:  # beta alone: gamma is 1, a weight-free edge
            self.add_edges(x.ids, outputs, EdgeType.RESIDUAL, pos=x.pos)
        self.bias_edges(f"{path}.bias" if bias else None, outputs, EdgeType.NORM_BIAS)
        return Features(outputs, _no_pos(outputs), x.dim)

    def attention(self, args: tuple, module: torch.nn.MultiheadAttention, path: str) -> tuple:
        if not module._qkv_same_embed_dim or module.bias_k is not None:
            raise self.unsupported(
                "MultiheadAttention with kdim/vdim or add_bias_kv",
                "use equal query/key/value widths and no bias_k/bias_v",
            )
        query, key, value = (self.features(a, "MultiheadAttention") for a in args[:3])
        for x in (query, key, value):
            if x.dim != len(x.shape) - 1:
                raise self.unsupported("MultiheadAttention on channels not in the last dimension")
        width, heads = module.embed_dim, module.num_heads
        self.layer += 1
        q, k, v = (self.add_nodes(width, NodeType.HIDDEN) for _ in range(3))
        head_nodes = self.add_nodes(heads, NodeType.HEAD)
        rows, cols = _grid(3 * width, width)
        block = rows // width
        sources = torch.stack([query.ids, key.ids, value.ids])[block, cols]
        positions = torch.stack([query.pos, key.pos, value.pos])[block, cols]
        edge_types = torch.tensor(
            [int(EdgeType.ATTN_QUERY), int(EdgeType.ATTN_KEY), int(EdgeType.ATTN_VALUE)]
        )[block]
        projected = torch.cat([q, k, v])
        self.add_edges(
            sources, projected[rows], edge_types, pos=positions, param=f"{path}.in_proj_weight"
        )
        in_bias = f"{path}.in_proj_bias" if module.in_proj_bias is not None else None
        self.bias_edges(in_bias, projected, EdgeType.BIAS)
        head_of = head_nodes[torch.arange(width) // (width // heads)]
        self.add_edges(torch.cat([q, v]), head_of.repeat(2), EdgeType.ATTN_HEAD)
        self.add_edges(q, k, EdgeType.ATTN_QK)
        outputs = self.new_layer(width)
        rows, cols = _grid(width, width)
        self.add_edges(v[cols], outputs[rows], EdgeType.ATTN_OUT, param=f"{path}.out_proj.weight")
        self.bias_edges(_bias_name(module.out_proj, f"{path}.out_proj"), outputs, EdgeType.BIAS)
        return Features(outputs, _no_pos(outputs), query.dim), None

    def new_layer(self, count: int, node_type: NodeType = NodeType.HIDDEN) -> Tensor:
        self.layer += 1
        return self.add_nodes(count, node_type)

    def activation(self, x: Features, name: str) -> Features:
        for node in x.ids.tolist():
            self.act[node] = ACTIVATIONS[name]
        return x

    # -- functions and methods ----------------------------------------------------

    def call_function(self, node: fx.Node, name: str, args: tuple, kwargs: dict) -> Any:
        x = args[0] if args else None
        if name in ACTIVATIONS and name != "none":
            return self.activation(self.features(x, name), name)
        if name in _ELEMENTWISE_FUNCTIONS:
            return self.features(x, name)
        if name in _SPATIAL_PASS_THROUGH_FUNCTIONS:
            x = self.features(x, name)
            if x.dim != 1:
                raise self.unsupported(f"{name} over channels not in dim 1")
            return x
        if name in _ARITHMETIC:
            return self.arithmetic(name, args)
        if name == "getitem":
            if isinstance(x, tuple | list):
                return x[args[1]]
            if x is None or isinstance(x, torch.Size | int):
                return None
            raise self.unsupported("indexing of a traced tensor", "select features with a layer")
        if name in ("size", "dim", "getattr"):
            return None  # shapes: not features of the network
        if name == "flatten":
            start = args[1] if len(args) > 1 else kwargs.get("start_dim", 0)
            end = args[2] if len(args) > 2 else kwargs.get("end_dim", -1)
            return self.flatten(self.features(x, name), start, end)
        if name == "transpose":
            x = self.features(x, name)
            first, second = (d % len(x.shape) for d in args[1:3])
            swap = {first: second, second: first}
            return replace(x, dim=swap.get(x.dim, x.dim))
        if name == "permute":
            x = self.features(x, name)
            order = args[1] if isinstance(args[1], tuple | list) else args[1:]
            return replace(x, dim=[d % len(x.shape) for d in order].index(x.dim))
        if name in _REDUCTIONS:
            return self.reduce(self.features(x, name), name, args, kwargs)
        raise self.unsupported(f"operation {name!r} ({node.op} {node.target})")

    def arithmetic(self, name: str, args: tuple) -> Any:
        traced = [a for a in args if isinstance(a, Features)]
        attributes = [a for a in args if isinstance(a, str)]
        if name in ("add", "iadd") and len(traced) == 2:
            return self.residual(*traced)
        if name in ("add", "iadd") and len(traced) == 1 and attributes:
            return self.added_parameter(traced[0], attributes[0])
        if len(traced) == 1 and not attributes:
            return traced[0]  # scaling or shifting by a constant
        raise self.unsupported(
            f"{name} of {len(traced)} traced tensors and {len(attributes)} parameters",
            "only x + f(x), x + parameter and arithmetic with constants are supported",
        )

    def residual(self, a: Features, b: Features) -> Features:
        if a.ids.numel() != b.ids.numel() or a.dim != b.dim:
            raise self.unsupported("addition of tensors with different channels")
        # The branch created later (larger node ids) is the block's output; the other
        # side is the skip connection into it.
        skip, block = (a, b) if int(a.ids.max()) < int(b.ids.max()) else (b, a)
        pairs = torch.unique(torch.stack([skip.ids, block.ids], 1), dim=0)
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        if len(pairs):
            self.add_edges(pairs[:, 0], pairs[:, 1], EdgeType.RESIDUAL)
        return block

    def added_parameter(self, x: Features, name: str) -> Features:
        if name not in self.params:
            raise self.unsupported(f"addition of the buffer {name!r}")
        param = self.params[name]
        offset = len(x.shape) - param.dim()
        if offset < 0 or param.shape[x.dim - offset] != x.ids.numel() or bool(x.pos.any()):
            raise self.unsupported(
                f"addition of parameter {name!r} of shape {tuple(param.shape)}",
                "it must broadcast along the channels",
            )
        coords = _unravel(torch.arange(param.numel()), param.shape)
        channel = coords[x.dim - offset]
        others = [c for i, c in enumerate(coords) if i != x.dim - offset and param.shape[i] > 1]
        if len(others) > 2:
            raise self.unsupported(f"addition of parameter {name!r} with over 2 positional dims")
        pos = torch.stack([*others, *[torch.zeros_like(channel)] * (2 - len(others))], 1)
        bias = self.add_nodes(1, NodeType.BIAS)
        self.add_edges(
            bias.expand(param.numel()), x.ids[channel], EdgeType.EMBEDDING, pos=pos, param=name
        )
        return x

    def flatten(self, x: Features, start: int, end: int) -> Features:
        ndim = len(x.shape)
        start, end = start % ndim, end % ndim
        if x.dim < start:
            return x
        if x.dim > end:
            return replace(x, dim=x.dim - (end - start))
        merged = x.shape[start : end + 1]
        others = [i for i in range(len(merged)) if i != x.dim - start and merged[i] > 1]
        if len(others) > 2 or (others and bool(x.pos.any())):
            raise self.unsupported(
                f"flatten of shape {tuple(merged)}", "at most 2 positional dimensions"
            )
        coords = _unravel(torch.arange(math.prod(merged)), merged)
        channel = coords[x.dim - start]
        if not others:
            return Features(x.ids[channel], x.pos[channel], start)
        pos = torch.stack(
            [coords[i] for i in others] + [torch.zeros_like(channel)] * (2 - len(others)), 1
        )
        return Features(x.ids[channel], pos, start)

    def reduce(self, x: Features, name: str, args: tuple, kwargs: dict) -> Features:
        dims = args[1] if len(args) > 1 else kwargs.get("dim")
        keepdim = args[2] if len(args) > 2 else kwargs.get("keepdim", False)
        if dims is None:
            raise self.unsupported(f"{name} over every dimension")
        dims = {d % len(x.shape) for d in (dims if isinstance(dims, tuple | list) else (dims,))}
        if x.dim in dims:
            raise self.unsupported(f"{name} over the channel dimension")
        return x if keepdim else replace(x, dim=x.dim - sum(d < x.dim for d in dims))


def _with_shapes(result: Any, meta: Any) -> Any:
    if isinstance(result, Features) and meta is not None and hasattr(meta, "shape"):
        return replace(result, shape=tuple(meta.shape))
    if isinstance(result, tuple) and isinstance(meta, tuple | list):
        return tuple(_with_shapes(r, m) for r, m in zip(result, meta, strict=False))
    return result


def _bias_name(module: torch.nn.Module, path: str) -> str | None:
    return f"{path}.bias" if getattr(module, "bias", None) is not None else None


def _grid(rows: int, cols: int) -> tuple[Tensor, Tensor]:
    """Row and column of every entry of a ``[rows, cols]`` matrix, in flat order."""
    index = torch.arange(rows * cols)
    return index // cols, index % cols


def _unravel(index: Tensor, shape: tuple[int, ...] | torch.Size) -> list[Tensor]:
    return list(torch.unravel_index(index, tuple(shape)))


def _no_pos(ids: Tensor) -> Tensor:
    return torch.zeros(ids.numel(), 2, dtype=torch.long)
