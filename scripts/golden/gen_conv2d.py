"""Golden values for engine.Conv2d.

Writes engine/testdata/golden/conv2d.json (see common.py for the layout).
Each case runs torch.nn.functional.conv2d in float64 on "x" with weight "w"
and bias "b" (absent for no bias), attrs sh, sw (stride), ph, pw (padding),
dh, dw (dilation) and groups, and stores the output "out" and the gradients
"grad_x", "grad_w", "grad_b" of sum(out * r) for the stored random "r".
"""
import torch
import torch.nn.functional as F

from common import case, save, seed


def q(t):
    """Rounds to 3 decimals (short in JSON, exact in float64 either side)."""
    return (torch.round(t * 1000) / 1000).detach()

CASES = [
    # name, x shape, w shape, bias, stride, padding, dilation, groups
    ("stride2_pad1", (2, 2, 5, 4), (3, 2, 3, 3), True, (2, 2), (1, 1), (1, 1), 1),
    ("dilation2", (1, 2, 6, 5), (2, 2, 3, 3), True, (1, 1), (2, 1), (2, 2), 1),
    ("groups2", (1, 4, 4, 5), (4, 2, 3, 3), True, (1, 1), (1, 1), (1, 1), 2),
    ("depthwise3x3_bias", (2, 3, 4, 4), (3, 1, 3, 3), True, (1, 1), (1, 1), (1, 1), 3),
    ("pointwise1x1", (2, 3, 3, 4), (2, 3, 1, 1), True, (1, 1), (0, 0), (1, 1), 1),
    ("nonsquare_nobias", (1, 2, 6, 5), (2, 2, 2, 3), False, (2, 1), (1, 0), (1, 1), 1),
]


def main():
    seed(202)
    cases = []
    for name, xs, ws, bias, stride, pad, dil, groups in CASES:
        x = q(torch.randn(*xs, dtype=torch.float64)).requires_grad_(True)
        w = q(torch.randn(*ws, dtype=torch.float64)).requires_grad_(True)
        b = q(torch.randn(ws[0], dtype=torch.float64)).requires_grad_(True) if bias else None
        out = F.conv2d(x, w, b, stride=stride, padding=pad, dilation=dil, groups=groups)
        r = q(torch.randn_like(out))
        (out * r).sum().backward()
        attrs = dict(sh=stride[0], sw=stride[1], ph=pad[0], pw=pad[1], dh=dil[0], dw=dil[1], groups=groups)
        tensors = dict(x=x, w=w, out=out, r=r, grad_x=x.grad, grad_w=w.grad)
        if bias:
            tensors.update(b=b, grad_b=b.grad)
        cases.append(case(name, attrs, **tensors))
    save("conv2d", "scripts/golden/gen_conv2d.py", cases)


if __name__ == "__main__":
    main()
