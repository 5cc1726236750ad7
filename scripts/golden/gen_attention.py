"""Golden values for engine.ScaledDotProductAttention.

Writes engine/testdata/golden/attention.json (see common.py for the layout).
PyTorch 1.13 has no scaled_dot_product_attention, so attention is written
out by hand in float64: out = softmax(q @ k^T * scale + bias, -1) @ v, with
scale = attrs "scale" (attrs "scale_arg" is what the Go call passes: 0 means
the default 1/sqrt(D)). "bias" is present only when used; "mask" (same
shape, 1 = masked; absent when nothing is masked) marks entries of bias that are -inf, stored as 0 because
JSON has no infinities (no query row is fully masked: PyTorch would give
NaN there). Expected: "out" and the gradients "grad_q", "grad_k", "grad_v",
"grad_bias" of sum(out * r) for the stored random "r".
"""
import math

import torch

from common import case, save, seed


def run(name, q_shape, lk, dv, bias_shape=None, scale=None, mask_frac=0.0):
    d = q_shape[-1]
    lead, lq = q_shape[:-2], q_shape[-2]
    q = torch.randn(*q_shape, dtype=torch.float64)
    k = torch.randn(*lead, lk, d, dtype=torch.float64)
    v = torch.randn(*lead, lk, dv, dtype=torch.float64)
    tensors = dict(q=q, k=k, v=v)
    qq, kk, vv = (t.clone().requires_grad_(True) for t in (q, k, v))
    s = scale if scale is not None else 1 / math.sqrt(d)
    scores = qq @ kk.transpose(-1, -2) * s
    bb = None
    if bias_shape is not None:
        bias = torch.randn(*bias_shape, dtype=torch.float64)
        mask = torch.rand(*bias_shape) < mask_frac
        mask[..., 0] = False  # keep one key per row: no fully masked rows
        bias = bias.masked_fill(mask, 0.0)
        tensors["bias"] = bias
        if mask.any():
            tensors["mask"] = mask.to(torch.float64)
        bb = bias.masked_fill(mask, float("-inf")).requires_grad_(True)
        scores = scores + bb
    out = torch.softmax(scores, -1) @ vv
    r = torch.randn_like(out)
    (out * r).sum().backward()
    tensors.update(out=out, r=r, grad_q=qq.grad, grad_k=kk.grad, grad_v=vv.grad)
    if bb is not None:
        tensors["grad_bias"] = bb.grad
    attrs = dict(scale=s, scale_arg=scale if scale is not None else 0.0)
    return case(name, attrs, **tensors)


def main():
    seed(404)
    cases = [
        run("plain", (2, 3, 4), 5, 3),
        run("heads_full_bias", (2, 2, 3, 4), 5, 2, bias_shape=(2, 2, 3, 5), scale=0.3),
        run("heads_head_bias", (2, 3, 2, 3), 4, 2, bias_shape=(3, 2, 4)),
        run("shared_mask", (2, 2, 4, 3), 5, 2, bias_shape=(4, 5), mask_frac=0.4),
        run("key_padding", (2, 2, 3, 2), 5, 3, bias_shape=(2, 1, 1, 5), scale=0.7, mask_frac=0.5),
    ]
    save("attention", "scripts/golden/gen_attention.py", cases)


if __name__ == "__main__":
    main()
