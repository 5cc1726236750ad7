"""Golden values for engine.Softmax and engine.LogSoftmax.

Writes engine/testdata/golden/softmax.json (see common.py for the layout).
Each case runs torch.softmax or torch.log_softmax in float64 on "x" along
attrs "axis" (attrs "log" picks log_softmax) and stores the output "out" and
"grad_x", the gradient of sum(out * r) for the stored random "r".
"""
import torch

from common import case, save, seed


def main():
    seed(101)
    x = torch.randn(2, 3, 4, dtype=torch.float64) * 2
    cases = []
    for axis in (0, 1, -1):
        for log in (False, True):
            xx = x.clone().requires_grad_(True)
            out = torch.log_softmax(xx, axis) if log else torch.softmax(xx, axis)
            r = torch.randn_like(out)
            (out * r).sum().backward()
            name = ("log_softmax" if log else "softmax") + "_axis%d" % axis
            cases.append(case(name, dict(axis=axis, log=log), x=x, out=out, r=r, grad_x=xx.grad))
    save("softmax", "scripts/golden/gen_softmax.py", cases)


if __name__ == "__main__":
    main()
