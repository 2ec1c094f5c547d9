"""PyTorch's side of TrainingStepBenchmark: eager training-step times of W1, W2, W3 (and W2_FP32),
W1 also as one whole-step CUDA graph, and with --ddp the same steps wrapped in
DistributedDataParallel at world size 1 (nccl) to measure PyTorch's own DDP overhead.
Each step: forward, loss, zero_grad(set_to_none=True), backward, SGD(lr 0.01, momentum 0.9).step(),
loss.item() (ddp4j's step reads its loss back too; "ms_no_sync" leaves that out).

  W1: MLP 784-512-512-10 (ReLU), cross-entropy, batch 128, fp32
  W2: 4 x Linear(4096, 4096) with ReLU between, MSE vs a random target, batch 8192, bf16 autocast;
      TFLOP/s = 6 * batch * 4 * 4096^2 / step time (2 forward + 4 backward FLOPs per weight and sample)
  W2_FP32: W2 in fp32, for comparison
  W3: Conv(3,32)-ReLU-MaxPool2, Conv(32,64)-ReLU-MaxPool2, Conv(64,128)-ReLU-MaxPool2, Flatten,
      Linear(2048, 10) on 3x32x32, cross-entropy, batch 256, fp32
fp32 runs with TF32 off for matmuls and convolutions (ddp4j computes true fp32); --tf32 turns it on.
Timing: CUDA events around --iters steps after --warmup steps; one JSON line per measurement.

  python3 benchmarks/python/training_steps_torch.py [--ddp] [--workloads W1,W2,W2_FP32,W3] [--iters 50]"""
import argparse
import json
import os
import socket

import torch
import torch.nn as nn
import torch.nn.functional as F

BATCH = {"W1": 128, "W2": 8192, "W2_FP32": 8192, "W3": 256}


def model(w):
    if w == "W1":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    if w in ("W2", "W2_FP32"):
        return nn.Sequential(nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(),
                             nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, 4096))
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(128 * 4 * 4, 10))


def data(w, device):
    b = BATCH[w]
    shape = {"W1": (b, 784), "W3": (b, 3, 32, 32)}.get(w, (b, 4096))
    x = torch.randn(*shape, device=device)
    y = torch.randn(b, 4096, device=device) if w.startswith("W2") else torch.randint(0, 10, (b,), device=device)
    return x, y


def make_step(w, net, opt, x, y):
    loss_fn = F.mse_loss if w.startswith("W2") else F.cross_entropy
    autocast = w == "W2"

    def step():
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            loss = loss_fn(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss
    return step


def timed(fn, iters, warmup, sync_each):
    for _ in range(warmup):
        loss = fn()
        loss.item()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        loss = fn()
        if sync_each:
            loss.item()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) / iters


def flops(w):
    return 6.0 * BATCH[w] * 4 * 4096 * 4096 if w.startswith("W2") else None


def report(w, variant, ms, ms_no_sync, extra=None):
    row = {"impl": "torch", "workload": w, "variant": variant, "batch": BATCH[w],
           "ms_step": round(ms, 4), "ms_no_sync": round(ms_no_sync, 4) if ms_no_sync is not None else None}
    if flops(w):
        row["tflops"] = round(flops(w) / (ms / 1e3) / 1e12, 1)
    row.update(extra or {})
    print(json.dumps(row), flush=True)


def graph_step(w, net, opt, x, y, iters, warmup):
    """The whole W1 step (forward, backward, optimizer) captured once and replayed."""
    step = make_step(w, net, opt, x, y)
    s = torch.cuda.Stream()
    s.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(s):
        for _ in range(3):
            step()
    torch.cuda.current_stream().wait_stream(s)
    g = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(g):
        static_loss = F.cross_entropy(net(x), y)
        static_loss.backward()
        opt.step()

    def replay():
        g.replay()
        return static_loss
    return timed(replay, iters, warmup, True), timed(replay, iters, warmup, False)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workloads", default="W1,W2,W2_FP32,W3")
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--ddp", action="store_true", help="also time each step under DDP (world size 1, nccl) and print the overhead")
    p.add_argument("--tf32", action="store_true")
    args = p.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = args.tf32
    torch.backends.cudnn.allow_tf32 = args.tf32
    torch.backends.cudnn.benchmark = True
    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "tf32": args.tf32,
                      "cudnn": torch.backends.cudnn.version()}), flush=True)
    if args.ddp:
        import torch.distributed as dist
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", str(free_port()))
        torch.cuda.set_device(0)
        dist.init_process_group("nccl", rank=0, world_size=1)
    for w in args.workloads.split(","):
        torch.manual_seed(0)
        iters = max(5, args.iters // 5) if w.startswith("W2") else args.iters
        warmup = max(3, args.warmup // 3) if w.startswith("W2") else args.warmup
        net = model(w).cuda()
        x, y = data(w, "cuda")
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        step = make_step(w, net, opt, x, y)
        eager = timed(step, iters, warmup, True)
        report(w, "eager", eager, timed(step, iters, warmup, False))
        if w == "W1" and not args.ddp:
            g, g_ns = graph_step(w, net, opt, x, y, iters, warmup)
            report(w, "cuda_graph", g, g_ns)
        if args.ddp:
            from torch.nn.parallel import DistributedDataParallel as DDP
            ddp_net = DDP(net, device_ids=[0])
            ddp_opt = torch.optim.SGD(ddp_net.parameters(), lr=0.01, momentum=0.9)
            ddp_step = make_step(w, ddp_net, ddp_opt, x, y)
            d = timed(ddp_step, iters, warmup, True)
            report(w, "ddp_world1", d, timed(ddp_step, iters, warmup, False),
                   {"eager_ms_step": round(eager, 4), "ddp_overhead_pct": round(100 * (d / eager - 1), 1)})
            del ddp_net, ddp_opt
        del net, opt, x, y
        torch.cuda.empty_cache()
    if args.ddp:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
