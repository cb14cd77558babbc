#!/usr/bin/env python3
"""Trains the Fashion-MNIST models Tandem's quantization work uses and
exports them to ONNX (opset 13): the three committed to examples/fashion-mnist/
and two torchvision architectures the benchmarks train on demand.

  cnn        plain CNN: two conv+BN+ReLU+max-pool stages, two fully connected
  resnet     residual network: stem, two basic blocks (one strided with a 1x1
             projection), global average pool, fully connected
  mobilenet  depthwise-separable network (MobileNet-style): stem, four
             depthwise 3x3 + pointwise 1x1 blocks with ReLU6, global average
             pool, fully connected

The three small models' inputs are N x 1 x 28 x 28 pixels / 255 (no mean/std normalization, so an IDX
image file is a valid input after dividing by 255). Batch norm is folded into
the convolutions by the exporter (eval mode). Deterministic for a seed on one
machine; run with Debian's interpreter:

  /usr/bin/python3 scripts/train_fashion_mnist.py [--models cnn,resnet,mobilenet]
      [--out-dir DIR]

Training takes a few minutes per model on two cores; CI never trains, the
exported files are committed. Writes <name>.onnx and accuracy.json (fp32
test accuracy from PyTorch) into --out-dir (examples/fashion-mnist).

Two more models are torchvision's architectures unchanged (ImageNet stem,
10 classes), trained on Fashion-MNIST in torchvision's input layout
(N x 3 x 32 x 32, fashion_mnist.images_3x32):

  resnet18      torchvision.models.resnet18, 21 layers, 11 M parameters
  mobilenet_v2  torchvision.models.mobilenet_v2, 53 layers, 2.2 M parameters

They are too large to commit (45 and 9 MB) and take 18 and 26 minutes on two
cores (measured beside other runs): the benchmarks train them on demand
into their work directory (--out-dir), with the same seed.
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fashion_mnist  # noqa: E402

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                       "examples", "fashion-mnist")


def conv_bn(cin, cout, kernel=3, stride=1, groups=1, act=nn.ReLU):
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups,
                  bias=False),
        nn.BatchNorm2d(cout), act())


class PlainCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn(1, 32), nn.MaxPool2d(2),
            conv_bn(32, 64), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
            nn.Linear(128, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, stride=stride)
        self.conv2 = nn.Sequential(
            nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout))
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False),
                nn.BatchNorm2d(cout))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.conv2(self.conv1(x)) + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(1, 32)
        self.layer1 = BasicBlock(32, 32, 1)
        self.layer2 = BasicBlock(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.layer2(self.layer1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


class MobileNet(nn.Module):
    def __init__(self):
        super().__init__()
        blocks = []
        for cin, cout, stride in [(32, 64, 1), (64, 128, 2), (128, 128, 1),
                                  (128, 256, 2)]:
            blocks += [conv_bn(cin, cin, stride=stride, groups=cin,
                               act=nn.ReLU6),
                       conv_bn(cin, cout, kernel=1, act=nn.ReLU6)]
        self.features = nn.Sequential(conv_bn(1, 32, act=nn.ReLU6), *blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def torchvision_network(name):
    def build():
        import torchvision
        return getattr(torchvision.models, name)(num_classes=10)
    return build


# name: (constructor, epochs, images of a split).
MODELS = {"cnn": (PlainCNN, 6, fashion_mnist.images),
          "resnet": (ResNet, 6, fashion_mnist.images),
          "mobilenet": (MobileNet, 8, fashion_mnist.images),
          "resnet18": (torchvision_network("resnet18"), 2, fashion_mnist.images_3x32),
          "mobilenet_v2": (torchvision_network("mobilenet_v2"), 2,
                           fashion_mnist.images_3x32)}


def accuracy(model, images, labels):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(images), 1000):
            logits = model(torch.from_numpy(images[i:i + 1000]))
            correct += int((logits.argmax(1).numpy() == labels[i:i + 1000]).sum())
    return correct / len(images)


def train(name, seed, out_dir):
    cls, epochs, split_images = MODELS[name]
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    x_train = split_images("train")
    y_train = fashion_mnist.labels("train")
    x_test = split_images("t10k")
    y_test = fashion_mnist.labels("t10k")
    model = cls()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=2e-3, total_steps=epochs * (len(x_train) // 128))
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        model.train()
        order = rng.permutation(len(x_train))
        start = time.time()
        for i in range(0, len(order) - 127, 128):
            idx = order[i:i + 128]
            xb = torch.from_numpy(x_train[idx])
            # Random horizontal flips: Fashion-MNIST's classes are mirror-safe.
            flip = torch.from_numpy(rng.random(len(idx)) < 0.5)
            xb[flip] = xb[flip].flip(3)
            opt.zero_grad()
            loss = loss_fn(model(xb), torch.from_numpy(y_train[idx]))
            loss.backward()
            opt.step()
            sched.step()
        print(f"{name} epoch {epoch + 1}/{epochs}: loss {loss.item():.3f}, "
              f"test {accuracy(model, x_test, y_test):.4f} "
              f"({time.time() - start:.0f} s)", flush=True)
    model.eval()
    acc = accuracy(model, x_test, y_test)
    out = os.path.join(out_dir, f"{name}.onnx")
    torch.onnx.export(model, torch.zeros(1, *x_test.shape[1:]), out, opset_version=13,
                      input_names=["image"], output_names=["logits"],
                      dynamic_axes={"image": {0: "batch"},
                                    "logits": {0: "batch"}})
    return acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cnn,resnet,mobilenet")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out-dir", default=OUT_DIR)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    os.makedirs(args.out_dir, exist_ok=True)
    summary_path = os.path.join(args.out_dir, "accuracy.json")
    summary = {}
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            summary = json.load(f)
    for name in args.models.split(","):
        if name not in MODELS:
            parser.error(f"unknown model '{name}' (known: {', '.join(MODELS)})")
        summary[name] = {"fp32_test_accuracy": train(name, args.seed, args.out_dir),
                         "test_images": 10000, "seed": args.seed,
                         "torch": torch.__version__}
        with open(summary_path, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
    print(json.dumps(summary, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
