"""PyTorch's side of `ddp4j train`: the same reference models, initialisation scheme, data order
policy and hyper-parameters, so the two test accuracies can be compared in one session.

    python3 benchmarks/python/fashion_mnist_torch.py --model mlp --epochs 10 [--data DIR] [--device cuda]

Reads the four IDX files (gzip or plain) from --data (default: Debian's
/usr/share/datasets/fashion-mnist). Ends with the same JSON line as `ddp4j train --json`."""
import argparse
import gzip
import json
import os
import struct
import time

import torch
import torch.nn as nn


MEAN, STD = 0.2860, 0.3530  # FashionMnistDataset.MEAN / STD: the training images' mean and deviation


def read_idx(path):
    opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
    with opener(path, "rb") as f:
        zero, dtype, ndim = struct.unpack(">HBB", f.read(4))
        assert zero == 0 and dtype == 0x08, f"{path}: not an unsigned-byte IDX file"
        shape = struct.unpack(">" + "I" * ndim, f.read(4 * ndim))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(shape)


def find(folder, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return p
    raise SystemExit(f"{stem}[.gz] not found in {folder}: apt-get install dataset-fashion-mnist or pass --data DIR")


def load(folder, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(find(folder, f"{prefix}-images-idx3-ubyte")).float().div_(255).sub_(MEAN).div_(STD).unsqueeze(1)
    y = read_idx(find(folder, f"{prefix}-labels-idx1-ubyte")).long()
    return x, y


def model(name):
    if name == "mlp":  # ReferenceModels.mlp
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    return nn.Sequential(  # ReferenceModels.cnn
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="mlp", choices=["mlp", "cnn"])
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float)
    ap.add_argument("--optimizer", default="sgd", choices=["sgd", "adam", "adamw"])
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    lr = a.lr if a.lr is not None else (0.05 if a.optimizer == "sgd" else 1e-3)
    torch.manual_seed(a.seed)
    dev = torch.device(a.device)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "test")
    xtr, ytr, xte, yte = xtr.to(dev), ytr.to(dev), xte.to(dev), yte.to(dev)
    net = model(a.model).to(dev)
    opt = {"sgd": lambda p: torch.optim.SGD(p, lr=lr, momentum=0.9),
           "adam": lambda p: torch.optim.Adam(p, lr=lr),
           "adamw": lambda p: torch.optim.AdamW(p, lr=lr)}[a.optimizer](net.parameters())
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator(device="cpu")
    rates = []
    for epoch in range(1, a.epochs + 1):
        gen.manual_seed(a.seed * 1_000_003 + epoch)  # a fresh seeded order each epoch, as ddp4j's loader does
        order = torch.randperm(len(xtr), generator=gen).to(dev)
        net.train()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        start, total = time.perf_counter(), 0.0
        for i in range(0, len(order), a.batch_size):
            idx = order[i:i + a.batch_size]
            loss = loss_fn(net(xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        seconds = time.perf_counter() - start
        rates.append(len(xtr) / seconds)
        net.eval()
        with torch.no_grad():
            logits = torch.cat([net(xte[i:i + 1000]) for i in range(0, len(xte), 1000)])
            test_loss = loss_fn(logits, yte).item()
            acc = (logits.argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch}: train loss {total / len(xtr):.4f}  test loss {test_loss:.4f}  test accuracy {100 * acc:.2f}%  {rates[-1]:.0f} samples/s")
    print(json.dumps({"impl": "torch", "model": a.model, "test_accuracy": round(acc, 4), "test_loss": round(test_loss, 4),
                      "epochs": a.epochs, "samples_per_s": round(sum(rates) / len(rates), 1), "device": str(dev), "world_size": 1}))


if __name__ == "__main__":
    main()
