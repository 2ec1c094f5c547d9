"""Checks that PyTorch reads a safetensors file written by ddp4j (SafetensorsWriter): loads it
with safetensors.torch.load_file, prints each tensor's name, dtype, shape and a few statistics,
then the __metadata__, as one JSON object. Exits non-zero if the file does not load.
Run where torch and safetensors are installed:
    python3 benchmarks/python/safetensors_check.py model.safetensors"""
import json
import sys

import torch
from safetensors import safe_open
from safetensors.torch import load_file


def describe(t):
    info = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape), "numel": t.numel()}
    if t.numel() > 0 and t.dtype != torch.bool:
        f = t.double()
        info.update({"min": f.min().item(), "max": f.max().item(), "mean": f.mean().item()})
    return info


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: safetensors_check.py FILE.safetensors")
    path = sys.argv[1]
    tensors = load_file(path)
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    print(json.dumps({
        "file": path,
        "tensors": {name: describe(t) for name, t in tensors.items()},
        "metadata": metadata,
    }, indent=2))


if __name__ == "__main__":
    main()
