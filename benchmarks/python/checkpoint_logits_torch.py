"""Loads a checkpoint ddp4j wrote (`ddp4j train --checkpoint DIR`) into the same PyTorch model
with safetensors.torch.load_file, runs the first N test images, and compares the logits with those
ddp4j computed for the same images (DIR/logits.safetensors, written by
`ddp4j checkpoint-logits DIR`). Prints the max abs difference and exits non-zero above 1e-4.

    python3 benchmarks/python/checkpoint_logits_torch.py DIR --model mlp [--data DIR]"""
import argparse
import json
import sys

import torch
from safetensors.torch import load_file

from fashion_mnist_torch import load, model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    a = ap.parse_args()
    net = model(a.model)
    state = load_file(f"{a.checkpoint}/model.safetensors")
    missing, unexpected = net.load_state_dict(state, strict=True), None
    ddp4j = load_file(f"{a.checkpoint}/logits.safetensors")["logits"]
    x, _ = load(a.data, "test")
    net.eval()
    with torch.no_grad():
        ours = net(x[: ddp4j.shape[0]])
    diff = (ours - ddp4j).abs().max().item()
    print(json.dumps({"keys": sorted(state.keys()), "images": ddp4j.shape[0], "max_abs_diff": diff}))
    sys.exit(0 if diff <= 1e-4 else 1)


if __name__ == "__main__":
    main()
