#!/usr/bin/env python3
"""Rebuilds the Fashion-MNIST subset bundled for `cortex demo` (Sources/CortexRuns/Resources/fashion-mnist-subset).

Takes the first 300 images of each class from the training set and the first 100 of each class from
the test set of Debian's dataset-fashion-mnist package, keeping their original order, and writes them
as gzip-compressed IDX files (mtime 0, so the output is byte-for-byte reproducible).
"""
import gzip, struct, sys, os

SOURCE = '/usr/share/datasets/fashion-mnist/'
OUT = sys.argv[1] if len(sys.argv) > 1 else 'Sources/CortexRuns/Resources/fashion-mnist-subset'

def subset(images, labels, per_class):
    counts, chosen = [0] * 10, []
    for i, label in enumerate(labels[8:]):
        if counts[label] < per_class:
            counts[label] += 1
            chosen.append(i)
    n = len(chosen)
    image_bytes = struct.pack('>IIII', 2051, n, 28, 28) + b''.join(images[16 + i * 784:16 + (i + 1) * 784] for i in chosen)
    label_bytes = struct.pack('>II', 2049, n) + bytes(labels[8 + i] for i in chosen)
    return image_bytes, label_bytes

for split, source, per_class in [('train', 'train', 300), ('test', 't10k', 100)]:
    images = gzip.open(f'{SOURCE}{source}-images-idx3-ubyte.gz').read()
    labels = gzip.open(f'{SOURCE}{source}-labels-idx1-ubyte.gz').read()
    image_bytes, label_bytes = subset(images, labels, per_class)
    with open(os.path.join(OUT, f'{split}-images-idx3-ubyte.gz'), 'wb') as f: f.write(gzip.compress(image_bytes, 9, mtime=0))
    with open(os.path.join(OUT, f'{split}-labels-idx1-ubyte.gz'), 'wb') as f: f.write(gzip.compress(label_bytes, 9, mtime=0))
