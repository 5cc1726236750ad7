"""Golden values for allnet/engine/optim: AdamW, SGD, clip_grad_norm_ and LR schedules.

Writes engine/testdata/golden/optim.json (see common.py for the layout).
Every case runs PyTorch's own implementation in float64 on fixed inputs:

- adamw*: torch.optim.AdamW on two parameters, "a" (3, 4) with weight decay and
  "b" (5,) in a no-decay param group, for STEPS steps. The gradients of every
  step are given ("grad_a", "grad_b": (STEPS, ...)); attrs "skip_b" lists the
  steps at which b.grad is None (torch then leaves b and its state alone), and
  "lr" (STEPS,) is the learning rate set before each step. Expected: "a", "b"
  (STEPS, ...) after each step, and the final "exp_avg_a", "exp_avg_sq_a",
  "exp_avg_b", "exp_avg_sq_b".
- sgd*: torch.optim.SGD the same way; expected "momentum_buffer_a/b" when
  momentum is non-zero.
- clip*: torch.nn.utils.clip_grad_norm_ on three gradients; expected the
  returned "total_norm" and the clipped "out_g0".."out_g2".
- poly / cosine: the learning rate used by each update (step 0, 1, ...) under
  LinearLR warm-up (start_factor = warmup_ratio) chained by SequentialLR with
  PolynomialLR(total_iters=total-warmup, power) or
  CosineAnnealingLR(T_max=total-warmup, eta_min=min_lr); "lrs" holds the lr of
  steps 0..total+2 (poly, past the end) or 0..total (cosine, whose torch form
  rises again after T_max while ours stays at min_lr).
"""
import warnings

import torch

from common import case, save, seed

STEPS = 5


def run_opt(kind, opts, skip_b=(), lrs=None, decay_a=0.0):
    """Runs one optimiser on fixed parameters and gradients."""
    a0 = torch.randn(3, 4, dtype=torch.float64)
    b0 = torch.randn(5, dtype=torch.float64)
    ga = torch.randn(STEPS, 3, 4, dtype=torch.float64)
    gb = torch.randn(STEPS, 5, dtype=torch.float64)
    if lrs is None:
        lrs = [opts["lr"]] * STEPS
    a = a0.clone().requires_grad_(True)
    b = b0.clone().requires_grad_(True)
    groups = [{"params": [a], "weight_decay": decay_a}, {"params": [b], "weight_decay": 0.0}]
    opt = kind(groups, **opts)
    out_a, out_b = [], []
    for s in range(STEPS):
        for g in opt.param_groups:
            g["lr"] = lrs[s]
        a.grad = ga[s].clone()
        b.grad = None if s in skip_b else gb[s].clone()
        opt.step()
        out_a.append(a.detach().clone())
        out_b.append(b.detach().clone())
    tensors = dict(a0=a0, b0=b0, grad_a=ga, grad_b=gb, lr=torch.tensor(lrs, dtype=torch.float64),
                   a=torch.stack(out_a), b=torch.stack(out_b))
    for key in ("exp_avg", "exp_avg_sq", "momentum_buffer"):
        if key in opt.state[a] and opt.state[a][key] is not None:
            tensors[key + "_a"] = opt.state[a][key]
            tensors[key + "_b"] = opt.state[b][key]
    return tensors


def adamw_cases():
    out = []
    seed(1)
    t = run_opt(torch.optim.AdamW, dict(lr=1e-2), decay_a=0.05)
    out.append(case("adamw", dict(beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.05, skip_b=[]), **t))
    seed(2)
    t = run_opt(torch.optim.AdamW, dict(lr=3e-2, betas=(0.8, 0.95), eps=1e-6), skip_b=[1, 2],
                lrs=[3e-2, 2e-2, 1e-2, 5e-3, 1e-3], decay_a=0.1)
    out.append(case("adamw_skip_lr", dict(beta1=0.8, beta2=0.95, eps=1e-6, weight_decay=0.1, skip_b=[1, 2]), **t))
    return out


def sgd_cases():
    out = []
    for i, (name, mom, damp, nest, wd) in enumerate([
            ("sgd_momentum", 0.9, 0.0, False, 0.01),
            ("sgd_nesterov", 0.9, 0.0, True, 0.01),
            ("sgd_dampening", 0.9, 0.25, False, 0.0),
            ("sgd_plain", 0.0, 0.0, False, 0.05)]):
        seed(10 + i)
        t = run_opt(torch.optim.SGD, dict(lr=0.1, momentum=mom, dampening=damp, nesterov=nest), skip_b=[3], decay_a=wd)
        attrs = dict(momentum=mom, dampening=damp, nesterov=nest, weight_decay=wd, skip_b=[3])
        out.append(case(name, attrs, **t))
    return out


def clip_cases():
    out = []
    for name, max_norm, scale in [("clip_active", 1.0, 1.0), ("clip_inactive", 100.0, 1.0)]:
        seed(20)
        gs = [torch.randn(s, dtype=torch.float64) * scale for s in [(2, 3), (4,), (3, 1, 2)]]
        ps = [torch.zeros_like(g, requires_grad=True) for g in gs]
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        norm = torch.nn.utils.clip_grad_norm_(ps, max_norm)
        tensors = {f"g{i}": g for i, g in enumerate(gs)}
        tensors.update({f"out_g{i}": p.grad for i, p in enumerate(ps)})
        tensors["total_norm"] = norm.reshape(())
        out.append(case(name, dict(max_norm=max_norm), **tensors))
    return out


def schedule(name, base, total, warmup, ratio, tail, attrs, steps):
    """Records the lr of each update under LinearLR warm-up then `tail`."""
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=base)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=ratio, end_factor=1.0, total_iters=warmup)
    sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, tail(opt)], milestones=[warmup])
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    attrs = dict(attrs, base=base, total=total, warmup=warmup, warmup_ratio=ratio)
    return case(name, attrs, lrs=torch.tensor(lrs, dtype=torch.float64))


def schedule_cases():
    base, total, warmup, ratio = 6e-5, 20, 4, 1e-6
    poly = schedule("poly", base, total, warmup, ratio,
                    lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=total - warmup, power=0.9),
                    dict(power=0.9, min_lr=0.0), total + 3)
    cosine = schedule("cosine", base, total, warmup, ratio,
                      lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total - warmup, eta_min=1e-6),
                      dict(min_lr=1e-6), total + 1)
    return [poly, cosine]


def main():
    warnings.simplefilter("ignore")  # SequentialLR's deprecation chatter
    save("optim", "scripts/golden/gen_optim.py", adamw_cases() + sgd_cases() + clip_cases() + schedule_cases())


if __name__ == "__main__":
    main()
