"""PyTorch parity for ddp4j's tensor layer: forward + backward of the two reference models
(io.ddp4j.tensor.nn.models.ReferenceModels: the MLP 784-256-128-10 and the two-conv CNN) on the
same inputs and weights, compared output by output and gradient by gradient.

  python3 benchmarks/python/parity_torch.py prepare --dir D [--batch 16] [--seed 0]
      writes D/<model>_inputs.safetensors (x float32 [N,1,28,28], y int64 [N]),
             D/<model>_weights.safetensors (the state dict, PyTorch's keys),
             D/torch_<model>.safetensors (logits, loss, grad.<name>: PyTorch fp32 on the CPU)
             D/torch64_<model>.safetensors (the same in float64: the exact answer, for scale)
  java ... io.ddp4j.benchmarks.parity.ParityMain --dir D --device cpu|cuda
      writes D/ddp4j_<cpu|cuda>_<model>.safetensors in the same layout
  python3 benchmarks/python/parity_torch.py compare --dir D --device cpu|cuda [--rtol 1e-4]
      prints one JSON line per tensor (max abs diff, diff relative to the reference's largest
      magnitude, and PyTorch fp32's own distance to float64 for scale); exits 1 if any tensor is
      further than rtol (relative to max |reference|) from PyTorch fp32, 2 if files are missing.

Needs only torch (safetensors files are read and written here, no safetensors package needed)."""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32,
          "BF16": torch.bfloat16, "F16": torch.float16, "U8": torch.uint8, "BOOL": torch.bool}
NAMES = {v: k for k, v in DTYPES.items()}


def save(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous()
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(path + ".tmp", path)


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    base, out = 8 + n, {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        a, b = e["data_offsets"]
        buf = bytearray(raw[base + a:base + b])
        t = torch.frombuffer(buf, dtype=torch.uint8) if b > a else torch.empty(0, dtype=torch.uint8)
        out[name] = t.view(DTYPES[e["dtype"]]).reshape(e["shape"]).clone()
    return out


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(),
                         nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


MODELS = {"mlp": mlp, "cnn": cnn}


def forward_backward(model, x, y):
    model.zero_grad(set_to_none=True)
    logits = model(x)
    loss = F.cross_entropy(logits, y)
    loss.backward()
    out = {"logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for name, p in model.named_parameters():
        out["grad." + name] = p.grad.detach()
    return out


def prepare(args):
    os.makedirs(args.dir, exist_ok=True)
    torch.manual_seed(args.seed)
    for name, make in MODELS.items():
        model = make()
        x = torch.randn(args.batch, 1, 28, 28)
        y = torch.randint(0, 10, (args.batch,), dtype=torch.int64)
        save(os.path.join(args.dir, name + "_inputs.safetensors"), {"x": x, "y": y}, {"format": "pt"})
        save(os.path.join(args.dir, name + "_weights.safetensors"), dict(model.state_dict()), {"format": "pt"})
        save(os.path.join(args.dir, "torch_" + name + ".safetensors"), forward_backward(model, x, y),
             {"format": "pt", "producer": "torch " + torch.__version__, "device": "cpu"})
        exact = forward_backward(model.double(), x.double(), y)
        save(os.path.join(args.dir, "torch64_" + name + ".safetensors"), exact, {"format": "pt", "producer": "torch float64"})
        print(json.dumps({"prepared": name, "batch": args.batch, "dir": args.dir}))


def compare(args):
    ok = True
    for name in MODELS:
        paths = {k: os.path.join(args.dir, f"{k}_{name}.safetensors") for k in ("torch", "torch64", "ddp4j_" + args.device)}
        missing = [p for p in paths.values() if not os.path.exists(p)]
        if missing:
            print(json.dumps({"model": name, "error": "missing " + ", ".join(missing)}))
            sys.exit(2)
        ref, exact, mine = (load(paths[k]) for k in ("torch", "torch64", "ddp4j_" + args.device))
        for key, r in ref.items():
            if key not in mine:
                print(json.dumps({"model": name, "tensor": key, "ok": False, "error": "missing in ddp4j's output"}))
                ok = False
                continue
            m = mine[key].double()
            r, e = r.double(), exact[key].double()
            if m.shape != r.shape:
                print(json.dumps({"model": name, "tensor": key, "ok": False, "error": f"shape {list(m.shape)} vs {list(r.shape)}"}))
                ok = False
                continue
            scale = max(r.abs().max().item(), 1e-12)
            diff = (m - r).abs().max().item()
            good = diff <= args.rtol * scale
            ok &= good
            print(json.dumps({"model": name, "device": args.device, "tensor": key, "ok": good,
                              "max_abs_diff": diff, "rel_diff": diff / scale,
                              "ddp4j_vs_float64": (m - e).abs().max().item() / scale,
                              "torch_fp32_vs_float64": (r - e).abs().max().item() / scale}))
    print(json.dumps({"parity": "ok" if ok else "FAILED", "device": args.device, "rtol": args.rtol}))
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("prepare")
    a.add_argument("--dir", required=True)
    a.add_argument("--batch", type=int, default=16)
    a.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("compare")
    c.add_argument("--dir", required=True)
    c.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    c.add_argument("--rtol", type=float, default=1e-4)
    args = p.parse_args()
    prepare(args) if args.cmd == "prepare" else compare(args)


if __name__ == "__main__":
    main()
