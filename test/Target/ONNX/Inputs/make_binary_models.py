"""Writes the binary ONNX files that binary-files.test imports.

Usage: make_binary_models.py OUTDIR

conv.onnx           a conv with raw-data f32 weights, a typed-field (float_data)
                    bias, a float16 and an int8 initializer
truncated.onnx      the first half of conv.onnx
garbage.onnx        bytes that are not a protobuf message
external/model.onnx the same conv with its weights in external/weights.bin
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv_model():
    weight = numpy_helper.from_array(
        np.arange(2 * 3 * 3 * 3, dtype=np.float32).reshape(2, 3, 3, 3) / 100.0, "w")
    # A typed-field initializer (float_data instead of raw_data).
    bias = helper.make_tensor("b", TensorProto.FLOAT, [2], [0.5, -0.5])
    half = numpy_helper.from_array(np.array([1.5, -2.0], dtype=np.float16), "h")
    small = numpy_helper.from_array(np.array([-3, 4], dtype=np.int8), "i8")
    graph = helper.make_graph(
        [
            helper.make_node("Conv", ["x", "w", "b"], ["y"], name="/stem/conv",
                             pads=[1, 1, 1, 1]),
            helper.make_node("Identity", ["h"], ["hh"], name="/half"),
            helper.make_node("Identity", ["i8"], ["ii"], name="/small"),
        ],
        "binary_test",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [
            helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 4]),
            helper.make_tensor_value_info("hh", TensorProto.FLOAT16, [2]),
            helper.make_tensor_value_info("ii", TensorProto.INT8, [2]),
        ],
        [weight, bias, half, small],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                             ir_version=8)


def main(out):
    model = conv_model()
    onnx.checker.check_model(model)
    path = os.path.join(out, "conv.onnx")
    onnx.save(model, path)
    data = open(path, "rb").read()
    open(os.path.join(out, "truncated.onnx"), "wb").write(data[: len(data) // 2])
    open(os.path.join(out, "garbage.onnx"), "wb").write(b"\xff\xfe this is not ONNX \x00\x01")

    external = os.path.join(out, "external")
    os.makedirs(external, exist_ok=True)
    onnx.save(conv_model(), os.path.join(external, "model.onnx"),
              save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)


if __name__ == "__main__":
    main(sys.argv[1])
