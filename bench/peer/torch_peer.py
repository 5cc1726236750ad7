"""PyTorch peer of `allnet-cli bench`: the same rows, timed the same way.

Reads the row list that `allnet-cli bench --list --json` prints (so both
sides time the same shapes under the same names), runs each row on the CPU
with PyTorch and writes a result file that `allnet-cli bench --compare`
reads:

    allnet-cli bench --list --json > rows.json
    python torch_peer.py --spec rows.json --out torch.json --threads 2 \\
        --internimage /tmp/ii/classification

Works with the current PyTorch from PyPI (`pip install torch numpy`) and with
Debian's python3-torch 1.13 (/usr/bin/python3). bench/peer/run.sh runs both.

How each kind is computed (float32, CPU):

- gemm: torch.matmul; linear: F.linear without bias.
- conv: F.conv2d (groups for the depthwise rows), padding kh//2, no bias.
- dcnv3: the DCNv3 core in the grid_sample formulation of InternImage's
  dcnv3_core_pytorch (the same steps as scripts/golden/gen_dcnv3.py, in
  float32): pad, reference points and kernel taps, one F.grid_sample over
  all points, multiply by the mask and sum over the points.
- attention: F.scaled_dot_product_attention where it exists (PyTorch >= 2.0),
  else written out: softmax(q k^T / sqrt(d)) v (recorded in build.attention).
- psf: one depthwise F.conv2d over the batch folded into channels, each
  image's kernel flipped (a true convolution, as the engine's PSFConv).
- layernorm: F.layer_norm with weight and bias, eps 1e-6; softmax:
  torch.softmax over the last axis.
- internimage: the official InternImage (OpenGVLab/InternImage,
  classification/models/intern_image.py) with core_op "DCNv3_pytorch" (its
  pure-PyTorch DCNv3, no compiled extension), drop_path_rate 0, eval mode,
  random initialisation; forward_features_seq_out gives the four levels.
  fwd+bwd back-propagates the sum of all four level outputs to every
  parameter. The official code is not part of this repository: pass the
  classification/ folder of a checkout with --internimage (or the
  INTERNIMAGE_CLASSIFICATION environment variable); bench/README.md says how
  to get it. Without it the internimage rows are reported as not run.

fwd rows run under torch.no_grad(); fwd+bwd rows back-propagate a fixed
random output gradient to the inputs (gradients reset to None before each
call). Each row is called once (twice when that took under 0.2 s) to warm
up, then --repeat times (default: as many as fit in --budget seconds, 3 to
50); the file records the median and the fastest.
"""
import argparse
import contextlib
import json
import math
import os
import platform
import re
import sys
import time
import types
import warnings

import torch
import torch.nn.functional as F


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def step(bwd, fn, dy, leaves):
    """Returns the timed call: fn under no_grad, or fn then backward(dy)."""
    if not bwd:
        def call():
            with torch.no_grad():
                fn()
        return call
    for t in leaves:
        t.requires_grad_(True)

    def call():
        for t in leaves:
            t.grad = None
        fn().backward(dy)
    return call


def dcnv3_core(value, offset, mask, kh, kw, stride, pad, dil, groups, scale):
    """The DCNv3 core via grid_sample; value (N, H, W, G*D) channels-last."""
    n, h, w, c = value.shape
    d = c // groups
    npts = kh * kw
    hp, wp = h + 2 * pad, w + 2 * pad
    oh = (hp - (dil * (kh - 1) + 1)) // stride + 1
    ow = (wp - (dil * (kw - 1) + 1)) // stride + 1
    cy, cx = dil * (kh - 1) // 2, dil * (kw - 1) // 2
    dt = value.dtype
    padded = F.pad(value, (0, 0, pad, pad, pad, pad))
    dev = value.device
    ys = torch.linspace(cy + 0.5, cy + 0.5 + (oh - 1) * stride, oh, dtype=dt, device=dev) / hp
    xs = torch.linspace(cx + 0.5, cx + 0.5 + (ow - 1) * stride, ow, dtype=dt, device=dev) / wp
    ref_y, ref_x = torch.meshgrid(ys, xs, indexing="ij")
    ref = torch.stack((ref_x, ref_y), -1).reshape(1, oh, ow, 1, 1, 2)
    tx = torch.linspace(-cx, -cx + (kw - 1) * dil, kw, dtype=dt, device=dev) / wp
    ty = torch.linspace(-cy, -cy + (kh - 1) * dil, kh, dtype=dt, device=dev) / hp
    gx, gy = torch.meshgrid(tx, ty, indexing="ij")
    taps = torch.stack((gx, gy), -1).reshape(1, 1, 1, 1, npts, 2)
    norm = torch.tensor([wp, hp], dtype=dt, device=dev)
    off = offset.reshape(n, oh, ow, groups, npts, 2)
    loc = ref + taps * scale + off * scale / norm
    grid = (2 * loc - 1).permute(0, 3, 1, 2, 4, 5).reshape(n * groups, oh * ow, npts, 2)
    planes = padded.reshape(n, hp, wp, groups, d).permute(0, 3, 4, 1, 2).reshape(n * groups, d, hp, wp)
    sampled = F.grid_sample(planes, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    m = mask.reshape(n, oh * ow, groups, npts).permute(0, 2, 1, 3).reshape(n * groups, 1, oh * ow, npts)
    out = (sampled * m).sum(-1)
    return out.reshape(n, groups, d, oh, ow).permute(0, 3, 4, 1, 2).reshape(n, oh, ow, c)


def attention(q, k, v):
    if hasattr(F, "scaled_dot_product_attention"):
        return F.scaled_dot_product_attention(q, k, v)
    s = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    return torch.matmul(torch.softmax(s, -1), v)


def stub_official_imports():
    """The official model imports timm (DropPath, trunc_normal_), the compiled
    DCNv3 extension and pkg_resources; none is needed with core_op
    DCNv3_pytorch and drop_path_rate 0, so they are stubbed (as
    scripts/golden/gen_internimage.py does)."""
    timm = types.ModuleType("timm")
    timm_models = types.ModuleType("timm.models")
    timm_layers = types.ModuleType("timm.models.layers")

    class DropPath(torch.nn.Module):
        def __init__(self, p=0.0):
            super().__init__()

        def forward(self, x):
            return x

    timm_layers.DropPath = DropPath
    timm_layers.trunc_normal_ = torch.nn.init.trunc_normal_
    timm.models, timm_models.layers = timm_models, timm_layers
    sys.modules.update({"timm": timm, "timm.models": timm_models, "timm.models.layers": timm_layers})
    sys.modules["DCNv3"] = types.ModuleType("DCNv3")
    pkg = types.ModuleType("pkg_resources")
    pkg.get_distribution = lambda name: types.SimpleNamespace(version="1.0")
    sys.modules["pkg_resources"] = pkg
    amp = torch.cuda.amp
    if not hasattr(amp, "custom_fwd"):
        amp.custom_fwd = lambda fn=None, **kw: fn if fn is not None else (lambda f: f)
        amp.custom_bwd = lambda fn: fn


_official = {}


def official_internimage(path):
    if "module" not in _official:
        if not path:
            raise RuntimeError("skipped: no official InternImage code (pass --internimage PATH/classification "
                               "or set INTERNIMAGE_CLASSIFICATION; see bench/README.md)")
        if not os.path.isfile(os.path.join(path, "models", "intern_image.py")):
            raise RuntimeError("skipped: %s has no models/intern_image.py (want InternImage's classification/ folder)" % path)
        stub_official_imports()
        sys.path.insert(0, path)
        from models import intern_image  # noqa: E402
        _official["module"] = intern_image
    return _official["module"]


def build_call(row, args):
    kind, p, bwd = row["kind"], row.get("params", {}), row["pass"] == "fwd+bwd"
    g = torch.Generator().manual_seed(0x5EED)

    def randn(std, *shape):
        return (torch.randn(*shape, generator=g) * std).to(args.device)

    if kind == "gemm":
        a, b = randn(1, p["m"], p["k"]), randn(1, p["k"], p["n"])
        return step(bwd, lambda: torch.matmul(a, b), None, [])
    if kind == "linear":
        x, w = randn(1, p["m"], p["k"]), randn(0.1, p["n"], p["k"])
        return step(bwd, lambda: F.linear(x, w), None, [])
    if kind == "conv":
        groups = p.get("groups", 1)
        x = randn(1, p["batch"], p["c"], p["h"], p["w"])
        w = randn(0.1, p["cout"], p["c"] // groups, p["kh"], p["kw"])
        dy = randn(1, p["batch"], p["cout"], p["h"], p["w"])
        pad = (p["kh"] // 2, p["kw"] // 2)
        return step(bwd, lambda: F.conv2d(x, w, padding=pad, groups=groups), dy, [x, w])
    if kind == "dcnv3":
        n, h, w, c, grp, kh, kw = p["batch"], p["h"], p["w"], p["c"], p["g"], p["kh"], p["kw"]
        pts = kh * kw
        value, offset = randn(1, n, h, w, c), randn(1.5, n, h, w, grp * pts * 2)
        mask = torch.softmax(randn(1, n, h, w, grp, pts), -1).reshape(n, h, w, grp * pts)
        dy = randn(1, n, h, w, c)
        return step(bwd, lambda: dcnv3_core(value, offset, mask, kh, kw, 1, 1, 1, grp, 1.0), dy, [value, offset, mask])
    if kind == "attention":
        q, k, v = (randn(1, p["batch"], p["l"], p["d"]) for _ in range(3))
        dy = randn(1, p["batch"], p["l"], p["d"])
        return step(bwd, lambda: attention(q, k, v), dy, [q, k, v])
    if kind == "psf":
        n, c, h, w, kh, kw = p["batch"], p["c"], p["h"], p["w"], p["kh"], p["kw"]
        x, psf = randn(1, n, c, h, w), randn(1.0 / (kh * kw), n, kh, kw)
        # A true convolution: F.conv2d correlates, so flip the kernels.
        weight = psf.flip(-1, -2).repeat_interleave(c, 0).reshape(n * c, 1, kh, kw)
        return step(bwd, lambda: F.conv2d(x.reshape(1, n * c, h, w), weight, padding=(kh // 2, kw // 2),
                                          groups=n * c).reshape(n, c, h, w), None, [])
    if kind == "layernorm":
        rows, cols = p["rows"], p["cols"]
        x, gamma, beta, dy = randn(1, rows, cols), randn(1, cols), randn(1, cols), randn(1, rows, cols)
        return step(bwd, lambda: F.layer_norm(x, (cols,), gamma, beta, 1e-6), dy, [x, gamma, beta])
    if kind == "softmax":
        x, dy = randn(1, p["rows"], p["cols"]), randn(1, p["rows"], p["cols"])
        return step(bwd, lambda: torch.softmax(x, -1), dy, [x])
    if kind == "internimage":
        ii = official_internimage(args.internimage)
        cfg = p["internimage"]
        torch.manual_seed(0)
        with contextlib.redirect_stdout(sys.stderr):  # the constructor prints its settings
            model = ii.InternImage(core_op="DCNv3_pytorch", num_classes=1000, drop_path_rate=0.0,
                                   channels=cfg["channels"], depths=cfg["depths"], groups=cfg["groups"],
                                   mlp_ratio=cfg["mlp_ratio"], layer_scale=cfg.get("layer_scale"),
                                   post_norm=cfg["post_norm"], offset_scale=cfg["offset_scale"])
        model.to(args.device)
        model.eval()
        x = randn(1, p["batch"], 3, p["h"], p["w"])
        if not bwd:
            def fwd():
                with torch.no_grad():
                    model.forward_features_seq_out(x)
            return fwd

        def fwd_bwd():
            model.zero_grad(set_to_none=True)
            sum(o.sum() for o in model.forward_features_seq_out(x)).backward()
        return fwd_bwd
    raise RuntimeError("unknown kind %r" % kind)


def time_row(call, repeat, budget, cuda=False):
    def once():
        if cuda:
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        call()
        if cuda:
            torch.cuda.synchronize()
        return time.perf_counter() - t0

    first = once()
    if first < 0.2:
        first = once()
    n = repeat if repeat > 0 else min(max(int(budget / max(first, 1e-6)), 3), 50)
    times = sorted(once() for _ in range(n))
    median = times[n // 2] if n % 2 else (times[n // 2 - 1] + times[n // 2]) / 2
    return median, times[0], n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--spec", required=True, help="row list from `allnet-cli bench --list --json`")
    ap.add_argument("--out", required=True, help="result file to write (JSON)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--repeat", type=int, default=0, help="timed calls per row (0: fit --budget, 3 to 50)")
    ap.add_argument("--budget", type=float, default=1.0, help="seconds per row when --repeat is 0")
    ap.add_argument("--ops", default="", help="run only rows whose 'OP | SHAPE' matches this regex")
    ap.add_argument("--label", default="", help="column name in the compare table (default 'torch VERSION')")
    ap.add_argument("--device", default="cpu", help="cpu, or cuda (bench/gpu/run.sh; times end with a synchronize)")
    ap.add_argument("--tf32", action="store_true",
                    help="with --device cuda: allow TF32 in matmul and cuDNN (default: exact float32)")
    ap.add_argument("--internimage", default=os.environ.get("INTERNIMAGE_CLASSIFICATION", ""),
                    help="InternImage's classification/ folder (default $INTERNIMAGE_CLASSIFICATION)")
    args = ap.parse_args()

    # Deprecation notices of the official code and of torch itself would
    # bury the progress lines.
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    torch.set_num_threads(args.threads)
    cuda = args.device.startswith("cuda")
    if cuda:
        torch.backends.cuda.matmul.allow_tf32 = args.tf32
        torch.backends.cudnn.allow_tf32 = args.tf32
    with open(args.spec) as f:
        spec = json.load(f)
    pattern = re.compile(args.ops) if args.ops else None
    rows = [r for r in spec["rows"] if pattern is None or pattern.search(r["op"] + " | " + r["shape"])]
    label = args.label or "torch " + torch.__version__.split("+")[0] + (" " + ("tf32" if args.tf32 else "fp32") if cuda else "")
    build = {"python": platform.python_version(), "torch": torch.__version__,
             "mkldnn": str(torch.backends.mkldnn.is_available()),
             "attention": "F.scaled_dot_product_attention" if hasattr(F, "scaled_dot_product_attention")
             else "written out (matmul, softmax, matmul)",
             "dcnv3": "grid_sample formulation (dcnv3_core_pytorch)"}
    if hasattr(torch.backends, "cpu") and hasattr(torch.backends.cpu, "get_cpu_capability"):
        build["cpu_capability"] = torch.backends.cpu.get_cpu_capability()
    if cuda:
        build["gpu"] = torch.cuda.get_device_name()
        build["precision"] = "tf32" if args.tf32 else "fp32"
    doc = {"tool": "torch", "version": torch.__version__, "label": label, "device": args.device,
           "threads": torch.get_num_threads(), "cpu": cpu_model(), "build": build, "rows": []}
    for i, row in enumerate(rows):
        res = dict(row)
        try:
            call = build_call(row, args)
            med, fast, n = time_row(call, args.repeat, args.budget, cuda)
            res.update(seconds=med, min_seconds=fast, repeats=n)
            if row.get("flops"):
                res["gflops"] = row["flops"] / med / 1e9
            elif row.get("bytes"):
                res["gbs"] = row["bytes"] / med / 1e9
            msg = "%.3f ms (median of %d)" % (med * 1e3, n)
        except Exception as e:  # a row that cannot run is reported, not fatal
            res.update(seconds=0, note=str(e).splitlines()[0] if str(e) else type(e).__name__)
            msg = "not run: " + res["note"]
        doc["rows"].append(res)
        print("%s: [%d/%d] %s %s: %s" % (label, i + 1, len(rows), row["op"], row["shape"], msg), file=sys.stderr)
    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
