#!/usr/bin/python3
"""PyTorch twin of `d2l bench`: the chapter-7 models exactly as the book builds them (d2l-zh, PyTorch tab; defined
once, in torch_twins.py, which the parity tests also build), timed the same way (SGD training steps on random
data, median after warm-up).

Usage: torch_bench.py --model resnet18 --batch 256 --size 96 --threads 2 [--warmup 2 --steps 5 --budget 60]
Prints one line: D2L_BENCH_RESULT {"msPerStep": ..., "examplesPerSec": ..., "peakRssMiB": ..., ...}
"""
import argparse
import json
import resource
import statistics
import time

import warnings

import torch
from torch import nn

# The models are the parity tests' twins (test/torch/parity.py checks them against d2l's), so the benchmark times
# exactly what those tests verified. Python puts this script's folder on sys.path, where torch_twins.py ships.
from torch_twins import BENCH_MODELS


def main():
    warnings.filterwarnings('ignore', message='Lazy modules')
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', required=True, choices=sorted(BENCH_MODELS))
    ap.add_argument('--batch', type=int, required=True)
    ap.add_argument('--size', type=int, required=True)
    ap.add_argument('--threads', type=int, required=True)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--budget', type=float, default=60.0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = BENCH_MODELS[a.model]()
    X = torch.randn(a.batch, 1, a.size, a.size)
    y = torch.tensor([(i * 7) % 10 for i in range(a.batch)])
    net(X[:2])  # materialize lazy layers
    net.train()
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(net(X), y)
        loss.backward()
        opt.step()
        loss.item()

    t0 = time.time()
    for _ in range(a.warmup):
        step()
    warm = time.time() - t0
    times, deadline = [], time.time() + a.budget
    cpu0 = time.process_time()
    for _ in range(a.steps):
        s = time.perf_counter()
        step()
        times.append((time.perf_counter() - s) * 1000)
        if time.time() > deadline:
            break
    ms = statistics.median(times)
    cpu_ms = (time.process_time() - cpu0) * 1000 / len(times)
    print('D2L_BENCH_RESULT ' + json.dumps({
        'msPerStep': ms, 'cpuMsPerStep': cpu_ms, 'examplesPerSec': a.batch * 1000 / ms, 'steps': len(times), 'warmupSec': warm,
        'peakRssMiB': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)


if __name__ == '__main__':
    main()
