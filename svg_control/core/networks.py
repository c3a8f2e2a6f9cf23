"""Plain and batched multilayer perceptrons.

``BatchedMLP`` evaluates K independent small networks with one batched matmul
per layer: the paper's per-state-dimension model sub-networks, a model
ensemble and the twin critics without a Python loop over members.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

#: nn.LayerNorm's epsilon, so that a batched member equals its plain network
LAYER_NORM_EPS = 1e-5

ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "elu": nn.ELU, "silu": nn.SiLU}


def mlp(in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "tanh",
        layer_norm: bool = False) -> nn.Sequential:
    """in -> hidden... -> out with ``activation`` between layers and a linear output.

    ``layer_norm`` puts a LayerNorm before each hidden activation (Ba et al. 2016), as RLPD (Ball et al.
    2023) and DHMBPO (Kubo et al. 2025) do in their critics: it bounds the features a TD target can push
    up, which keeps Q from drifting where the data is thin."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    last = in_dim
    for width in hidden:
        layers.append(nn.Linear(last, width))
        if layer_norm:
            layers.append(nn.LayerNorm(width, eps=LAYER_NORM_EPS))
        layers.append(ACTIVATIONS[activation]())
        last = width
    layers.append(nn.Linear(last, out_dim))
    return nn.Sequential(*layers)


class BatchedMLP(nn.Module):
    """K independent MLPs sharing one input: (..., in) -> (..., K, out), one batched matmul per layer.

    Stacked weights (K, in, out) and ``torch.baddbmm`` evaluate the K members together instead of a Python
    loop over K networks: the paper's per-state-dimension model sub-networks, a model ensemble, or twin
    critics. Each member is initialised as ``nn.Linear`` initialises a layer; ``layer_norm`` puts a
    LayerNorm with each member's own gain and bias before every hidden activation, as ``mlp`` does.
    ``member(k)`` rebuilds member k as the plain ``mlp`` it is equal to, and ``from_members`` stacks plain
    ``mlp`` networks, drawing no random numbers of its own (so a network built from plain members starts as
    they would have).
    """

    def __init__(self, n_nets: int, in_dim: int, hidden: Sequence[int], out_dim: int, activation: str = "tanh",
                 layer_norm: bool = False, *, initialise: bool = True) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; valid: {sorted(ACTIVATIONS)}")
        self.n_nets, self.in_dim, self.hidden, self.out_dim = n_nets, in_dim, tuple(hidden), out_dim
        self.activation, self.layer_norm = activation, layer_norm
        self.act = ACTIVATIONS[activation]()
        dims = [in_dim, *hidden, out_dim]
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        for fan_in, fan_out in zip(dims[:-1], dims[1:]):
            weight, bias = torch.empty(n_nets, fan_in, fan_out), torch.empty(n_nets, 1, fan_out)
            if initialise:
                bound = 1.0 / math.sqrt(fan_in)  # nn.Linear's default init, per sub-network
                weight.uniform_(-bound, bound)
                bias.uniform_(-bound, bound)
            self.weights.append(nn.Parameter(weight))
            self.biases.append(nn.Parameter(bias))
        self.norm_weights = nn.ParameterList()
        self.norm_biases = nn.ParameterList()
        if layer_norm:
            for width in hidden:
                self.norm_weights.append(nn.Parameter(torch.ones(n_nets, 1, width)))
                self.norm_biases.append(nn.Parameter(torch.zeros(n_nets, 1, width)))

    def forward_members(self, x: torch.Tensor, members: torch.Tensor | None = None) -> torch.Tensor:
        """(B, in), shared by every member, or (K, B, in), one input per member -> (K, B, out).

        ``members`` (indices) evaluates only those, at their share of the cost: (len(members), B, out).
        """
        def pick(p: torch.Tensor) -> torch.Tensor:
            return p if members is None else p.index_select(0, members)

        k = self.n_nets if members is None else members.shape[0]
        h = x.unsqueeze(0).expand(k, *x.shape) if x.dim() == 2 else x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(pick(b), h, pick(w))
            if i < last:
                if self.layer_norm:  # each member's own gain and bias: two elementwise ops, whatever K is
                    h = (F.layer_norm(h, h.shape[-1:], eps=LAYER_NORM_EPS) * pick(self.norm_weights[i])
                         + pick(self.norm_biases[i]))
                h = self.act(h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lead = x.shape[:-1]
        h = self.forward_members(x.reshape(-1, x.shape[-1]))
        return h.transpose(0, 1).reshape(*lead, self.n_nets, h.shape[-1])  # (..., K, out)

    def forward_split(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in) -> (..., out), each row through one member: the rows, flattened, split in order into K
        equal shares (row i through member i // ceil(B / K), the last share padded), one share per member.

        One network's cost for the whole batch where :meth:`forward` costs K: an ensemble that sends each
        state through one member (a member per rollout, as DHMBPO's and PETS's TS rollouts) needs no more.
        Which member a row meets depends on its position only, so a batch drawn at random meets random
        members, and a rollout that keeps its rows in place keeps each row's member.
        """
        lead, width = x.shape[:-1], x.shape[-1]
        flat = x.reshape(-1, width)
        rows = flat.shape[0]
        share = -(-rows // self.n_nets)
        pad = share * self.n_nets - rows
        if pad:
            flat = torch.cat([flat, flat.new_zeros(pad, width)])
        h = self.forward_members(flat.reshape(self.n_nets, share, width))
        return h.reshape(self.n_nets * share, h.shape[-1])[:rows].reshape(*lead, h.shape[-1])

    def member(self, k: int) -> nn.Sequential:
        """Member k as a plain ``mlp`` with a copy of its weights (equal outputs and gradients)."""
        net = mlp(self.in_dim, self.hidden, self.out_dim, self.activation, self.layer_norm)
        linears = [m for m in net if isinstance(m, nn.Linear)]
        norms = [m for m in net if isinstance(m, nn.LayerNorm)]
        with torch.no_grad():
            for lin, w, b in zip(linears, self.weights, self.biases):
                lin.weight.copy_(w[k].T)
                lin.bias.copy_(b[k, 0])
            for norm, g, b in zip(norms, self.norm_weights, self.norm_biases):
                norm.weight.copy_(g[k, 0])
                norm.bias.copy_(b[k, 0])
        return net

    @classmethod
    def from_members(cls, members: Sequence[nn.Sequential], activation: str) -> BatchedMLP:
        """Stack plain ``mlp`` networks of one shape into one batched network equal to them."""
        linears = [[m for m in net if isinstance(m, nn.Linear)] for net in members]
        norms = [[m for m in net if isinstance(m, nn.LayerNorm)] for net in members]
        first = linears[0]
        batched = cls(len(members), first[0].in_features, [lin.out_features for lin in first[:-1]],
                      first[-1].out_features, activation, layer_norm=bool(norms[0]), initialise=False)
        with torch.no_grad():
            for i, (w, b) in enumerate(zip(batched.weights, batched.biases)):
                w.copy_(torch.stack([layers[i].weight.T for layers in linears]))
                b.copy_(torch.stack([layers[i].bias for layers in linears]).unsqueeze(1))
            for i, (g, b) in enumerate(zip(batched.norm_weights, batched.norm_biases)):
                g.copy_(torch.stack([layers[i].weight for layers in norms]).unsqueeze(1))
                b.copy_(torch.stack([layers[i].bias for layers in norms]).unsqueeze(1))
        return batched
