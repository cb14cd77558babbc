"""tandem-codesign --scheduler ADDRESS: the tool's link to a Dask cluster.

The tool starts `python3 -m tandem.bridge` with pipes on its standard input
and output and speaks a line protocol:

  tool:   {"scheduler": ADDRESS, "options": {...}, "chunk_size": N,
           "worker_jobs": N}
  bridge: {"workers": N, "batch": N}      or {"error": MESSAGE}
  then, per batch:
  tool:   {"ids": [...]}
  bridge: {"n": N, "invalid": [...]} followed by N*6 float64 metrics, N
          float64 violations and N int64 host-op counts (little-endian
          bytes), or {"error": MESSAGE}

An empty line or end of input ends it. Messages go to the tool, which
reports them as its errors; nothing else is written to standard output.
"""

import json
import sys

import numpy as np


def main() -> int:
    inp = sys.stdin.buffer
    out = sys.stdout.buffer
    # The pipe is the protocol's alone: anything else printed goes to stderr.
    sys.stdout = sys.stderr

    def send(obj, payload=b""):
        out.write(json.dumps(obj).encode() + b"\n" + payload)
        out.flush()

    try:
        request = json.loads(inp.readline() or b"{}")
        from .distributed import DaskEvaluator, connect
        client = connect(request["scheduler"], request.get("timeout", 10))
        evaluator = DaskEvaluator(client, request["options"],
                                  chunk_size=request.get("chunk_size", 2000),
                                  worker_jobs=request.get("worker_jobs", 1))
        send({"workers": evaluator.workers(),
              "batch": evaluator.get_batch_size()})
    except Exception as e:  # everything goes back to the tool as text
        send({"error": str(e)})
        return 1
    while True:
        line = inp.readline()
        if not line.strip():
            break
        try:
            ids = np.array(json.loads(line)["ids"], dtype=np.uint64)
            values, violation, host_ops, invalid = evaluator(ids)
            payload = (np.ascontiguousarray(values, dtype="<f8").tobytes() +
                       np.ascontiguousarray(violation, dtype="<f8").tobytes() +
                       np.ascontiguousarray(host_ops, dtype="<i8").tobytes())
            send({"n": len(ids), "invalid": list(invalid)}, payload)
        except Exception as e:
            send({"error": f"{type(e).__name__}: {e}"})
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
