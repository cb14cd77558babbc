"""Reads Fashion-MNIST from Debian's dataset-fashion-mnist package.

The package installs the four IDX files gzip-compressed under
/usr/share/datasets/fashion-mnist. IDX (LeCun's MNIST format): a big-endian
magic 0x0000 <type> <rank>, then <rank> big-endian uint32 dimensions, then
the data; type 0x08 is unsigned bytes.
"""

import gzip
import os
import struct

import numpy as np

DATASET_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
           "Shirt", "Sneaker", "Bag", "Ankle boot"]


def path(split, kind):
    """Path of 'train'/'t10k' 'images'/'labels'."""
    rank = "idx3" if kind == "images" else "idx1"
    return os.path.join(DATASET_DIR, f"{split}-{kind}-{rank}-ubyte.gz")


def read_idx(file):
    """The uint8 array stored in an IDX file (gzip-compressed or not)."""
    opener = gzip.open if file.endswith(".gz") else open
    with opener(file, "rb") as f:
        data = f.read()
    zero, kind, rank = struct.unpack(">HBB", data[:4])
    if zero != 0 or kind != 0x08:
        raise ValueError(f"{file}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def images(split):
    """Images of a split as float32 N x 1 x 28 x 28 in [0, 1] (pixel / 255),
    the same scaling tandem-run applies to IDX images."""
    raw = read_idx(path(split, "images"))
    return (raw.astype(np.float32) / 255.0)[:, None, :, :]


def labels(split):
    return read_idx(path(split, "labels")).astype(np.int64)


# Training-set mean and standard deviation of the pixels / 255.
MEAN, STD = 0.2860, 0.3530


def images_3x32(split, count=None):
    """The first `count` images of a split (all: None) in torchvision's
    classifiers' layout: float32 N x 3 x 32 x 32, each 28 x 28 image centred
    on a black border, normalized by the training set's mean and standard
    deviation, repeated over three channels."""
    x = images(split)[:count]
    out = np.full((len(x), 3, 32, 32), (0 - MEAN) / STD, np.float32)
    out[:, :, 2:30, 2:30] = (x - MEAN) / STD
    return out
