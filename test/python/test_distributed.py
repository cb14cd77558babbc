"""Co-design batches on a Dask LocalCluster (2 worker processes): the same
result as one process, byte for byte, also when a worker dies mid-run; a
scheduler that cannot be reached is a clear error."""

import os
import signal
import subprocess

import pytest

from conftest import ROOT

distributed = pytest.importorskip("distributed")

RESNET = ROOT / "examples" / "resnet18.mlir"
SPACE = ROOT / "examples" / "resnet18-space.yaml"
OUTPUTS = ["pareto.json", "candidates.csv", "best-target.yaml",
           "report.html"]


@pytest.fixture(scope="module")
def cluster(tandem, build_dir):
    # Workers import the package from the build tree, as this process does.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str((build_dir / "python").resolve()),
         os.environ.get("PYTHONPATH", "")])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        with distributed.Client(cluster) as client:
            yield cluster, client


@pytest.fixture(scope="module")
def single(tandem, tmp_path_factory):
    """The single-process run every distributed run must equal."""
    out = tmp_path_factory.mktemp("single")
    tandem.codesign.explore(RESNET, SPACE, out, search="nsga2",
                            evaluations=80, seed=5)
    return out


def same_outputs(a, b):
    for name in OUTPUTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_search_on_two_workers_equals_one_process(tandem, cluster, single,
                                                  tmp_path):
    _, client = cluster
    out = tmp_path / "dask"
    result = tandem.codesign.explore(RESNET, SPACE, out, client=client,
                                     chunk_size=8, search="nsga2",
                                     evaluations=80, seed=5)
    assert result["finished"] and result["evaluations"] == 80
    same_outputs(single, out)


def test_exhaustive_search_in_chunks_equals_one_process(tandem, cluster,
                                                        tmp_path):
    _, client = cluster
    tandem.codesign.explore(RESNET, SPACE, tmp_path / "one")
    tandem.codesign.explore(RESNET, SPACE, tmp_path / "dask", client=client,
                            chunk_size=20)
    same_outputs(tmp_path / "one", tmp_path / "dask")


def test_a_worker_killed_mid_run_loses_nothing(tandem, cluster, single,
                                               tmp_path):
    _, client = cluster
    pids = client.run(os.getpid)
    killed = []

    def kill_one(done, total, feasible):
        # After the first generation, one worker dies; its nanny restarts
        # it and the scheduler re-runs its chunks.
        if not killed:
            victim = sorted(pids.values())[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    out = tmp_path / "killed"
    result = tandem.codesign.explore(RESNET, SPACE, out, client=client,
                                     chunk_size=8, search="nsga2",
                                     evaluations=80, seed=5,
                                     progress=kill_one)
    assert killed and result["finished"]
    same_outputs(single, out)
    client.wait_for_workers(2, timeout=60)


def test_the_tool_on_the_cluster_equals_one_process(cluster, single,
                                                    build_dir, tmp_path):
    local, _ = cluster
    out = tmp_path / "tool"
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-codesign"), str(RESNET), "--space",
         str(SPACE), "--out", str(out), "--search", "nsga2", "--evaluations",
         "80", "--seed", "5", "--scheduler", local.scheduler_address,
         "--chunk-size", "8", "--quiet"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    same_outputs(single, out)


def test_an_empty_batch_needs_no_worker(tandem, cluster, tmp_path):
    """NSGA-II's idle generations propose nothing."""
    _, client = cluster
    options = tandem.codesign._session_options(RESNET, SPACE, tmp_path, {})
    evaluator = tandem.distributed.DaskEvaluator(client, options)
    values, violation, host_ops, invalid = evaluator([])
    assert values.shape == (0, len(tandem.codesign.COLUMNS) - 1)
    assert len(violation) == len(host_ops) == len(invalid) == 0
    assert evaluator.tasks == 0


def test_an_unreachable_scheduler_is_a_clear_error(tandem, build_dir,
                                                   tmp_path):
    with pytest.raises(tandem.Error,
                       match="cannot reach the Dask scheduler at "
                             "'tcp://127.0.0.1:9'"):
        tandem.distributed.connect("tcp://127.0.0.1:9", timeout=2)
    out = tmp_path / "out"
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-codesign"), str(RESNET), "--space",
         str(SPACE), "--out", str(out), "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 1
    assert "tandem-codesign: error: --scheduler: cannot reach the Dask " \
           "scheduler at 'tcp://127.0.0.1:9'" in run.stderr
    assert not out.exists()


JOINT_SPACE = """base: bismo
parameters:
  rows: [8, 16]
network:
  - layers: all
    weight_bits: [8, 4, 2]
objectives: [latency, energy, accuracy_loss]
"""
DATA = "/usr/share/datasets/fashion-mnist"
JOINT_OPTIONS = dict(
    input_shapes=["image=100x1x28x28"],
    dataset=f"{DATA}/train-images-idx3-ubyte.gz",
    labels=f"{DATA}/train-labels-idx1-ubyte.gz",
    calibration_samples=100, validation_samples=200)


def test_a_joint_space_on_two_workers_equals_one_process(tandem, cluster,
                                                         build_dir, tmp_path):
    """Workers get the sensitivity table with the model and quantize each
    policy themselves; the estimates and the measured front are the same,
    from Python and from the tool (whose joint-space flags reach the
    workers)."""
    local, client = cluster
    space = tmp_path / "joint.yaml"
    space.write_text(JOINT_SPACE)
    cnn = ROOT / "examples" / "fashion-mnist" / "cnn.onnx"
    tandem.codesign.explore(cnn, space, tmp_path / "one", **JOINT_OPTIONS)
    result = tandem.codesign.explore(cnn, space, tmp_path / "dask",
                                     client=client, chunk_size=40,
                                     **JOINT_OPTIONS)
    assert result["evaluations"] == 2 * 3 ** 4
    o = JOINT_OPTIONS
    run = subprocess.run(
        [str(build_dir / "bin" / "tandem-codesign"), str(cnn), "--space",
         str(space), "--out", str(tmp_path / "tool"), "--input-shape",
         o["input_shapes"][0], "--dataset", o["dataset"], "--labels",
         o["labels"], "--calibration-samples", str(o["calibration_samples"]),
         "--validation-samples", str(o["validation_samples"]),
         "--scheduler", local.scheduler_address, "--quiet"],
        capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    for name in OUTPUTS + ["best-policy.json"]:
        for other in ("dask", "tool"):
            assert (tmp_path / "one" / name).read_bytes() == \
                (tmp_path / other / name).read_bytes(), (other, name)
    # The sensitivity table (measured here, sent to the workers) records
    # how long it took; the rest is the same.
    import json
    one, dask = (json.loads((tmp_path / d / "sensitivity.json").read_text())
                 for d in ("one", "dask"))
    one.pop("seconds")
    dask.pop("seconds")
    assert one == dask
