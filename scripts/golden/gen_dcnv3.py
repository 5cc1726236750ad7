"""Golden values for allnet's engine.DCNv3Core (InternImage's DCNv3 core).

Writes engine/testdata/golden/dcnv3.json (see common.py for the layout).
The core is computed here the way InternImage's pure-PyTorch reference
(dcnv3_core_pytorch) formulates it, in float64, so that the Go kernels are
checked against torch's own bilinear sampler rather than against a second
hand-written one:

- pad value (N, H, W, C) with zeros, to (N, Hp, Wp, C);
- reference points: the centre tap of output pixel (oh, ow) at padded pixel
  centre (cx + 0.5 + ow*stride, cy + 0.5 + oh*stride), as linspace over the
  outputs, normalised to [0, 1] by the padded size;
- dilation grid: taps (i*dil - cx, j*dil - cy) from meshgrid over (kernel x,
  kernel y) in that order, so that point p = i*KH + j, normalised likewise;
- location = ref + (taps + offset) * offset_scale / (Wp, Hp), mapped to
  [-1, 1] and sampled with F.grid_sample(mode='bilinear',
  padding_mode='zeros', align_corners=False), which reads zeros outside the
  padded image (and the padding itself is zeros);
- out = sum over the points of mask * sample.

Each case stores the inputs "value", "offset", "mask", a random "r", the
output "out" and the gradients "grad_value", "grad_offset", "grad_mask" of
sum(out * r). Attrs: kernel_h, kernel_w, stride, pad, dilation, groups,
offset_scale. Offsets are N(0, 1.5) (N(0, 3) where offset_scale is 0.5) so
that some points fall partly or wholly outside the image; mask is a softmax over each group's points of random
logits. To keep the file small, inputs are rounded to a few decimals before
use (so they are exact in the file; the rounded mask sums to 1 only to about
1e-6, which the core does not care about) and results to 12 significant
digits.
"""
import torch
import torch.nn.functional as F

from common import case, save, seed

F64 = torch.float64


def dcnv3_core(value, offset, mask, kh, kw, stride, pad, dil, groups, scale):
    """The DCNv3 core via grid_sample; value (N, H, W, G*D) channels-last."""
    n, h, w, c = value.shape
    d = c // groups
    npts = kh * kw
    hp, wp = h + 2 * pad, w + 2 * pad
    oh = (hp - (dil * (kh - 1) + 1)) // stride + 1
    ow = (wp - (dil * (kw - 1) + 1)) // stride + 1
    cy, cx = dil * (kh - 1) // 2, dil * (kw - 1) // 2
    assert offset.shape == (n, oh, ow, groups * npts * 2), offset.shape
    assert mask.shape == (n, oh, ow, groups * npts), mask.shape

    # F.pad lists (before, after) pairs from the last dimension: C, W, H.
    padded = F.pad(value, (0, 0, pad, pad, pad, pad))

    # Centre tap of every output pixel, normalised by the padded size.
    ys = torch.linspace(cy + 0.5, cy + 0.5 + (oh - 1) * stride, oh, dtype=F64) / hp
    xs = torch.linspace(cx + 0.5, cx + 0.5 + (ow - 1) * stride, ow, dtype=F64) / wp
    ref_y, ref_x = torch.meshgrid(ys, xs, indexing="ij")
    ref = torch.stack((ref_x, ref_y), -1).reshape(1, oh, ow, 1, 1, 2)

    # Taps relative to the centre; meshgrid over (x, y) makes p = i*kh + j.
    tx = torch.linspace(-cx, -cx + (kw - 1) * dil, kw, dtype=F64) / wp
    ty = torch.linspace(-cy, -cy + (kh - 1) * dil, kh, dtype=F64) / hp
    gx, gy = torch.meshgrid(tx, ty, indexing="ij")  # (kw, kh)
    taps = torch.stack((gx, gy), -1).reshape(1, 1, 1, 1, npts, 2)

    norm = torch.tensor([wp, hp], dtype=F64)
    off = offset.reshape(n, oh, ow, groups, npts, 2)
    loc = ref + taps * scale + off * scale / norm  # (n, oh, ow, G, P, 2) in [0, 1]
    grid = (2 * loc - 1).permute(0, 3, 1, 2, 4, 5).reshape(n * groups, oh * ow, npts, 2)

    planes = padded.reshape(n, hp, wp, groups, d).permute(0, 3, 4, 1, 2).reshape(n * groups, d, hp, wp)
    sampled = F.grid_sample(planes, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # sampled: (n*G, D, oh*ow, P)
    m = mask.reshape(n, oh * ow, groups, npts).permute(0, 2, 1, 3).reshape(n * groups, 1, oh * ow, npts)
    out = (sampled * m).sum(-1)  # (n*G, D, oh*ow)
    return out.reshape(n, groups, d, oh, ow).permute(0, 3, 4, 1, 2).reshape(n, oh, ow, c)


def rounded(t, decimals):
    """t rounded to a number of decimals, so that the file holds it exactly."""
    return torch.tensor([round(v, decimals) for v in t.reshape(-1).tolist()], dtype=F64).reshape(t.shape)


def short(t):
    """t rounded to 12 significant digits (a float64 tolerance of 1e-10 holds)."""
    return torch.tensor([float("%.12g" % v) for v in t.reshape(-1).tolist()], dtype=F64).reshape(t.shape)


def make_case(name, n, h, w, groups, d, kh, kw, stride, pad, dil, scale, off_std=1.5):
    npts = kh * kw
    oh = (h + 2 * pad - (dil * (kh - 1) + 1)) // stride + 1
    ow = (w + 2 * pad - (dil * (kw - 1) + 1)) // stride + 1
    value = rounded(torch.randn(n, h, w, groups * d, dtype=F64), 4)
    offset = rounded(off_std * torch.randn(n, oh, ow, groups * npts * 2, dtype=F64), 4)
    logits = torch.randn(n, oh, ow, groups, npts, dtype=F64)
    mask = rounded(torch.softmax(logits, -1).reshape(n, oh, ow, groups * npts), 6)
    r = rounded(torch.randn(n, oh, ow, groups * d, dtype=F64), 4)

    v, o, m = (t.clone().requires_grad_(True) for t in (value, offset, mask))
    out = dcnv3_core(v, o, m, kh, kw, stride, pad, dil, groups, scale)
    (out * r).sum().backward()
    attrs = dict(kernel_h=kh, kernel_w=kw, stride=stride, pad=pad, dilation=dil, groups=groups, offset_scale=scale)
    return case(name, attrs, value=value, offset=offset, mask=mask, r=r, out=short(out),
                grad_value=short(v.grad), grad_offset=short(o.grad), grad_mask=short(m.grad))


def main():
    cases = []
    seed(31)
    # InternImage's block (3x3, stride 1, pad 1), scaled down.
    cases.append(make_case("3x3s1p1", n=2, h=4, w=5, groups=2, d=4, kh=3, kw=3, stride=1, pad=1, dil=1, scale=1.0))
    seed(32)
    cases.append(make_case("3x3s2p0d2", n=2, h=7, w=7, groups=3, d=2, kh=3, kw=3, stride=2, pad=0, dil=2, scale=0.5,
                            off_std=3.0))
    seed(33)
    # A non-square kernel pins p = i*KH + j (not i*KW + j).
    cases.append(make_case("2x3s1p1", n=1, h=4, w=5, groups=1, d=3, kh=2, kw=3, stride=1, pad=1, dil=1, scale=1.0))
    save("dcnv3", "scripts/golden/gen_dcnv3.py", cases)


if __name__ == "__main__":
    main()
