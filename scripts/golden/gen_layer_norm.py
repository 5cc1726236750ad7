"""Golden values for engine.LayerNorm and engine.LayerNormChannels.

Writes engine/testdata/golden/layer_norm.json (see common.py for the layout).
Each case runs torch.nn.functional.layer_norm in float64 over the last axis
of "x" with attrs "eps"; "gamma" and "beta" are present only when used. With
attrs "channels_first" the input is (N, C, H, W) and is normalised over C
(permute to channels-last, layer_norm, permute back: InternImage's
channels_first LayerNorm). Expected: "out" and the gradients "grad_x",
"grad_gamma", "grad_beta" of sum(out * r) for the stored random "r".
"""
import torch
import torch.nn.functional as F

from common import case, save, seed


def run(name, shape, eps, weight=True, bias=True, channels_first=False):
    x = torch.randn(*shape, dtype=torch.float64) * 1.5 + 0.3
    c = shape[1] if channels_first else shape[-1]
    tensors = dict(x=x)
    xx = x.clone().requires_grad_(True)
    g = b = None
    if weight:
        g0 = 1 + 0.5 * torch.randn(c, dtype=torch.float64)
        tensors["gamma"] = g0
        g = g0.clone().requires_grad_(True)
    if bias:
        b0 = 0.5 * torch.randn(c, dtype=torch.float64)
        tensors["beta"] = b0
        b = b0.clone().requires_grad_(True)
    if channels_first:
        out = F.layer_norm(xx.permute(0, 2, 3, 1), (c,), g, b, eps).permute(0, 3, 1, 2)
    else:
        out = F.layer_norm(xx, (c,), g, b, eps)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    tensors.update(out=out, r=r, grad_x=xx.grad)
    if weight:
        tensors["grad_gamma"] = g.grad
    if bias:
        tensors["grad_beta"] = b.grad
    return case(name, dict(eps=eps, channels_first=channels_first), **tensors)


def main():
    seed(202)
    cases = [
        run("affine_eps1e-6", (2, 3, 6), 1e-6),
        run("plain_eps1e-5", (3, 7), 1e-5, weight=False, bias=False),
        run("weight_only", (3, 5), 1e-5, bias=False),
        run("bias_only", (3, 5), 1e-5, weight=False),
        run("channels_first_eps1e-6", (2, 4, 2, 3), 1e-6, channels_first=True),
    ]
    save("layer_norm", "scripts/golden/gen_layer_norm.py", cases)


if __name__ == "__main__":
    main()
