"""Golden values for engine.Resize, engine.AdaptiveAvgPool2d and
engine.AvgPool2d.

Writes engine/testdata/golden/resize.json (see common.py for the layout).
attrs "op" names the function: "resize" is F.interpolate(x, size=(oh, ow),
mode="bilinear", align_corners=False), "adaptive_avg_pool" is
F.adaptive_avg_pool2d(x, (oh, ow)), "avg_pool" is F.avg_pool2d(x, (kh, kw),
(sh, sw), (ph, pw)) with count_include_pad=True. Each case stores "x", the
output "out" and "grad_x", the gradient of sum(out * r) for the stored
random "r", all in float64.
"""
import torch
import torch.nn.functional as F

from common import case, save, seed


def q(t):
    """Rounds to 3 decimals (short in JSON, exact in float64 either side)."""
    return (torch.round(t * 1000) / 1000).detach()

CASES = [
    ("resize_up2", "resize", (1, 2, 3, 4), dict(oh=6, ow=8)),
    ("resize_down_13x11_to_5x7", "resize", (1, 1, 13, 11), dict(oh=5, ow=7)),
    ("resize_up_5x7_to_12x9", "resize", (1, 1, 5, 7), dict(oh=12, ow=9)),
    ("adaptive_7x7_to_3x3", "adaptive_avg_pool", (1, 2, 7, 7), dict(oh=3, ow=3)),
    ("adaptive_5x4_to_3x3", "adaptive_avg_pool", (2, 1, 5, 4), dict(oh=3, ow=3)),
    ("adaptive_global", "adaptive_avg_pool", (2, 2, 3, 3), dict(oh=1, ow=1)),
    ("avg_pool_k3_s2_p1", "avg_pool", (1, 1, 7, 6), dict(kh=3, kw=3, sh=2, sw=2, ph=1, pw=1)),
    ("avg_pool_k2x3_s1x2", "avg_pool", (1, 1, 5, 8), dict(kh=2, kw=3, sh=1, sw=2, ph=0, pw=1)),
]


def run(op, x, a):
    if op == "resize":
        return F.interpolate(x, size=(a["oh"], a["ow"]), mode="bilinear", align_corners=False)
    if op == "adaptive_avg_pool":
        return F.adaptive_avg_pool2d(x, (a["oh"], a["ow"]))
    return F.avg_pool2d(x, (a["kh"], a["kw"]), (a["sh"], a["sw"]), (a["ph"], a["pw"]), count_include_pad=True)


def main():
    seed(303)
    cases = []
    for name, op, shape, attrs in CASES:
        x = q(torch.randn(*shape, dtype=torch.float64)).requires_grad_(True)
        out = run(op, x, attrs)
        r = q(torch.randn_like(out))
        (out * r).sum().backward()
        cases.append(case(name, dict(op=op, **attrs), x=x, out=out, r=r, grad_x=x.grad))
    save("resize", "scripts/golden/gen_resize.py", cases)


if __name__ == "__main__":
    main()
