"""The importer never crashes on input it did not expect.

Every model of the ONNX backend node tests (libonnx-testdata) and hundreds of
corrupted copies of a real model are imported: each must either succeed or
fail with a diagnostic and exit status 1 -- never a signal, an abort or a
hang.
"""

import concurrent.futures
import glob
import os
import random
import subprocess

import pytest

NODE_TESTS = sorted(glob.glob("/usr/share/libonnx-testdata/data/*/*/model.onnx"))


def import_status(build_dir, path):
    """(exit status, stderr) of importing `path`."""
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-translate"), "--import-onnx", path, "-o", os.devnull],
        capture_output=True, text=True, errors="replace", timeout=120, check=False)
    return run.returncode, run.stderr


def check_all(build_dir, paths):
    """Imports all `paths` in parallel; returns the ones that crashed."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        results = list(pool.map(lambda p: (p, *import_status(build_dir, p)), paths))
    bad = []
    for path, code, stderr in results:
        if code not in (0, 1) or (code == 1 and "error:" not in stderr):
            bad.append((path, code, stderr[-300:]))
    return results, bad


def test_onnx_node_test_models_never_crash(build_dir):
    assert len(NODE_TESTS) > 1000, "libonnx-testdata is not installed"
    results, bad = check_all(build_dir, NODE_TESTS)
    assert not bad, bad[:5]
    imported = sum(1 for _, code, _ in results if code == 0)
    # Most node tests use operators outside Tandem's set; hundreds do not.
    assert imported > 200


def corrupted_copies(source, directory, count, seed):
    """Truncations at every 1/32 of the file and random byte mutations."""
    data = open(source, "rb").read()
    rng = random.Random(seed)
    paths = []
    for i in range(1, 32):
        cut = len(data) * i // 32
        paths.append((f"cut{i}", data[:cut]))
    for i in range(count):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        paths.append((f"mut{i}", bytes(mutated)))
    written = []
    for name, blob in paths:
        path = os.path.join(directory, name + ".onnx")
        with open(path, "wb") as f:
            f.write(blob)
        written.append(path)
    return written


@pytest.mark.parametrize("model", ["test_conv_with_strides_padding", "test_gemm_default_single_elem_vector_bias"])
def test_corrupted_models_never_crash(build_dir, tmp_path, model):
    source = f"/usr/share/libonnx-testdata/data/node/{model}/model.onnx"
    paths = corrupted_copies(source, str(tmp_path), count=200, seed=7)
    _, bad = check_all(build_dir, paths)
    assert not bad, bad[:5]
