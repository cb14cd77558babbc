//===- LibonnxGuards.cpp - Refuse what libonnx would crash on -------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// libonnx's shape inference and version converter index attribute lists and
// shapes without checking them: a Conv with stride 0 divides by zero, a
// `strides` list shorter than the kernel's rank reads past its end, and the
// opset-6 Gemm adapter reads dims 0 and 1 of inputs of any rank. These
// checks run before the model reaches libonnx and turn each case into an
// error naming the node.
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/Twine.h"

#include "onnx/onnx_pb.h"

using namespace llvm;

namespace tandem::onnx_import {

namespace {

/// Ranks of the values whose shape the model states.
StringMap<int64_t> getKnownRanks(const onnx::GraphProto &graph) {
  StringMap<int64_t> ranks;
  auto add = [&](const onnx::ValueInfoProto &v) {
    if (v.type().has_tensor_type() && v.type().tensor_type().has_shape())
      ranks[v.name()] = v.type().tensor_type().shape().dim_size();
  };
  for (const auto &v : graph.input())
    add(v);
  for (const auto &v : graph.value_info())
    add(v);
  for (const auto &init : graph.initializer())
    ranks[init.name()] = init.dims_size();
  return ranks;
}

const onnx::AttributeProto *findAttr(const onnx::NodeProto &node,
                                     StringRef name) {
  for (const auto &a : node.attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

Error nodeError(const onnx::NodeProto &node, const Twine &what) {
  std::string name = node.name().empty()
                         ? (node.output_size() ? node.output(0) : "")
                         : node.name();
  return createStringError(inconvertibleErrorCode(), "node '" + name + "' (" +
                                                         node.op_type() +
                                                         "): " + what);
}

/// Conv-like nodes: attribute values in range and list lengths consistent
/// with each other and with the spatial rank where it is known.
Error checkWindowNode(const onnx::NodeProto &node,
                      ArrayRef<unsigned> spatialInputs,
                      const StringMap<int64_t> &ranks) {
  int64_t spatial = -1;
  auto agree = [&](int64_t rank, StringRef from) -> Error {
    if (spatial < 0 || spatial == rank) {
      spatial = rank;
      return Error::success();
    }
    return nodeError(node, from + " implies " + Twine(rank) +
                               " spatial dimensions, others " + Twine(spatial));
  };
  for (unsigned i : spatialInputs)
    if (auto it = i < unsigned(node.input_size()) ? ranks.find(node.input(i))
                                                  : ranks.end();
        it != ranks.end()) {
      if (it->second < 3)
        return nodeError(node, "input '" + node.input(i) + "' has rank " +
                                   Twine(it->second) +
                                   "; windows need rank 3 or more (N, C, "
                                   "spatial...)");
      if (Error err = agree(it->second - 2, "input '" + node.input(i) + "'"))
        return err;
    }
  struct ListRule {
    const char *name;
    int64_t least;
    int64_t perDim;
  };
  for (ListRule rule :
       {ListRule{"kernel_shape", 1, 1}, ListRule{"strides", 1, 1},
        ListRule{"dilations", 1, 1}, ListRule{"pads", 0, 2},
        ListRule{"output_padding", 0, 1}, ListRule{"output_shape", 1, 1}}) {
    const onnx::AttributeProto *a = findAttr(node, rule.name);
    if (!a)
      continue;
    for (int64_t v : a->ints())
      if (v < rule.least)
        return nodeError(node, Twine(rule.name) + " has the value " + Twine(v) +
                                   "; each must be at least " +
                                   Twine(rule.least));
    if (a->ints_size() % rule.perDim != 0)
      return nodeError(node,
                       Twine(rule.name) + " has " + Twine(a->ints_size()) +
                           " values, not a multiple of " + Twine(rule.perDim));
    if (Error err = agree(a->ints_size() / rule.perDim,
                          ("'" + Twine(rule.name) + "'").str()))
      return err;
  }
  if (const onnx::AttributeProto *g = findAttr(node, "group"); g && g->i() < 1)
    return nodeError(node, "group is " + Twine(g->i()) + "; it must be >= 1");
  return Error::success();
}

} // namespace

Error checkForLibonnx(const onnx::ModelProto &model, int64_t opset) {
  const onnx::GraphProto &graph = model.graph();
  StringMap<int64_t> ranks = getKnownRanks(graph);
  // Window ops and their inputs laid out (N, C, spatial...): the data, and
  // the weight or indices where there is one (QLinearConv's weight is
  // input 3, after the data's scale and zero point).
  StringMap<SmallVector<unsigned, 2>> windowOps = {
      {"Conv", {0, 1}},        {"ConvTranspose", {0, 1}},
      {"ConvInteger", {0, 1}}, {"QLinearConv", {0, 3}},
      {"MaxPool", {0}},        {"AveragePool", {0}},
      {"LpPool", {0}},         {"MaxUnpool", {0, 1}},
      {"MaxRoiPool", {0}}};
  for (const onnx::NodeProto &node : graph.node()) {
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      continue;
    if (auto it = windowOps.find(node.op_type()); it != windowOps.end())
      if (Error err = checkWindowNode(node, it->second, ranks))
        return err;
    // The opset-6 -> 7 Gemm adapter reads dims 0 and 1 of A and B.
    if (node.op_type() == "Gemm" && opset < 7)
      for (unsigned i = 0; i < 2 && i < unsigned(node.input_size()); ++i)
        if (auto it = ranks.find(node.input(i));
            it != ranks.end() && it->second != 2)
          return nodeError(node, "input '" + node.input(i) + "' has rank " +
                                     Twine(it->second) +
                                     "; Gemm multiplies matrices (rank 2)");
  }
  return Error::success();
}

} // namespace tandem::onnx_import
