#!/usr/bin/env python3
"""numpy's bincount ECE, timed on the predictions the C# bench wrote (bench/MLNetExt.Benchmarks/EceSuite.cs).

Usage: python3 bench/ece_numpy.py DIR BINS
DIR holds p.f32 (float32 probabilities) and y.u8 (labels 0/1), one value per prediction, little-endian. The script
loads them once, then answers each line "run" on stdin with one timed run of every variant, one line each:
"<variant> <seconds> <ece>", and exits on "quit" or end of input. The C# bench interleaves these runs with its own,
so both are timed in the same conditions.

Variants (equal-width bins, left-closed, 1.0 in the last bin, as the C# default):
  typical  three bincounts (count, sum p, sum y), as calibration libraries write it
  minimal  one bincount of the residual y - p: the least work numpy can do for ECE
"""
import sys
import time

import numpy as np


def ece_typical(p, y, bins):
    idx = np.minimum((p * np.float32(bins)).astype(np.intp), bins - 1)
    count = np.bincount(idx, minlength=bins)
    conf = np.bincount(idx, weights=p, minlength=bins)
    acc = np.bincount(idx, weights=y, minlength=bins)
    nonempty = count > 0
    return float(np.sum(np.abs(acc[nonempty] - conf[nonempty])) / len(p))


def ece_minimal(p, y, bins):
    idx = np.minimum((p * np.float32(bins)).astype(np.intp), bins - 1)
    residual = np.bincount(idx, weights=y - p, minlength=bins)
    return float(np.sum(np.abs(residual)) / len(p))


def main():
    directory, bins = sys.argv[1], int(sys.argv[2])
    p = np.fromfile(f"{directory}/p.f32", dtype="<f4")
    y = np.fromfile(f"{directory}/y.u8", dtype=np.uint8).astype(np.float32)
    print(f"ready {len(p)} numpy {np.__version__}", flush=True)
    for line in sys.stdin:
        if line.strip() != "run":
            break
        for name, f in (("typical", ece_typical), ("minimal", ece_minimal)):
            start = time.perf_counter()
            value = f(p, y, bins)
            seconds = time.perf_counter() - start
            print(f"{name} {seconds!r} {value!r}", flush=True)


if __name__ == "__main__":
    main()
