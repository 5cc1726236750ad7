"""Golden values for engine.BatchNorm.

Writes engine/testdata/golden/batch_norm.json (see common.py for the layout).
Each case runs torch.nn.functional.batch_norm in float64 on "x" (N, C, ...)
with attrs "training", "momentum", "eps", the affine "gamma"/"beta" (present
only when used) and the running statistics "running_mean"/"running_var"
(before the call). Expected: "out", the gradients "grad_x", "grad_gamma",
"grad_beta" of sum(out * r) for the stored random "r", and the running
statistics after the call, "running_mean_after"/"running_var_after".
"""
import torch
import torch.nn.functional as F

from common import case, save, seed


def run(name, shape, training, momentum, eps, affine=True):
    c = shape[1]
    x = torch.randn(*shape, dtype=torch.float64) * 2 + 0.7
    rm = 0.2 * torch.randn(c, dtype=torch.float64)
    rv = 1 + 0.3 * torch.rand(c, dtype=torch.float64)
    tensors = dict(x=x, running_mean=rm.clone(), running_var=rv.clone())
    xx = x.clone().requires_grad_(True)
    g = b = None
    if affine:
        tensors["gamma"] = 1 + 0.5 * torch.randn(c, dtype=torch.float64)
        tensors["beta"] = 0.5 * torch.randn(c, dtype=torch.float64)
        g = tensors["gamma"].clone().requires_grad_(True)
        b = tensors["beta"].clone().requires_grad_(True)
    out = F.batch_norm(xx, rm, rv, g, b, training, momentum, eps)
    r = torch.randn_like(out)
    (out * r).sum().backward()
    tensors.update(out=out, r=r, grad_x=xx.grad, running_mean_after=rm, running_var_after=rv)
    if affine:
        tensors.update(grad_gamma=g.grad, grad_beta=b.grad)
    return case(name, dict(training=training, momentum=momentum, eps=eps), **tensors)


def main():
    seed(303)
    cases = [
        run("train_4d", (3, 3, 2, 2), True, 0.1, 1e-5),
        run("train_2d_plain", (6, 5), True, 0.3, 1e-3, affine=False),
        run("eval_4d", (2, 3, 2, 2), False, 0.1, 1e-5),
    ]
    save("batch_norm", "scripts/golden/gen_batch_norm.py", cases)


if __name__ == "__main__":
    main()
