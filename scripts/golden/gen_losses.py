"""Golden values for the task losses in engine/ops_loss.go.

Writes engine/testdata/golden/losses.json (see common.py for the layout).
attrs "op" names the loss; every case stores the inputs, the scalar "loss"
and "grad_x", the gradient of the loss in the prediction/logits "x" (plus
"grad_t" for the target where the Go loss differentiates it), in float64.

  cross_entropy   F.cross_entropy(x, labels, ignore_index=attrs ignore)
  depth_l1        F.l1_loss over the pixels with t > 0 (masked_select)
  masked_l1       sum(|x - t| * m) / (m broadcast to x).sum(), m given
  bce_logits      F.binary_cross_entropy_with_logits(x, t, pos_weight=pw)
  balanced_bce    MTL's balanced BCE, written out (see balanced_bce below)
  charbonnier     mean(sqrt((x - t)^2 + eps^2)), written out
  normals_l1      MTL's NormalsLoss(normalize=True), written out, valid =
                  target vector non-zero
"""
import torch
import torch.nn.functional as F

from common import case, save, seed


def balanced_bce(x, t, pw, valid):
    """MTL's BalancedCrossEntropyLoss(size_average=True), written out:
    y = [t >= 0.5]; w = pw, or the fraction of valid negatives if pw < 0;
    loss = (w * sum(v*y*-log s(x)) + (1-w) * sum(v*(1-y)*-log(1-s(x)))) / numel.
    """
    y = (t >= 0.5).double()
    v = torch.ones_like(x) if valid is None else valid.expand_as(x)
    lp = (v * y * -F.logsigmoid(x)).sum()
    ln = (v * (1 - y) * -F.logsigmoid(-x)).sum()
    # MTL's own expression for log s(x) / log(1 - s(x)) agrees:
    g = (x >= 0).double()
    lv = x * (y - g) - torch.log(1 + torch.exp(x - 2 * x * g))
    assert torch.allclose(-(y * lv).sum(), (y * -F.logsigmoid(x)).sum())
    assert torch.allclose(-((1 - y) * lv).sum(), ((1 - y) * -F.logsigmoid(-x)).sum())
    w = pw if pw >= 0 else (v * (1 - y)).sum() / v.sum().clamp(min=1)
    return (w * lp + (1 - w) * ln) / x.numel()


def normals_l1(x, t):
    """MTL's NormalsLoss(normalize=True, norm=1) with valid pixels where the
    target vector is non-zero: n = x / (||x||_2 + 1e-12) along dim 1, sum of
    |n - t| over valid elements divided by their number."""
    n = x / (torch.norm(x, p=2, dim=1, keepdim=True) + 1e-12)
    m = (t.abs().sum(1, keepdim=True) > 0).expand_as(x)
    return (n - t).abs()[m].sum() / max(int(m.sum()), 1)


def main():
    seed(2024)
    cases = []

    def add(name, op, attrs, x, loss, t=None, **extra):
        """Stores a case; t's gradient too when t requires grad."""
        loss.backward()
        ts = dict(x=x, loss=loss, grad_x=x.grad, **extra)
        if t is not None:
            ts["t"] = t
            if t.requires_grad:
                ts["grad_t"] = t.grad
        cases.append(case(name, dict(op=op, **attrs), **ts))

    # Cross-entropy, (N, K, H, W) with some ignored positions, and (N, K).
    x = (torch.randn(2, 5, 3, 4, dtype=torch.float64) * 2).requires_grad_()
    labels = torch.randint(0, 5, (2, 3, 4))
    labels[0, 0, :3] = 255
    labels[1, 2, 1] = 255
    add("cross_entropy_nkhw_ignore255", "cross_entropy", dict(ignore=255), x,
        F.cross_entropy(x, labels, ignore_index=255), labels=labels.double())
    x = torch.randn(6, 4, dtype=torch.float64).requires_grad_()
    labels = torch.tensor([0, 3, 1, 1, 2, 3])
    add("cross_entropy_nk", "cross_entropy", dict(ignore=-100), x,
        F.cross_entropy(x, labels), labels=labels.double())

    # Depth L1 with invalid (zero) pixels.
    x = torch.randn(2, 1, 4, 5, dtype=torch.float64).requires_grad_()
    t = torch.rand(2, 1, 4, 5, dtype=torch.float64) * 5
    t[t < 1.5] = 0
    m = t > 0
    add("depth_l1_zeros", "depth_l1", {}, x, F.l1_loss(x[m], t[m]), t=t)

    # Masked L1 with a per-pixel mask broadcast over 3 channels.
    x = torch.randn(2, 3, 3, 4, dtype=torch.float64).requires_grad_()
    t = torch.randn(2, 3, 3, 4, dtype=torch.float64).requires_grad_()
    mask = (torch.rand(2, 1, 3, 4, dtype=torch.float64) > 0.4).double()
    loss = ((x - t).abs() * mask).sum() / mask.expand_as(x).sum()
    add("masked_l1_broadcast", "masked_l1", {}, x, loss, t=t, mask=mask)

    # BCE with logits and pos_weight, soft targets (gradient in both).
    for pw in (1.0, 3.0):
        x = (torch.randn(2, 1, 4, 5, dtype=torch.float64) * 3).requires_grad_()
        t = torch.rand(2, 1, 4, 5, dtype=torch.float64).requires_grad_()
        loss = F.binary_cross_entropy_with_logits(x, t, pos_weight=torch.tensor(pw, dtype=torch.float64))
        add("bce_logits_pw%g" % pw, "bce_logits", dict(pos_weight=pw), x, loss, t=t)

    # Balanced BCE: fixed weight (edges), batch weight (saliency), with and
    # without a valid mask.
    for name, pw, masked in (("edge_pw0.95", 0.95, False), ("sal_batch", -1.0, False),
                             ("edge_pw0.95_valid", 0.95, True), ("sal_batch_valid", -1.0, True)):
        x = (torch.randn(2, 1, 5, 6, dtype=torch.float64) * 3).requires_grad_()
        t = torch.rand(2, 1, 5, 6, dtype=torch.float64) ** 2
        valid = (torch.rand(2, 1, 5, 6, dtype=torch.float64) > 0.25).double() if masked else None
        extra = dict(valid=valid) if masked else {}
        add("balanced_bce_" + name, "balanced_bce", dict(pos_weight=pw), x,
            balanced_bce(x, t, pw, valid), t=t, **extra)

    # Charbonnier, with a few exactly equal elements.
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64).requires_grad_()
    t = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    t.view(-1)[:7] = x.detach().view(-1)[:7]
    t = t.requires_grad_()
    eps = 1e-3
    add("charbonnier_eps1e-3", "charbonnier", dict(eps=eps), x,
        torch.sqrt((x - t) ** 2 + eps * eps).mean(), t=t)

    # Normals: unit target vectors with some zero (invalid) pixels.
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64).requires_grad_()
    t = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    t = t / t.norm(dim=1, keepdim=True)
    t[:, :, 0, :2] = 0
    t[1, :, 3, 4] = 0
    add("normals_l1_invalid", "normals_l1", {}, x, normals_l1(x, t), t=t)

    save("losses", "scripts/golden/gen_losses.py", cases)


if __name__ == "__main__":
    main()
