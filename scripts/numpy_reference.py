#!/usr/bin/env python3
"""The book's chapter-1 training in numpy, for scripts/bench-compare.mjs.

Nielsen's network.py algorithm: sigmoid neurons, quadratic cost, plain
mini-batch SGD, N(0, 1) initial weights and biases; with backprop done the
chapter-2 exercise's way, fully matrix-based over the mini-batch (one matrix
product per layer for the whole batch). Written the way a numpy user would
write it, so that numpy is measured at its best, and laid out like
mnist-train: examples are rows, a mini-batch X is (m, 784), W[l] is
(n_out, n_in) and a layer is A[l+1] = sigmoid(A[l] @ W[l].T + b[l]).

--per-example runs the book's own update_mini_batch loop instead (one
backprop per example, gradients summed), to show what the matrix form saves.

Prints one line per epoch on stdout:

    Epoch 1: 9031 / 10000  train 0.412 s  eval 0.021 s

where "train" is the shuffle, the gathers and the SGD steps of the epoch,
and "eval" the scoring of the test images, timed apart as mnist-train does.

    python3 scripts/numpy_reference.py --data-dir DIR [--sizes 784,30,10]
        [--epochs 30] [--batch-size 10] [--eta 3.0] [--seed 1] [--per-example]
"""

import argparse
import sys
import time

import numpy as np


def read_idx(path, magic, dims):
    """The array in an IDX file of unsigned bytes with `dims` dimensions."""
    with open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * dims
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        sys.exit("numpy_reference: %s is not an IDX file of %d dimensions" % (path, dims))
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    if len(data) != header + int(np.prod(shape)):
        sys.exit("numpy_reference: %s: size does not match its header" % path)
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load(data_dir):
    """The book's split: the first 50,000 training images; the 10,000 test images.
    Pixels scaled to [0, 1] as float64 rows of 784."""
    def images(name):
        x = read_idx("%s/%s-images-idx3-ubyte" % (data_dir, name), 2051, 3)
        return x.reshape(x.shape[0], -1).astype(np.float64) / 255.0

    def labels(name):
        return read_idx("%s/%s-labels-idx1-ubyte" % (data_dir, name), 2049, 1).astype(np.intp)

    return images("train")[:50000], labels("train")[:50000], images("t10k"), labels("t10k")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Network:
    def __init__(self, sizes, rng):
        self.weights = [rng.standard_normal((n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
        self.biases = [rng.standard_normal(n_out) for n_out in sizes[1:]]

    def forward(self, X):
        """Activations of every layer for the rows of X, X first."""
        acts = [X]
        for W, b in zip(self.weights, self.biases):
            acts.append(sigmoid(acts[-1] @ W.T + b))
        return acts

    def gradients(self, X, Y):
        """Sums over the rows of X of the quadratic cost's gradients.
        sigma'(z) is taken as a(1 - a) from the stored activation."""
        acts = self.forward(X)
        a = acts[-1]
        delta = (a - Y) * a * (1.0 - a)  # BP1
        grad_w, grad_b = [], []
        for l in range(len(self.weights) - 1, -1, -1):
            grad_w.append(delta.T @ acts[l])  # BP4, summed over the batch by the product
            grad_b.append(delta.sum(axis=0))  # BP3
            if l > 0:
                a = acts[l]
                delta = (delta @ self.weights[l]) * a * (1.0 - a)  # BP2
        return grad_w[::-1], grad_b[::-1]

    def step(self, X, Y, eta, per_example):
        if per_example:
            sums = None
            for i in range(X.shape[0]):
                g = self.gradients(X[i:i + 1], Y[i:i + 1])
                sums = g if sums is None else [[s + x for s, x in zip(ss, gg)] for ss, gg in zip(sums, g)]
            grad_w, grad_b = sums
        else:
            grad_w, grad_b = self.gradients(X, Y)
        rate = eta / X.shape[0]
        for W, b, gw, gb in zip(self.weights, self.biases, grad_w, grad_b):
            W -= rate * gw
            b -= rate * gb

    def correct(self, X, labels):
        return int(np.count_nonzero(self.forward(X)[-1].argmax(axis=1) == labels))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data-dir", required=True, help="folder of the four MNIST IDX files")
    p.add_argument("--sizes", default="784,30,10")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=10)
    p.add_argument("--eta", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--per-example", action="store_true", help="the book's per-example loop instead of the matrix form")
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    train_x, train_y, test_x, test_y = load(args.data_dir)
    if sizes[0] != train_x.shape[1] or sizes[-1] != 10:
        sys.exit("numpy_reference: --sizes %s: expected %d inputs and 10 outputs" % (args.sizes, train_x.shape[1]))
    targets = np.eye(10)[train_y]  # one-hot rows
    rng = np.random.default_rng(args.seed)
    net = Network(sizes, rng)
    n, m = train_x.shape[0], args.batch_size
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        for k in range(0, n, m):
            batch = order[k:k + m]
            net.step(train_x[batch], targets[batch], args.eta, args.per_example)
        t1 = time.perf_counter()
        correct = net.correct(test_x, test_y)
        t2 = time.perf_counter()
        print("Epoch %d: %d / %d  train %.3f s  eval %.3f s" % (epoch, correct, len(test_y), t1 - t0, t2 - t1), flush=True)


if __name__ == "__main__":
    main()
