"""Shared helpers for the golden-value generators in this folder.

Each gen_*.py script computes forward outputs and gradients with PyTorch in
float64 and writes engine/testdata/golden/<name>.json, which the Go tests in
engine/ read (go test never runs Python). Run from the repository root with
Debian's PyTorch 1.13 (apt-get install python3-torch):

    /usr/bin/python3 scripts/golden/gen_<name>.py

or with a PyPI PyTorch (`pip install torch`). The file records the version.

JSON layout: {"generator": str, "torch": str, "cases": [{"name": str,
"attrs": {...}, "tensors": {name: {"shape": [...], "data": [...]}}}]}.
Integer tensors (labels, indices) are stored as numbers too.
"""
import json
import os

import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "engine", "testdata", "golden")


def seed(s):
    """Seeds torch so every run writes the same fixture."""
    torch.manual_seed(s)


def t2j(t):
    """Converts a tensor to the JSON form (shape + flat row-major data)."""
    t = t.detach().contiguous()
    data = t.reshape(-1).tolist()
    return {"shape": list(t.shape), "data": data}


def case(name, attrs, **tensors):
    """Builds one case; tensors are torch tensors."""
    return {"name": name, "attrs": attrs, "tensors": {k: t2j(v) for k, v in tensors.items()}}


def save(name, generator, cases):
    """Writes engine/testdata/golden/<name>.json."""
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name + ".json")
    doc = {"generator": generator, "torch": torch.__version__, "cases": cases}
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("wrote", path, os.path.getsize(path), "bytes")
