"""Golden values for ALLNet's SKFF and one TCR round (allnet/skff.go, allnet/tcr.go).

Writes allnet/testdata/tcr_round.json (layout as in common.py). Run from the
repository root with Debian's PyTorch 1.13:

    /usr/bin/python3 scripts/golden/gen_tcr.py

TCR is our reading of the paper summary (ALLNET.md 1.3), so this is an
independent PyTorch module written from the same formulas as the Go doc
comments, not official code. SKFF follows MIRNet's SKFF (swz30/MIRNet,
networks/MIRNet_model.py) with height 2. Everything is float64 with tiny
sizes: C=8, 6x7 maps, batch 2, T=3 tasks, 2 heads, one round. Each case
stores the state_dict under the Go names, the inputs p and j, the outputs,
random R tensors and the gradients of the scalar sum(pOut*r1 + jOut*r2)
(SKFF: sum(out*r1)) with respect to p, j and every parameter ("grad:<name>").
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

import common
from common import case, seed

common.OUT = os.path.join(common.ROOT, "allnet", "testdata")


class LNC(nn.Module):
    """Layer norm over the channels of (N, C, H, W), eps 1e-5."""

    def __init__(self, c):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(c))
        self.bias = nn.Parameter(torch.zeros(c))

    def forward(self, x):
        y = F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2], self.weight, self.bias, 1e-5)
        return y.permute(0, 3, 1, 2)


class MLP(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.fc1 = nn.Linear(c, hidden)
        self.fc2 = nn.Linear(hidden, c)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


def transposed_attention(q, k, v, heads, temperature):
    """Restormer-style channel attention on (N, C, H, W) maps."""
    n, c, h, w = q.shape
    q, k, v = (x.reshape(n, heads, c // heads, h * w) for x in (q, k, v))
    q = F.normalize(q, dim=-1)
    k = F.normalize(k, dim=-1)
    attn = ((q @ k.transpose(-2, -1)) * temperature).softmax(dim=-1)
    return (attn @ v).reshape(n, c, h, w)


class MDTA(nn.Module):
    """Restormer's Attention (bias=False), as nn.MDTA."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, 1, bias=False)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, 3, padding=1, groups=dim * 3, bias=False)
        self.project_out = nn.Conv2d(dim, dim, 1, bias=False)

    def forward(self, x):
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        return self.project_out(transposed_attention(q, k, v, self.heads, self.temperature))


class AFU(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.heads = heads
        self.norm_q = LNC(c)
        self.norm_kv = LNC(c)
        self.q = nn.Conv2d(c, c, 1)
        self.k = nn.Conv2d(c, c, 1)
        self.v = nn.Conv2d(c, c, 1)
        self.temperature = nn.Parameter(torch.ones(heads, 1, 1))

    def forward(self, j, pm):
        kv = self.norm_kv(pm)
        return j + transposed_attention(self.q(self.norm_q(j)), self.k(kv), self.v(kv), self.heads, self.temperature)


class FFN(nn.Module):
    def __init__(self, c, hidden):
        super().__init__()
        self.norm = LNC(c)
        self.fc1 = nn.Conv2d(c, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, c, 1)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class TCRRound(nn.Module):
    """One TCR round, from the formulas in allnet/tcr.go."""

    def __init__(self, c, tasks, heads, lam, ratio):
        super().__init__()
        self.c, self.tasks = c, tasks
        self.theta_rand = nn.Parameter(1 + 0.02 * torch.randn(tasks, c))
        self.__setattr__("lambda", nn.Parameter(torch.full((1,), lam)))
        self.token_mlp = MLP(c, c)
        self.token_q = nn.Linear(c, c)
        self.token_k = nn.Linear(c, c, bias=False)  # a key bias cancels in the softmax
        self.norm_p = LNC(c)
        self.mdta = MDTA(c, heads)
        self.afu = AFU(c, heads)
        self.ffn = FFN(c, int(c * ratio))

    def forward(self, p, j):
        n, c, h, w = p.shape
        lam = getattr(self, "lambda")
        gj = self.token_mlp(j.mean(dim=(2, 3)))                      # (N, C)
        theta = self.theta_rand[None] + lam * gj[:, None]           # (N, T, C)
        a = (self.token_q(theta) @ self.token_k(theta).transpose(1, 2) / math.sqrt(c)).softmax(-1)
        # P'_all = A P_all with P_t = theta_t * P, written out literally.
        p_all = theta[:, :, :, None, None] * p[:, None]             # (N, T, C, H, W)
        p_mix = (a @ p_all.reshape(n, self.tasks, -1)).reshape(n * self.tasks, c, h, w)
        r = p_mix + self.mdta(self.norm_p(p_mix))
        pm = r.reshape(n, self.tasks, c, h, w).mean(1)
        return pm, self.ffn(self.afu(j, pm))


class SKFF(nn.Module):
    """MIRNet's SKFF with height 2 (bias=False, reduction 8)."""

    def __init__(self, c):
        super().__init__()
        d = max(int(c / 8), 4)
        self.conv_du = nn.Sequential(nn.Conv2d(c, d, 1, padding=0, bias=False), nn.PReLU())
        self.fcs = nn.ModuleList([nn.Conv2d(d, c, 1, bias=False) for _ in range(2)])

    def forward(self, p, j):
        b, c = p.shape[:2]
        feats = torch.stack([p, j], 1)
        z = self.conv_du(feats.sum(1).mean(dim=(2, 3), keepdim=True))
        att = torch.cat([fc(z) for fc in self.fcs], 1).view(b, 2, c, 1, 1).softmax(1)
        return (feats * att).sum(1)


def randomise(m):
    """Makes the parameters that start at constants non-trivial."""
    with torch.no_grad():
        for name, prm in m.named_parameters():
            if name.endswith("temperature"):
                prm.uniform_(0.5, 2)
            elif "norm" in name:
                prm.add_(0.2 * torch.randn_like(prm))
            elif name == "lambda":
                prm.fill_(0.7)
            elif name == "conv_du.1.weight":
                prm.fill_(0.3)


def finish(name, attrs, m, p, j, outs):
    tensors = {k: v for k, v in m.state_dict().items()}
    loss = 0
    for i, (k, o) in enumerate(outs.items()):
        r = torch.randn_like(o)
        tensors[k] = o
        tensors["r%d" % (i + 1)] = r
        loss = loss + (o * r).sum()
    loss.backward()
    tensors.update(p=p, j=j)
    tensors["grad:p"] = p.grad
    tensors["grad:j"] = j.grad
    for k, prm in m.named_parameters():
        tensors["grad:" + k] = prm.grad
    return case(name, dict(attrs, keys=sorted(m.state_dict().keys())), **tensors)


def main():
    torch.set_default_dtype(torch.float64)
    seed(20260301)
    n, c, h, w, tasks, heads = 2, 8, 6, 7, 3, 2
    cases = []

    m = TCRRound(c, tasks, heads, 0.1, 2)
    randomise(m)
    p = torch.randn(n, c, h, w, requires_grad=True)
    j = torch.randn(n, c, h, w, requires_grad=True)
    pout, jout = m(p, j)
    cases.append(finish("tcr_round", dict(dim=c, tasks=tasks, heads=heads, ffn_ratio=2.0),
                        m, p, j, {"p_out": pout, "j_out": jout}))

    s = SKFF(c)
    randomise(s)
    p = torch.randn(n, c, h, w, requires_grad=True)
    j = torch.randn(n, c, h, w, requires_grad=True)
    cases.append(finish("skff", dict(dim=c), s, p, j, {"out": s(p, j)}))
    common.save("tcr_round", "scripts/golden/gen_tcr.py", cases)


if __name__ == "__main__":
    main()
