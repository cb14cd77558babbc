#!/usr/bin/env python3
"""Mixed-precision searches at a latency budget on BitFusion and BISMO.

For each model and target, runs tandem-quantize with every search at
`--budget latency=0.6` (a fraction of the same model at W8A8 on the same
target) and collects from its report.json: the measured latency and energy
reduction against W8A8 (whole model, and the searched layers alone), the
accuracy change against W8A8 on held-out data, the search's wall time and the
number of policies it measured. The searches of one (model, target) share one
sensitivity measurement (the integer program needs it; the others reuse the
cost tables only).

Models: the trained Fashion-MNIST models in examples/fashion-mnist (top-1 on
1,000 training images for the search, the 10,000 test images for the
result) and torchvision's ResNet-18 and MobileNetV2 trained on Fashion-MNIST
at 3x32x32 (scripts/train_fashion_mnist.py; trained into the work directory
on first use), top-1 on 500 training and 10,000 test images.

With --specialization, HAQ's experiment: a policy searched (ILP) for each of
bitfusion, bitfusion-cloud, bismo, bismo-cloud, each measured on every
target.

  /usr/bin/python3 bench/mixed_precision_benchmark.py [--build build]
      [--models cnn,resnet,mobilenet,resnet18,mobilenet_v2]
      [--targets bitfusion,bismo] [--searches ilp,evolution,ddpg]
      [--episodes 200] [--cnn-ddpg-episodes 600] [--specialization MODEL]
      [--work DIR] [--json out.json]
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import fashion_mnist  # noqa: E402

FASHION = ["cnn", "resnet", "mobilenet"]


def torchvision_model(name, work):
    """torchvision's `name` trained on Fashion-MNIST at 3x32x32
    (scripts/train_fashion_mnist.py, seed 0; trained into `work` on first
    use, 18-26 minutes on two cores) and its data as .npy: "validation" the
    first 2,000 training images (as for the Fashion-MNIST models), test all
    10,000, with labels. Runs side by side need separate work directories."""
    for split, directory, count in (("train", "val32", 2000), ("t10k", "test32", None)):
        out, labels = work / directory, work / f"{directory}-labels.npy"
        if labels.exists():  # written last: the images are complete
            continue
        out.mkdir(exist_ok=True)
        np.save(out / "images.npy", fashion_mnist.images_3x32(split, count))
        np.save(labels, fashion_mnist.labels(split)[:count])
    path = work / f"{name}.onnx"
    if not path.exists():
        subprocess.run([sys.executable, ROOT / "scripts" / "train_fashion_mnist.py",
                        "--models", name, "--out-dir", work], check=True)
    return path, ["--input-shape", "image=50x3x32x32",
                  "--dataset", work / "val32", "--labels", work / "val32-labels.npy",
                  "--test-dataset", work / "test32",
                  "--test-labels", work / "test32-labels.npy"]


def fashion_model(name):
    d = "/usr/share/datasets/fashion-mnist"
    return ROOT / "examples" / "fashion-mnist" / f"{name}.onnx", [
        "--input-shape", "image=100x1x28x28",
        "--dataset", f"{d}/train-images-idx3-ubyte.gz",
        "--labels", f"{d}/train-labels-idx1-ubyte.gz",
        "--test-dataset", f"{d}/t10k-images-idx3-ubyte.gz",
        "--test-labels", f"{d}/t10k-labels-idx1-ubyte.gz"]


def run(build, model, args, out, extra):
    start = time.time()
    cmd = [str(build / "bin" / "tandem-quantize"), str(model), *map(str, args), "--out", str(out),
           "--quiet", *map(str, extra)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1], "command": " ".join(cmd)}
    report = json.loads((out / "report.json").read_text())
    report["wall_seconds"] = time.time() - start
    return report


def summarize(model, target, search, r):
    if "error" in r:
        return {"model": model, "target": target, "search": search, "error": r["error"]}
    c = r["chosen"]
    base = next(b for b in r["baselines"] if b["name"] == "W8A8")
    split = "test" if "test" in c else "validation"
    score = lambda q: q["accuracy"] if q["accuracy"] is not None else q["agreement"]
    return {
        "model": model, "target": target, "search": search,
        "measure": "top-1" if c[split]["accuracy"] is not None else "agreement",
        "w8a8_score": score(base[split]), "score": score(c[split]),
        "score_change": score(c[split]) - score(base[split]),
        "latency_reduction": c["vs_w8a8"]["latency_reduction"],
        "energy_reduction": c["vs_w8a8"]["energy_reduction"],
        "layers_latency_reduction": c["vs_w8a8"]["layers_latency_reduction"],
        "layers_energy_reduction": c["vs_w8a8"]["layers_energy_reduction"],
        "meets_budgets": c["meets_budgets"],
        "meets_budgets_measured": c["meets_budgets_measured"],
        "search_seconds": r["search"]["seconds"],
        "sensitivity_seconds": r["seconds"]["sensitivity"],
        "policies_measured": r["search"]["policies_measured"],
        "sensitivity_models": r["sensitivity"]["models_measured"],
        "bits": [(l["weight_bits"], l["activation_bits"]) for l in c["layers"]],
        "baselines": {b["name"]: {"score": score(b[split]),
                                  "latency_reduction": base["latency_ms"] / b["latency_ms"],
                                  "energy_reduction": base["energy_uj"] / b["energy_uj"]}
                      for b in r["baselines"]},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", default=str(ROOT / "build"))
    parser.add_argument("--models", default="cnn,resnet,mobilenet,resnet18,mobilenet_v2")
    parser.add_argument("--targets", default="bitfusion,bismo")
    parser.add_argument("--searches", default="ilp,evolution,ddpg")
    parser.add_argument("--budget", default="latency=0.6",
                        help="comma-separated budgets, e.g. latency=0.6,energy=0.5")
    parser.add_argument("--activation-clipping", default="percentile")
    parser.add_argument("--percentile", default="99.99",
                        help="share of values kept by percentile clipping (and auto's candidate)")
    parser.add_argument("--episodes", type=int, default=200,
                        help="DDPG episodes and evolution evaluations")
    parser.add_argument("--cnn-ddpg-episodes", type=int, default=600)
    parser.add_argument("--validation-samples", type=int, default=1000,
                        help="Fashion-MNIST models: samples per measurement")
    parser.add_argument("--torchvision-validation-samples", type=int, default=500,
                        help="ResNet-18 and MobileNetV2: samples per measurement")
    parser.add_argument("--torchvision-episodes", type=int, default=100)
    parser.add_argument("--specialization", default="",
                        help="run HAQ's specialization experiment on this model")
    parser.add_argument("--specialization-budget", default="latency=0.6")
    parser.add_argument("--weight-rounding", default="nearest",
                        choices=["nearest", "gptq", "gptq-sequential"])
    parser.add_argument("--depthwise-inputs", default="per-tensor",
                        choices=["per-tensor", "per-channel"],
                        help="grids of the tensors only depthwise layers read")
    parser.add_argument("--bias-correction", action="store_true",
                        help="correct each layer's mean output error in its bias")
    parser.add_argument("--work", default="/tmp/tandem-mixed-precision-bench")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    build = pathlib.Path(args.build)
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    # Search settings shared by every run: budgets over the searched layers
    # (HAQ's tables; BISMO runs pooling on its host, which no width changes),
    # percentile clipping of activations, 1,000 validation samples.
    budgets = lambda text: [a for b in text.split(",") for a in ("--budget", b)]
    settings = ["--budget-scope", "layers", "--activation-clipping", args.activation_clipping,
                "--percentile", args.percentile, "--weight-rounding", args.weight_rounding,
                "--depthwise-inputs", args.depthwise_inputs, "--num-threads", "2"]
    if args.bias_correction:
        settings.append("--bias-correction")
    common = budgets(args.budget) + settings

    def model_args(name):
        if name in FASHION:
            return fashion_model(name)
        return torchvision_model(name, work)

    rows = []
    for name in [m for m in args.models.split(",") if m]:
        path, margs = model_args(name)
        # The torchvision models' 21 and 53 layers: widths {2, 4, 8} (the ones
        # BitFusion has), fewer samples and episodes, to stay under an hour.
        widths = ["--validation-samples", args.validation_samples] if name in FASHION else [
            "--bits", "2,4,8", "--validation-samples", args.torchvision_validation_samples]
        for target in args.targets.split(","):
            sens = work / f"{name}-{target}-sensitivity.json"
            for search in args.searches.split(","):
                episodes = args.episodes if name in FASHION else args.torchvision_episodes
                if name == "cnn" and search == "ddpg":
                    episodes = args.cnn_ddpg_episodes
                out = work / f"{name}-{target}-{search}"
                r = run(build, path, margs + common + widths,
                        out, ["--target", target, "--search", search, "--episodes", episodes,
                              "--sensitivity", sens])
                row = summarize(name, target, search, r)
                rows.append(row)
                print(json.dumps(row), flush=True)

    special = []
    if args.specialization:
        name = args.specialization
        path, margs = model_args(name)
        targets = ["bitfusion", "bitfusion-cloud", "bismo", "bismo-cloud"]
        # Widths every target has, so that each policy runs on each target;
        # 2,000 test images and the mapper's heuristic keep 20 runs short.
        margs = margs + ["--bits", "2,4,8", "--validation-samples", 1000, "--test-samples",
                         2000, "--mapper", "heuristic"]
        for source in targets:
            out = work / f"special-{name}-{source}"
            special_common = budgets(args.specialization_budget) + settings
            r = run(build, path, margs + special_common, out,
                    ["--target", source, "--search", "ilp",
                     "--sensitivity", work / f"special-{name}-{source}-sensitivity.json"])
            if "error" in r:
                special.append({"searched_for": source, "error": r["error"]})
                continue
            policy = out / "policy.json"
            for target in targets:
                e = run(build, path, margs + special_common,
                        work / f"special-{name}-{source}-on-{target}",
                        ["--target", target, "--policy", policy])
                if "error" in e:
                    special.append({"searched_for": source, "on": target, "error": e["error"]})
                    continue
                c = e["chosen"]
                base = next(b for b in e["baselines"] if b["name"] == "W8A8")
                split = "test" if "test" in c else "validation"
                q = c[split]["accuracy"] if c[split]["accuracy"] is not None \
                    else c[split]["agreement"]
                row = {"searched_for": source, "on": target, "score": q,
                       "layers_latency_ms": c["layers_latency_ms"],
                       "layers_latency_fraction": c["layers_latency_ms"] / base["layers_latency_ms"],
                       "layers_energy_fraction": c["layers_energy_uj"] / base["layers_energy_uj"],
                       "bits": [(l["weight_bits"], l["activation_bits"]) for l in c["layers"]]}
                special.append(row)
                print(json.dumps(row), flush=True)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps({"runs": rows, "specialization": special},
                                                      indent=1))


if __name__ == "__main__":
    main()
