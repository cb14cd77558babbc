#!/usr/bin/python3
"""Writes models whose external data is hostile, into the directory given:

escape/model.onnx    weights through a symlink to a file outside its directory
device/model.onnx    weights through a symlink to /dev/zero
fifo/model.onnx      weights in a named pipe
offset/model.onnx    an offset near 2^63 (offset + length overflows)
length/model.onnx    a length of 2^62
short/model.onnx     a length shorter than the shape needs
"""

import os
import sys

import onnx
from onnx import TensorProto, helper


def model(entries):
    """y = x + w, w a float[4] initializer kept in external data."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[4])
    w.data_location = TensorProto.EXTERNAL
    for key, value in entries:
        e = w.external_data.add()
        e.key, e.value = key, value
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "w"], ["y"], name="add")], "hostile",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4])], [w])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def write(out, name, entries, data=None, link=None, fifo=False):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "weights.bin")
    if link:
        os.symlink(link, path)
    elif fifo:
        os.mkfifo(path)
    else:
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(d, "model.onnx"), "wb") as f:
        f.write(model([("location", "weights.bin")] + entries).SerializeToString())


def main(out):
    with open(os.path.join(out, "secret.bin"), "wb") as f:
        f.write(bytes(16))
    write(out, "escape", [], link=os.path.join(out, "secret.bin"))
    write(out, "device", [], link="/dev/zero")
    write(out, "fifo", [], fifo=True)
    write(out, "offset", [("offset", str(2**63 - 8)), ("length", "16")], bytes(16))
    write(out, "length", [("length", str(2**62))], bytes(16))
    write(out, "short", [("length", "8")], bytes(16))


if __name__ == "__main__":
    main(sys.argv[1])
