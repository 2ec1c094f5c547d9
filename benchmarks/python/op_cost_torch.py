"""PyTorch's side of OpCostBenchmark: the host cost of one op on CUDA tensors, measured like the
JMH benchmark (batches of 256 ops, then one torch.cuda.synchronize(), wall time per op with
time.perf_counter: the host-side cost, since a 4-element kernel takes the GPU ~2 us).

  tiny_add:          c = a + b on 4-element float32 tensors (PyTorch's figure: about 9.7 us)
  tiny_add_inplace:  a.add_(b)
  mlp_by_hand:       W1's MLP 784-512-512-10, batch 128, from tensor ops (x @ w.t() + b, relu,
                     cross_entropy, backward, p -= 0.01 * p.grad under no_grad, grads set to None,
                     loss.item()): io.ddp4j.benchmarks.ops.HandWrittenMlp; time per step
It also prints the caching allocator's cudaMalloc count over the measured loops.

  python3 benchmarks/python/op_cost_torch.py [--seconds 2]"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

BATCH = 256


def per_op(fn, seconds, ops_per_call):
    for _ in range(20):
        fn()
    torch.cuda.synchronize()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        calls += 1
    return (time.perf_counter() - start) / (calls * ops_per_call) * 1e6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=2.0)
    args = p.parse_args()
    dev = "cuda"
    a = torch.ones(4, device=dev)
    b = torch.ones(4, device=dev)

    def tiny_add():
        for _ in range(BATCH):
            a + b
        torch.cuda.synchronize()

    def tiny_add_inplace():
        for _ in range(BATCH):
            a.add_(b)
        torch.cuda.synchronize()

    torch.manual_seed(7)
    sizes = [784, 512, 512, 10]
    ws, bs = [], []
    for i in range(3):
        bound = 1 / math.sqrt(sizes[i])
        ws.append(((torch.rand(sizes[i + 1], sizes[i]) * 2 - 1) * bound).to(dev).requires_grad_())
        bs.append(((torch.rand(sizes[i + 1]) * 2 - 1) * bound).to(dev).requires_grad_())
    x = torch.randn(128, 784, device=dev)
    y = (torch.arange(128, device=dev) * 7) % 10

    def mlp_by_hand():
        h = x
        for i in range(3):
            h = h @ ws[i].t() + bs[i]
            if i < 2:
                h = h.relu()
        loss = F.cross_entropy(h, y)
        loss.backward()
        with torch.no_grad():
            for p_ in ws + bs:
                p_.add_(p_.grad, alpha=-0.01)
                p_.grad = None
        return loss.item()

    print(json.dumps({"device": torch.cuda.get_device_name(0), "torch": torch.__version__}), flush=True)
    for name, fn, ops in (("tiny_add", tiny_add, BATCH), ("tiny_add_inplace", tiny_add_inplace, BATCH),
                          ("mlp_by_hand", mlp_by_hand, 1)):
        fn()
        before = torch.cuda.memory_stats().get("num_device_alloc")
        us = per_op(fn, args.seconds, ops)
        after = torch.cuda.memory_stats().get("num_device_alloc")
        print(json.dumps({"impl": "torch", "op": name, "us_per_op": round(us, 2),
                          "cudaMalloc_during": None if before is None else after - before}), flush=True)


if __name__ == "__main__":
    main()
