#!/usr/bin/env python3
"""Writes the PyTorch .pth fixtures of engine/ckpt (engine/ckpt/testdata).

Needs PyTorch >= 1.6 (zip serialization); written against Debian's
python3-torch 1.13, the light option:

    /usr/bin/python3 scripts/golden/gen_pth_fixtures.py

(any newer `pip install torch` works too). Run from the repository root; it
rewrites these files, each a few KB:

    model.pth        {"model": state_dict, "model_ema": state_dict, "epoch": 7,
                      "meta": {argparse, numpy, bytes, ...}}: float32, float16, bfloat16, float64 and
                      int64 tensors, a transposed (non-contiguous) tensor, a view
                      with a storage offset, a Parameter, an nn.Module state_dict
                      (with its _metadata attribute)
    plain.pth        a bare state_dict (OrderedDict of tensors)
    evil.pth         {"model": {...}, "payload": <object whose __reduce__ is
                      os.system>}: loading it must fail, not run anything
    legacy.pth       the pre-1.6 (non-zip) format: must be rejected clearly
    pth_expected.json  for each file and key, every tensor's dtype, shape and
                      values (float values exact, as float64), so `go test`
                      never needs Python
"""
import argparse
import collections
import json
import os

import numpy
import torch

OUT = os.path.join("engine", "ckpt", "testdata")

DTYPES = {
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.float64: "F64",
    torch.int64: "I64",
    torch.int32: "I32",
}


def expected(sd):
    out = {}
    for name, t in sd.items():
        t = t.detach()
        if t.dtype in (torch.float16, torch.bfloat16, torch.float32):
            values = t.double().flatten().tolist()  # exact
        else:
            values = t.flatten().tolist()
        out[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "values": values}
    return out


class Evil:
    def __reduce__(self):
        return (os.system, ("echo ckpt-fixture-payload-ran >&2",))


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)

    base = torch.randn(3, 5)
    big = torch.arange(24, dtype=torch.float32).reshape(4, 6) / 8
    net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    net[1].num_batches_tracked += 5
    model = collections.OrderedDict()
    model["dense.weight"] = torch.randn(2, 3)
    model["half.weight"] = torch.randn(2, 3).half()
    model["bf16.weight"] = torch.randn(4).bfloat16()
    model["f64.bias"] = torch.randn(3, dtype=torch.float64)
    model["base"] = base
    model["transposed"] = base.t()  # shares base's storage, strides (1, 5)
    model["view"] = big[1:, 2:5]  # storage offset 8, strides (6, 1)
    model["column"] = big[:, 3]  # offset 3, stride (6,)
    model["steps"] = torch.tensor([3, -2, 1 << 40], dtype=torch.int64)
    model["scalar"] = torch.tensor(2.5)
    model["empty"] = torch.zeros(0, 4)
    model["param"] = torch.nn.Parameter(torch.randn(2, 2))
    for k, v in net.state_dict().items():
        model["net." + k] = v
    ema = collections.OrderedDict((k, v * 0.5) for k, v in list(model.items())[:2])

    # Metadata as real training scripts leave it: argparse/numpy objects,
    # bytes (pickled through _codecs.encode), sets, optimizer-like dicts.
    meta = {"note": "fixture", "shape": (1, 2), "lr": 0.1, "raw": b"\x00\xff",
            "args": argparse.Namespace(lr=0.1, tags=["a"]), "tags": {"x", "y"},
            "best": numpy.float64(0.5), "hist": numpy.arange(3, dtype=numpy.int32),
            "device": torch.device("cpu"), "dtype": torch.float32}
    torch.save({"model": model, "model_ema": ema, "epoch": 7, "meta": meta},
               os.path.join(OUT, "model.pth"))
    plain = net.state_dict()
    torch.save(plain, os.path.join(OUT, "plain.pth"))
    torch.save({"model": {"w": torch.ones(2)}, "payload": Evil()},
               os.path.join(OUT, "evil.pth"))
    torch.save({"w": torch.ones(2)}, os.path.join(OUT, "legacy.pth"),
               _use_new_zipfile_serialization=False)

    want = {
        "model.pth": {"model": expected(model), "model_ema": expected(ema)},
        "plain.pth": {"": expected(plain)},
    }
    with open(os.path.join(OUT, "pth_expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "files": want}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
