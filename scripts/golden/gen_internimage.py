"""Fixtures for allnet's InternImage against the official implementation.

Runs OpenGVLab/InternImage's own classification model (models/intern_image.py
with core_op 'DCNv3_pytorch', the pure-PyTorch DCNv3) and writes, under
allnet/testdata/:

- internimage_tiny.pth / .json: a reduced S-like model (channels 16, depths
  [1,1,2,1], groups [1,2,4,8], post_norm True, layer scale) and
- internimage_tiny_prenorm.pth / .json: a reduced T-like model (channels 8,
  depths [1,1,1,1], groups [1,1,2,4], post_norm False, no layer scale, so it
  has the per-level norms; offset_scale 0.5, mlp_ratio 2), each with every parameter randomised (offset and
  mask projections included, so sampling is off-grid and the mask is not
  uniform; gammas random). The .pth holds {"model": state_dict} with the
  classification head (conv_head.*, head.*) that the Go loader must drop.
  The .json holds "input" (1, 3, 64, 64), the four level outputs "level0".."level3"
  (NCHW, as the segmentation backbone returns them with out_indices
  (0, 1, 2, 3)), random "r0".."r3" and "grad_input", the gradient of
  sum_i sum(level_i * r_i) with respect to the input. The forward runs in
  float64 from the float32 weights stored in the .pth.
- internimage_keys.json: every backbone key (conv_head.* and head.* left out)
  of the official InternImage-T and -S with its shape, in state_dict order.

The official code is not part of this repository. Fetch a snapshot of
OpenGVLab/InternImage and pass its classification/ folder:

    /usr/bin/python3 scripts/golden/gen_internimage.py /tmp/ii/classification

Debian's python3-torch 1.13 is enough. Two imports of the official code are
unavailable there and stubbed through sys.modules before it is imported:
`timm` (only DropPath, unused at drop_path_rate 0, and trunc_normal_, replaced
by torch.nn.init.trunc_normal_), and the compiled CUDA extension `DCNv3` (with
pkg_resources' version query), which only DCNv3Function uses; the model here
uses DCNv3_pytorch, which never touches it.
"""
import json
import os
import sys
import types

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "allnet", "testdata")


def stub_imports():
    timm = types.ModuleType("timm")
    timm_models = types.ModuleType("timm.models")
    timm_layers = types.ModuleType("timm.models.layers")

    class DropPath(torch.nn.Module):
        def __init__(self, p=0.0):
            super().__init__()
            if p > 0:
                raise RuntimeError("stub DropPath: only drop_path_rate 0 is supported here")

        def forward(self, x):
            return x

    timm_layers.DropPath = DropPath
    timm_layers.trunc_normal_ = torch.nn.init.trunc_normal_
    timm.models = timm_models
    timm_models.layers = timm_layers
    sys.modules.update({"timm": timm, "timm.models": timm_models, "timm.models.layers": timm_layers})

    sys.modules["DCNv3"] = types.ModuleType("DCNv3")
    import pkg_resources

    pkg_resources.get_distribution = lambda name: types.SimpleNamespace(version="1.0")


def build(intern_image, **kw):
    return intern_image.InternImage(core_op="DCNv3_pytorch", num_classes=10, drop_path_rate=0.0, **kw)


def build_head(intern_image, **kw):
    return intern_image.InternImage(core_op="DCNv3_pytorch", num_classes=1000, drop_path_rate=0.0, **kw)


def randomise(model, gen):
    """Gives every parameter random values with a scale that keeps the
    activations O(1) and the DCN offsets around a pixel."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma1") or name.endswith("gamma2"):
                p.copy_(torch.rand(p.shape, generator=gen) + 0.5)
            elif ".norm" in name or "dw_conv.1." in name or name.startswith("patch_embed.norm"):
                if name.endswith("weight"):
                    p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
                else:
                    p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith(".offset.weight"):
                p.copy_(0.3 * torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
            elif name.endswith(".offset.bias"):
                p.copy_(0.7 * torch.randn(p.shape, generator=gen))
            elif name.endswith(".mask.weight"):
                p.copy_(torch.randn(p.shape, generator=gen) / p.shape[1] ** 0.5)
            elif name.endswith(".mask.bias"):
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            elif p.dim() > 1:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in ** 0.5)
            else:
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))


def t2j(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "data": [float("%.9g" % v) for v in t.reshape(-1).tolist()]}


def fixture(intern_image, name, seed, **kw):
    gen = torch.Generator().manual_seed(seed)
    model = build(intern_image, **kw)
    randomise(model, gen)
    model.eval()
    sd = model.state_dict()
    torch.save({"model": sd}, os.path.join(OUT, name + ".pth"))

    model = model.double()
    x = torch.randn((1, 3, 64, 64), generator=gen, dtype=torch.float64).requires_grad_(True)
    outs = [o.permute(0, 3, 1, 2).contiguous() for o in model.forward_features_seq_out(x)]
    rs = [torch.randn(o.shape, generator=gen, dtype=torch.float64) for o in outs]
    loss = sum((o * r).sum() for o, r in zip(outs, rs))
    loss.backward()
    tensors = {"input": t2j(x)}
    for i, (o, r) in enumerate(zip(outs, rs)):
        tensors["level%d" % i] = t2j(o)
        tensors["r%d" % i] = t2j(r)
    tensors["grad_input"] = t2j(x.grad)
    doc = {"generator": "scripts/golden/gen_internimage.py", "torch": torch.__version__,
           "config": kw, "tensors": tensors}
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", name, [tuple(o.shape) for o in outs])


def manifest(intern_image):
    presets = {
        # classification/configs/internimage_t_1k_224.yaml
        "internimage-t": dict(channels=64, depths=[4, 4, 18, 4], groups=[4, 8, 16, 32],
                              offset_scale=1.0, mlp_ratio=4.0),
        # classification/configs/internimage_s_1k_224.yaml
        "internimage-s": dict(channels=80, depths=[4, 4, 21, 4], groups=[5, 10, 20, 40],
                              layer_scale=1e-5, offset_scale=1.0, mlp_ratio=4.0, post_norm=True),
    }
    doc = {}
    for name, kw in presets.items():
        sd = build(intern_image, **kw).state_dict()
        keys = [[k, list(v.shape)] for k, v in sd.items()
                if not k.startswith("conv_head.") and not k.startswith("head.")]
        doc[name] = {"config": kw, "keys": keys,
                     "parameters": sum(v.numel() for k, v in sd.items()
                                       if not k.startswith("conv_head.") and not k.startswith("head.")),
                     "parameters_with_head_1000": None}
        full = build_head(intern_image, **kw)
        doc[name]["parameters_with_head_1000"] = sum(p.numel() for p in full.parameters())
        print(name, len(keys), "keys", doc[name]["parameters"], "backbone parameters",
              doc[name]["parameters_with_head_1000"], "with the head")
    # One key per line, so that a diff of the manifest reads well.
    lines = []
    for name, d in doc.items():
        keys = ",\n".join("   " + json.dumps(k) for k in d["keys"])
        lines.append(' %s: {"config": %s, "parameters": %d, "parameters_with_head_1000": %d, "keys": [\n%s\n ]}'
                     % (json.dumps(name), json.dumps(d["config"]), d["parameters"],
                        d["parameters_with_head_1000"], keys))
    with open(os.path.join(OUT, "internimage_keys.json"), "w") as f:
        f.write("{\n" + ",\n".join(lines) + "\n}\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen_internimage.py PATH/TO/InternImage/classification")
    stub_imports()
    sys.path.insert(0, sys.argv[1])
    from models import intern_image

    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    fixture(intern_image, "internimage_tiny", 1, channels=16, depths=[1, 1, 2, 1], groups=[1, 2, 4, 8],
            layer_scale=1e-5, post_norm=True, offset_scale=1.0, mlp_ratio=4.0)
    fixture(intern_image, "internimage_tiny_prenorm", 2, channels=8, depths=[1, 1, 1, 1],
            groups=[1, 1, 2, 4], post_norm=False, offset_scale=0.5, mlp_ratio=2.0)
    manifest(intern_image)


if __name__ == "__main__":
    main()
