"""PyTorch's side of GemmBenchmark: torch.matmul at M=N=K (8192 by default) in fp32 (TF32 off),
tf32 and bf16, timed with CUDA events after a warm-up. Prints one JSON line of TFLOP/s.
Run on the GPU machine: python3 benchmarks/python/torch_gemm.py [size]"""
import json
import sys

import torch


def tflops(dtype, tf32, n, iters=20):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    a = torch.randn(n, n, device="cuda", dtype=dtype)
    b = torch.randn(n, n, device="cuda", dtype=dtype)
    for _ in range(3):
        torch.matmul(a, b)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(iters):
        torch.matmul(a, b)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1000 / iters
    return 2 * n ** 3 / seconds / 1e12


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 8192
    print(json.dumps({
        "device": torch.cuda.get_device_name(0),
        "torch": torch.__version__,
        "size": n,
        "fp32_tflops": round(tflops(torch.float32, False, n), 1),
        "tf32_tflops": round(tflops(torch.float32, True, n), 1),
        "bf16_tflops": round(tflops(torch.bfloat16, False, n), 1),
    }))


if __name__ == "__main__":
    main()
