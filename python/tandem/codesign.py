"""Co-design from Python: design spaces, batch evaluation, whole searches.

    import tandem
    ev = tandem.codesign.Evaluator(["model.mlir"], "space.yaml")
    table = ev.evaluate(np.arange(100))       # [100, metrics + violation]
    result = tandem.codesign.explore(["model.mlir"], "space.yaml", "out",
                                     search="nsga2", evaluations=2000)

Options are tandem-codesign's flags with dashes as underscores (seed,
mapper, mapper_objective, jobs, dataset, ...); the outputs in `out` are the
tool's. With `client=` a dask.distributed Client, every batch is evaluated
on the cluster (docs/distributed.md) and the result is the same.
"""

import json
import os
import tempfile
from typing import Callable, Optional, Sequence, Union

import numpy as np

from ._tandem import Error
from ._tandem import codesign as _codesign

Space = _codesign.Space
Session = _codesign.Session
PathLike = Union[str, os.PathLike]

#: Column names of evaluate()'s table: the metrics' report keys, then the
#: budget violation (0: feasible).
COLUMNS = tuple(_codesign.metric_names()) + ("violation",)


def _session_options(models, space, out, options) -> dict:
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    result = dict(options)
    result["models"] = [os.path.abspath(os.fspath(m)) for m in models]
    result["space"] = os.path.abspath(os.fspath(space))
    result["out"] = os.path.abspath(os.fspath(out))
    return result


class Evaluator:
    """Scores design points of `space` on `models` without a search: the
    batch API. `out` holds a joint space's sensitivity file (a temporary
    directory if not given); options as explore()'s."""

    def __init__(self, models: Union[PathLike, Sequence[PathLike]],
                 space: PathLike, out: Optional[PathLike] = None, **options):
        self._tmp = None
        if out is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="tandem-")
            out = self._tmp.name
        self.options = _session_options(models, space, out, options)
        self._session = Session(self.options)

    @property
    def space(self) -> Space:
        """The space, bound to the model (network parameters included)."""
        return self._session.space

    @property
    def size(self) -> int:
        return self._session.space.size

    def evaluate(self, points) -> np.ndarray:
        """A float64 array [n, len(COLUMNS)]: each point's metrics and its
        budget violation. `points` are ids (1-D) or value indices (2-D, one
        column per parameter). A design that cannot run the workload has
        metrics of 0; evaluate_details() gives the reason."""
        values, violation, _, _ = self._session.evaluate(points)
        return np.column_stack([values, violation])

    def evaluate_details(self, points) -> dict:
        """evaluate() as a dict of arrays by column, with `host_ops`,
        `invalid` (the reason, or "") and `feasible`."""
        values, violation, host_ops, invalid = self._session.evaluate(points)
        result = {name: values[:, i] for i, name in enumerate(COLUMNS[:-1])}
        result["violation"] = violation
        result["host_ops"] = host_ops
        result["invalid"] = np.array(invalid, dtype=object)
        result["feasible"] = (violation == 0) & (result["invalid"] == "")
        return result


def explore(models: Union[PathLike, Sequence[PathLike]], space: PathLike,
            out: PathLike, *, client=None, chunk_size: int = 2000,
            worker_jobs: int = 1, progress: Optional[Callable[[int, int, int], None]] = None,
            **options) -> dict:
    """Runs a co-design search as tandem-codesign does and writes its
    outputs (pareto.json, candidates.csv, report.html, best-target.yaml,
    ...) to `out`. Returns {"finished", "search", "evaluations",
    "new_evaluations", "pareto" (pareto.json as a dict, when finished)}.

    client: a dask.distributed Client; every batch is split into chunks of
    at most `chunk_size` points evaluated on its workers, each with
    `worker_jobs` threads (the model is scattered once; a worker that dies
    has its chunks re-run). The result is the same as without it. progress(done, total, feasible) is called
    after every batch. Ctrl-C stops after the batch with a checkpoint
    (continue with resume=True) and raises KeyboardInterrupt."""
    session_options = _session_options(models, space, out, options)
    remote = None
    if client is not None:
        from .distributed import DaskEvaluator
        # Workers read the data by path, and the sensitivity table they get
        # is keyed by it: the same absolute path on both sides.
        for key in ("dataset", "labels"):
            if session_options.get(key):
                session_options[key] = os.path.abspath(session_options[key])
        remote = DaskEvaluator(client, session_options, chunk_size=chunk_size,
                               worker_jobs=worker_jobs)
        # Exhaustive and random searches send batches of a few whole chunks
        # per worker; the result does not depend on it.
        session_options.setdefault("batch", remote.get_batch_size())
    session = Session(session_options, remote, progress)
    finished = session.explore()
    result = {"finished": finished, "search": session.search,
              "evaluations": len(session.archive[0]),
              "new_evaluations": session.new_evaluations,
              "notes": session.notes}
    if finished:
        session.write_outputs()
        with open(os.path.join(session_options["out"], "pareto.json")) as f:
            result["pareto"] = json.load(f)
    return result


__all__ = ["Space", "Session", "Evaluator", "explore", "COLUMNS", "Error"]
