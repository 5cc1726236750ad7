"""Golden values for the attention-type layers of package nn and BatchNorm2d.

Writes nn/testdata/{batchnorm2d,mha,window_attention,mdta}.json (layout as in
common.py). Run from the repository root with Debian's PyTorch 1.13:

    /usr/bin/python3 scripts/golden/gen_nn_attention.py

Everything is float64. Each case stores the module's state_dict under its
PyTorch names, the inputs, the output "out", a random "r" and the gradients
of sum(out * r) as "grad:<name>" for every input and parameter; attrs "keys"
lists the state_dict keys, which the Go layers must reproduce.

- batchnorm2d: torch.nn.BatchNorm2d in train and eval mode; train also stores
  the updated "running_mean_after"/"running_var_after".
- mha: torch.nn.MultiheadAttention(batch_first=True), self-attention and
  cross-attention with an additive attn_mask (Lq, Lk) and a key_padding_mask
  (B, Lk) stored as "key_padding" (1 = masked).
- window_attention: written out here (PyTorch has no such module): zero
  padding of H and W to multiples of the (clamped) window, padded keys masked
  with -inf, per-window multi-head attention, crop back.
- mdta: Restormer's Attention (basicsr/models/archs/restormer_arch.py),
  written out here with the random temperature made non-trivial.
"""
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from common import case, seed

import common

common.OUT = os.path.join(common.ROOT, "nn", "testdata")


def finish(name, attrs, module, inputs, out):
    """Backpropagates sum(out * r) and builds the case."""
    r = torch.randn_like(out)
    (out * r).sum().backward()
    sd = module.state_dict()
    tensors = {k: v for k, v in sd.items() if v.dtype == torch.float64}
    tensors.update(inputs)
    tensors.update(out=out, r=r)
    for k, v in inputs.items():
        if v.grad is not None:
            tensors["grad:" + k] = v.grad
    for k, p in module.named_parameters():
        tensors["grad:" + k] = p.grad
    attrs = dict(attrs, keys=sorted(sd.keys()))
    return case(name, attrs, **tensors)


def batchnorm(name, shape, train):
    m = nn.BatchNorm2d(shape[1]).double()
    with torch.no_grad():
        m.weight.normal_()
        m.bias.normal_()
        m.running_mean.normal_()
        m.running_var.uniform_(0.5, 2)
    before = {k: v.clone() for k, v in m.state_dict().items()}
    m.train(train)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    out = m(x)
    c = finish(name, dict(train=train), m, dict(x=x), out)
    # The state_dict entries hold the statistics the Go layer starts from.
    for k in ("running_mean", "running_var"):
        c["tensors"][k + "_after"] = c["tensors"][k]
        c["tensors"][k] = common.t2j(before[k])
    return c


def mha(name, b, lq, lk, dim, heads, cross):
    m = nn.MultiheadAttention(dim, heads, batch_first=True).double()
    with torch.no_grad():
        m.in_proj_bias.normal_()
        m.out_proj.bias.normal_()
    attrs = dict(dim=dim, heads=heads)
    if not cross:
        x = torch.randn(b, lq, dim, dtype=torch.float64, requires_grad=True)
        out, _ = m(x, x, x, need_weights=False)
        return finish(name, attrs, m, dict(x=x), out)
    q = torch.randn(b, lq, dim, dtype=torch.float64, requires_grad=True)
    k = torch.randn(b, lk, dim, dtype=torch.float64, requires_grad=True)
    v = torch.randn(b, lk, dim, dtype=torch.float64, requires_grad=True)
    attn_mask = torch.randn(lq, lk, dtype=torch.float64)
    pad = torch.rand(b, lk) < 0.3
    pad[:, 0] = False  # keep a key per row: PyTorch gives NaN for fully masked rows
    out, _ = m(q, k, v, attn_mask=attn_mask, key_padding_mask=pad, need_weights=False)
    c = finish(name, attrs, m, dict(query=q, key=k, value=v), out)
    c["tensors"]["attn_mask"] = common.t2j(attn_mask)
    c["tensors"]["key_padding"] = common.t2j(pad.to(torch.float64))
    return c


class WindowAttention(nn.Module):
    """Windowed multi-head self-attention on (B, H, W, C), as nn/window.go."""

    def __init__(self, dim, heads, window):
        super().__init__()
        self.heads, self.window = heads, window
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, h, w, c = x.shape
        wh, ww = min(self.window, h), min(self.window, w)
        ph, pw = (wh - h % wh) % wh, (ww - w % ww) % ww
        x = F.pad(x, (0, 0, 0, pw, 0, ph))
        valid = F.pad(torch.ones(h, w, dtype=torch.bool), (0, pw, 0, ph))
        nh, nw = (h + ph) // wh, (w + pw) // ww
        n, d = wh * ww, c // self.heads
        t = x.view(b, nh, wh, nw, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(b, nh * nw, n, c)
        keys = valid.view(nh, wh, nw, ww).permute(0, 2, 1, 3).reshape(nh * nw, 1, 1, n)
        qkv = self.qkv(t).view(b, nh * nw, n, 3, self.heads, d).permute(3, 0, 1, 4, 2, 5)
        q, k, v = qkv[0], qkv[1], qkv[2]
        s = q @ k.transpose(-1, -2) / math.sqrt(d)
        s = s.masked_fill(~keys, float("-inf"))
        o = (s.softmax(-1) @ v).permute(0, 1, 3, 2, 4).reshape(b, nh * nw, n, c)
        o = self.proj(o).view(b, nh, nw, wh, ww, c).permute(0, 1, 3, 2, 4, 5).reshape(b, nh * wh, nw * ww, c)
        return o[:, :h, :w]


def window(name, shape, heads, ws):
    m = WindowAttention(shape[3], heads, ws).double()
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    return finish(name, dict(heads=heads, window=ws), m, dict(x=x), m(x))


class Attention(nn.Module):
    """Restormer's MDTA (restormer_arch.py), rearrange written as view/reshape."""

    def __init__(self, dim, num_heads, bias):
        super().__init__()
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Conv2d(dim, dim * 3, kernel_size=1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(dim * 3, dim * 3, kernel_size=3, stride=1, padding=1, groups=dim * 3, bias=bias)
        self.project_out = nn.Conv2d(dim, dim, kernel_size=1, bias=bias)

    def forward(self, x):
        b, c, h, w = x.shape
        qkv = self.qkv_dwconv(self.qkv(x))
        q, k, v = qkv.chunk(3, dim=1)
        q = q.reshape(b, self.num_heads, c // self.num_heads, h * w)
        k = k.reshape(b, self.num_heads, c // self.num_heads, h * w)
        v = v.reshape(b, self.num_heads, c // self.num_heads, h * w)
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        attn = (q @ k.transpose(-2, -1)) * self.temperature
        attn = attn.softmax(dim=-1)
        out = (attn @ v).reshape(b, c, h, w)
        return self.project_out(out)


def mdta(name, shape, heads, bias):
    m = Attention(shape[1], heads, bias).double()
    with torch.no_grad():
        m.temperature.uniform_(0.5, 3)
    x = torch.randn(*shape, dtype=torch.float64, requires_grad=True)
    return finish(name, dict(heads=heads, bias=bias), m, dict(x=x), m(x))


def main():
    gen = "scripts/golden/gen_nn_attention.py"
    seed(606)
    common.save("batchnorm2d", gen, [
        batchnorm("train", (3, 4, 3, 5), True),
        batchnorm("eval", (2, 3, 4, 3), False),
    ])
    common.save("mha", gen, [
        mha("self", 2, 5, 5, 8, 2, False),
        mha("cross_masked", 2, 3, 6, 6, 3, True),
    ])
    common.save("window_attention", gen, [
        window("exact", (2, 4, 6, 8), 2, 2),
        window("padded", (2, 5, 7, 6), 3, 3),
        window("clamped", (1, 3, 5, 4), 2, 4),
    ])
    common.save("mdta", gen, [
        mdta("no_bias", (2, 8, 5, 4), 2, False),
        mdta("bias", (1, 6, 3, 5), 3, True),
    ])


if __name__ == "__main__":
    main()
