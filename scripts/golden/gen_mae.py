"""PyTorch reference of one MaE block (allnet/mae*.go), our reading of
ALLNET.md 1.3, written out independently of the Go code.

Writes allnet/testdata/mae_block.json: per case the block's weights under
the Go state_dict names, the input p, the routing noise eps (training mode
with a fixed draw, so that the load term of the auxiliary loss is exercised),
the output, the scalar aux loss, the chosen experts, and the gradient of
sum(out * r) + aux with respect to p and to the router's parameters.

Routing follows MoCE-IR's RoutingFunction (eduardzamfir/MoCE-IR,
src/net/moce_ir.py): bias-free gate, top-k of the noisy softmax kept without
renormalising, importance = batch sum of the clean softmax times the
expert's parameter count over the largest, load = mean over the batch of
1 - Phi((kth noisy logit - clean logit) / noise_std), CV^2 with the
unbiased std and eps 1e-8; ALLNet adds the prior term, the temperature
T = sigmoid(t) + 0.5 and learnable weights a, b.

Run from the repository root with Debian's PyTorch 1.13 (float64):
/usr/bin/python3.11 scripts/golden/gen_mae.py (the pyenv python3 on PATH
has no torch).
"""
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "allnet", "testdata", "mae_block.json")


class WindowAttention(nn.Module):
    """Windowed multi-head self-attention on (B, H, W, C) (no padding
    needed at the sizes used here: the window divides H and W)."""

    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, h, w, c = x.shape
        wh, ww = min(self.window, h), min(self.window, w)
        assert h % wh == 0 and w % ww == 0
        nh, nw = h // wh, w // ww
        n, d = wh * ww, c // self.heads
        t = x.reshape(b, nh, wh, nw, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(b, nh * nw, n, c)
        qkv = self.qkv(t).reshape(b, nh * nw, n, 3, self.heads, d).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv[0], qkv[1], qkv[2]
        a = (q @ k.transpose(-1, -2) / math.sqrt(d)).softmax(-1)
        o = (a @ v).permute(0, 1, 3, 2, 4).reshape(b, nh * nw, n, c)
        o = self.proj(o).reshape(b, nh, nw, wh, ww, c).permute(0, 1, 3, 2, 4, 5)
        return o.reshape(b, h, w, c)


def expert_width(c, i, n):
    return 3 * max(1, round(c * (i + 1) / (3 * n)))


def heads_for(w, hw):
    h = max(1, w // hw)
    while w % h:
        h -= 1
    return h


class Expert(nn.Module):
    def __init__(self, c, i, n, window, head_width, mlp_ratio):
        super().__init__()
        ci = expert_width(c, i, n)
        w = ci // 3
        self.w = w
        hidden = max(1, round(w * mlp_ratio))
        self.proj_in = nn.Conv2d(c, ci, 1)
        self.attn = WindowAttention(w, heads_for(w, head_width), window)
        self.dyn = nn.Module()
        self.dyn.kernel = nn.Linear(w, 9 * w)
        self.dyn.pw = nn.Conv2d(w, w, 1)
        self.mlp = nn.Module()
        self.mlp.fc1 = nn.Conv2d(w, hidden, 1)
        self.mlp.fc2 = nn.Conv2d(hidden, w, 1)
        self.interact = nn.Parameter(torch.randn(3))
        self.proj_out = nn.Conv2d(ci, c, 1)

    def forward(self, x):
        h1, h2, h3 = self.proj_in(x).split(self.w, dim=1)
        m1 = self.attn(h1.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        # Dynamic depthwise 3x3: one kernel per image and channel.
        kern = self.dyn.kernel(h2.mean(dim=(2, 3))).reshape(-1, self.w, 3, 3)
        dw = torch.stack([F.conv2d(h2[j:j + 1], kern[j].unsqueeze(1), padding=1, groups=self.w)[0]
                          for j in range(h2.shape[0])])
        m2 = dw * torch.sigmoid(self.dyn.pw(h2))
        m3 = self.mlp.fc2(F.gelu(self.mlp.fc1(h3)))
        ms = [m1, m2, m3]
        outs = [ms[i] + self.interact[i] * torch.sigmoid(sum(ms[j] for j in range(3) if j != i))
                for i in range(3)]
        return self.proj_out(torch.cat(outs, dim=1))


class Router(nn.Module):
    def __init__(self, c, n, k, lam, noise_std, complexity):
        super().__init__()
        self.gate = nn.Linear(c, n, bias=False)
        self.prior = nn.Linear(c, n, bias=False)
        self.t = nn.Parameter(torch.zeros(1))
        self.a = nn.Parameter(torch.full((1,), 0.5))
        self.b = nn.Parameter(torch.full((1,), 0.5))
        self.k, self.lam, self.noise_std, self.n = k, lam, noise_std, n
        self.complexity = complexity

    @staticmethod
    def cv2(v):
        return (v.std() / (v.mean() + 1e-8)) ** 2

    def forward(self, p, eps):
        f = p.mean(dim=(2, 3))
        temp = torch.sigmoid(self.t) + 0.5
        logits = (self.gate(f) + self.lam * self.prior(f)) / temp
        noisy = logits + eps / temp
        vals, idx = torch.topk(noisy.softmax(-1), self.k, dim=-1)
        imp = logits.softmax(-1).sum(0) * self.complexity
        # MoCE's load_loss, with the noise std in the tempered logits' scale.
        thr = torch.topk(noisy, self.k, dim=-1).values[:, -1:]
        req = (thr - logits) / (self.noise_std / temp)
        load = (1 - torch.distributions.Normal(0.0, 1.0).cdf(req)).mean(0)
        aux = self.a * self.cv2(imp) + self.b * self.cv2(load)
        return vals, idx, aux.sum()


class MaEBlock(nn.Module):
    def __init__(self, c, n, windows, k, head_width, lam, noise_std, mlp_ratio):
        super().__init__()
        self.experts = nn.ModuleList(
            [Expert(c, i, n, windows[i], head_width, mlp_ratio) for i in range(n)])
        cnt = torch.tensor([float(sum(q.numel() for q in e.parameters())) for e in self.experts],
                           dtype=torch.float64)
        self.router = Router(c, n, k, lam, noise_std, cnt / cnt.max())

    def forward(self, p, eps):
        vals, idx, aux = self.router(p, eps)
        rows = []
        for bi in range(p.shape[0]):
            acc = p[bi:bi + 1]
            for j in range(idx.shape[1]):
                e = int(idx[bi, j])
                acc = acc + vals[bi, j] * self.experts[e](p[bi:bi + 1])
            rows.append(acc)
        return torch.cat(rows, 0), aux, idx


def t2j(t):
    t = t.detach().contiguous()
    # 10 significant digits: far below the tests' tolerances, half the size.
    return {"shape": list(t.shape), "data": [float("%.10g" % v) for v in t.reshape(-1).tolist()]}


def make_case(name, seed, k, batch=3, c=24, hw=(4, 8)):
    torch.manual_seed(seed)
    n, windows, head_width, lam, mlp_ratio = 4, [4, 8, 16, 32], 2, 1.0, 2.0
    noise_std = 1.0 / n
    m = MaEBlock(c, n, windows, k, head_width, lam, noise_std, mlp_ratio).double()
    with torch.no_grad():
        m.router.gate.weight.mul_(6.0)  # spread the routing over the experts
        m.router.t.fill_(0.3)
        m.router.a.fill_(0.7)
        m.router.b.fill_(0.4)
    p = torch.randn(batch, c, *hw, dtype=torch.float64)
    p = p + 0.5 * torch.randn(batch, c, 1, 1, dtype=torch.float64)  # images differ on average
    p.requires_grad_(True)
    eps = noise_std * torch.randn(batch, n, dtype=torch.float64)
    r = torch.randn(batch, c, *hw, dtype=torch.float64)
    out, aux, idx = m(p, eps)
    (out * r).sum().add(aux).backward()
    tensors = {k2: t2j(v) for k2, v in m.state_dict().items()}
    tensors.update(p=t2j(p), eps=t2j(eps), r=t2j(r), out=t2j(out), aux=t2j(aux.reshape(1)),
                   selected=t2j(idx.double()), grad_p=t2j(p.grad))
    for nm, q in m.router.named_parameters():
        tensors["grad:router." + nm] = t2j(q.grad)
    print(name, "selected", idx.tolist(), "aux", float(aux))
    attrs = dict(channels=c, experts=n, windows=windows, topk=k, heads=head_width,
                 prior_lambda=lam, noise_std=noise_std, mlp_ratio=mlp_ratio,
                 keys=sorted(m.state_dict().keys()))
    return {"name": name, "attrs": attrs, "tensors": tensors}


def main():
    torch.set_default_dtype(torch.float64)
    cases = [make_case("top1", 1, 1), make_case("top2", 2, 2)]
    doc = {"generator": "scripts/golden/gen_mae.py", "torch": torch.__version__, "cases": cases}
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
