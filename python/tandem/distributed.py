"""Co-design batches on a dask.distributed cluster (docs/distributed.md).

A search runs where it was started; only its batches of design points go to
the cluster. The evaluator's inputs (the models' and the space's files, the
options that decide a point's metrics, a joint space's sensitivity table)
are scattered once to every worker; each worker builds its own session from
them on first use and keeps it. A batch is split into at most one chunk per
worker (and at most `chunk_size` points per chunk); a chunk whose worker
dies is re-run elsewhere by the scheduler. Points are scored independently
of their batch, so the result is the single machine's, byte for byte.
"""

import hashlib
import math
import os
import shutil
import tempfile
import threading
from concurrent.futures import CancelledError

import numpy as np

from ._tandem import Error

#: The options that decide a point's metrics; the rest (search, budget,
#: outputs) stay with the search.
EVALUATION_OPTIONS = (
    "weights", "input_shapes", "allow_unsupported", "mapper",
    "mapper_objective", "seed", "float_bits", "fuse", "dataset", "labels",
    "calibration_samples", "validation_samples", "bias_correction",
    "depthwise_inputs", "activation_clipping", "percentile", "weight_rounding")


def _metric_names():
    from ._tandem import codesign
    return codesign.metric_names()


def connect(address: str, timeout: float = 10):
    """A Client of the scheduler at `address`, or tandem.Error naming it."""
    try:
        from dask.distributed import Client
    except ImportError as e:
        raise Error("Dask is not installed (Debian: python3-distributed): "
                    f"{e}") from None
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as e:
        raise Error(f"cannot reach the Dask scheduler at '{address}' "
                    f"within {timeout:g} s: {e}") from None


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def make_payload(options: dict, worker_jobs: int = 1) -> dict:
    """What a worker needs to score points as the session in `options` does:
    file contents, not paths (the cluster need not share a file system;
    dataset paths of joint spaces excepted)."""
    # By index: two models may share a file name.
    models = [(f"{i}/{os.path.basename(p)}", _read(p))
              for i, p in enumerate(options["models"])]
    space_path = options["space"]
    space = (os.path.basename(space_path), _read(space_path))
    # A base target given as a relative path travels with the space.
    extra = []
    for line in space[1].decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(":")
        value = value.split("#")[0].strip().strip("'\"")
        if key.strip() == "base" and value and not os.path.isabs(value) and \
                ("/" in value or value.endswith(".yaml")):
            extra.append((value, _read(os.path.join(
                os.path.dirname(space_path), value))))
    sensitivity = None
    sensitivity_path = os.path.join(options["out"], "sensitivity.json")
    if os.path.exists(sensitivity_path):
        sensitivity = _read(sensitivity_path)
    worker_options = {k: options[k] for k in EVALUATION_OPTIONS
                      if options.get(k) is not None}
    for k in ("dataset", "labels"):
        if k in worker_options:
            worker_options[k] = os.path.abspath(worker_options[k])
    digest = hashlib.sha256()
    for name, data in models + [space] + extra:
        digest.update(name.encode() + b"\0" + data + b"\0")
    digest.update(sensitivity or b"")
    digest.update(repr(sorted(worker_options.items())).encode())
    return {"key": digest.hexdigest(), "models": models, "space": space,
            "extra": extra, "sensitivity": sensitivity,
            "options": worker_options, "jobs": worker_jobs}


#: Chunks per worker and batch, and the smallest chunk worth a task.
TASKS_PER_WORKER = 4
MIN_CHUNK = 100

#: Sessions a worker keeps (the most recent runs' inputs).
MAX_SESSIONS = 2

_sessions = {}
_sessions_lock = threading.Lock()


def _keep_freed_memory():
    """Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536: glibc
    then gives freed memory back to the system after nearly every chunk of
    the mapper's allocations and takes it again, and a worker spent a third
    of its time in system calls (2 workers: 40 s, 29 s with this). A
    Tandem worker lets glibc keep up to 256 MiB."""
    try:
        import ctypes
        M_TRIM_THRESHOLD = -1
        ctypes.CDLL("libc.so.6").mallopt(M_TRIM_THRESHOLD, 256 << 20)
    except (OSError, AttributeError):  # not glibc: nothing to tune
        pass


def _worker_session(payload):
    """This process's session for `payload`, built once."""
    from ._tandem import codesign
    with _sessions_lock:
        entry = _sessions.get(payload["key"])
        if entry is None:
            if not _sessions:
                _keep_freed_memory()
            root = tempfile.mkdtemp(prefix="tandem-worker-")
            models = []
            for name, data in payload["models"]:
                path = os.path.join(root, "models", name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
                models.append(path)
            space_dir = os.path.join(root, "space")
            for relative, data in payload["extra"]:
                path = os.path.join(space_dir, relative)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
            os.makedirs(space_dir, exist_ok=True)
            space = os.path.join(space_dir, payload["space"][0])
            with open(space, "wb") as f:
                f.write(payload["space"][1])
            out = os.path.join(root, "out")
            os.makedirs(out)
            if payload["sensitivity"] is not None:
                with open(os.path.join(out, "sensitivity.json"), "wb") as f:
                    f.write(payload["sensitivity"])
            options = dict(payload["options"], models=models, space=space,
                           out=out, jobs=payload["jobs"])
            try:
                entry = (codesign.Session(options), threading.Lock())
            finally:
                # The session has read everything it needs.
                shutil.rmtree(root, ignore_errors=True)
            while len(_sessions) >= MAX_SESSIONS:
                _sessions.pop(next(iter(_sessions)))
            _sessions[payload["key"]] = entry
    return entry


def evaluate_chunk(ids, payload):
    """A worker's task: the metrics of points `ids`."""
    session, lock = _worker_session(payload)
    with lock:
        return session.evaluate(np.asarray(ids, dtype=np.uint64))


class DaskEvaluator:
    """Evaluates a session's batches on `client`'s workers."""

    def __init__(self, client, options: dict, chunk_size: int = 2000,
                 worker_jobs: int = 1):
        if chunk_size < 1:
            raise Error("chunk_size must be at least 1")
        self.worker_jobs = worker_jobs
        self.client = client
        self.options = options
        self.chunk_size = chunk_size
        self._payload = None
        self.tasks = 0

    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))

    def get_batch_size(self) -> int:
        """Points per batch for searches that choose it (exhaustive,
        random): TASKS_PER_WORKER chunks of `chunk_size` per worker, so
        that batches end (and wait for their slowest chunk) rarely."""
        return self.chunk_size * TASKS_PER_WORKER * max(1, self.workers())

    def __call__(self, ids: np.ndarray):
        # Built on the first batch: by then a joint space's sensitivity
        # table is in `out`.
        if self._payload is None:
            # In a list: scatter() would send a dict's values as separate
            # keys.
            [self._payload] = self.client.scatter(
                [make_payload(self.options, self.worker_jobs)],
                broadcast=True, hash=False)
        ids = np.asarray(ids, dtype=np.uint64)
        if len(ids) == 0:
            return (np.zeros((0, len(_metric_names())), np.float64),
                    np.zeros(0, np.float64), np.zeros(0, np.int64), [])
        workers = max(1, self.workers())
        # A few chunks per worker, so that one slow chunk does not leave the
        # others idle at the end of the batch; never below MIN_CHUNK points
        # (scheduling overhead) unless the batch is that small.
        size = math.ceil(len(ids) / (TASKS_PER_WORKER * workers))
        size = max(size, min(MIN_CHUNK, math.ceil(len(ids) / workers)))
        size = max(1, min(self.chunk_size, size))
        chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
        for attempt in range(3):
            futures = self.client.map(evaluate_chunk, chunks,
                                      payload=self._payload, pure=False)
            self.tasks += len(futures)
            try:
                parts = self.client.gather(futures)
                break
            except CancelledError:
                # The scheduler dropped a chunk (or the payload) with a
                # worker lost mid-gather; chunks are pure: send them again.
                if attempt == 2:
                    raise
                [self._payload] = self.client.scatter(
                    [make_payload(self.options, self.worker_jobs)],
                    broadcast=True, hash=False)
        return (np.concatenate([p[0] for p in parts]),
                np.concatenate([p[1] for p in parts]),
                np.concatenate([p[2] for p in parts]),
                [reason for p in parts for reason in p[3]])


__all__ = ["connect", "DaskEvaluator", "evaluate_chunk", "make_payload"]
