//===- ImportONNX.cpp - Entry points of the ONNX importer -----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The order of work: parse; put the nodes in topological order (the checker
// and shape inference require it, and some exporters do not provide it);
// apply --input-shape; check, version-convert and shape-infer with libonnx;
// then build the IR.
//
//===----------------------------------------------------------------------===//

#include "tandem/Target/ONNX/ImportONNX.h"

#include "GraphImporter.h"
#include "ModelLoader.h"

#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"
#include "tandem/Support/FileIO.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include "onnx/onnx_pb.h"

using namespace mlir;

namespace tandem {

bool parseInputShape(llvm::StringRef text,
                     std::pair<std::string, llvm::SmallVector<int64_t, 4>> &out,
                     std::string &error) {
  auto [name, dims] = text.rsplit('=');
  if (name.empty() || dims.empty()) {
    error = "expected NAME=DIMxDIMx..., got '" + text.str() + "'";
    return false;
  }
  out.first = name.str();
  out.second.clear();
  for (llvm::StringRef dim : llvm::split(dims, 'x')) {
    int64_t value;
    if (dim.getAsInteger(10, value) || value < 1) {
      error = "dimension '" + dim.str() + "' of '" + text.str() +
              "' is not a positive integer";
      return false;
    }
    out.second.push_back(value);
  }
  return true;
}

bool isONNXTextPath(llvm::StringRef path) {
  return path.ends_with(".onnxtext") || path.ends_with(".onnx.txt");
}

namespace {

using namespace onnx_import;

std::string nodeName(const onnx::NodeProto &node) {
  return node.name().empty() ? node.output_size() ? node.output(0) : "<unnamed>"
                             : node.name();
}

/// Puts the top-level nodes in topological order. Fails if a node reads a
/// value nothing defines, if two nodes define the same value, or on a cycle.
LogicalResult sortTopologically(onnx::GraphProto &graph, Location loc) {
  llvm::StringSet<> available;
  for (const auto &init : graph.initializer())
    available.insert(init.name());
  for (const auto &input : graph.input())
    available.insert(input.name());

  int numNodes = graph.node_size();
  llvm::StringMap<int> producer;
  for (int i = 0; i < numNodes; ++i)
    for (const auto &out : graph.node(i).output()) {
      if (out.empty())
        continue;
      auto [it, inserted] = producer.try_emplace(out, i);
      if (!inserted || available.contains(out))
        return emitError(loc)
               << "value '" << out << "' is defined twice (by node '"
               << nodeName(graph.node(i)) << "' (" << graph.node(i).op_type()
               << ") and by "
               << (inserted
                       ? "a graph input or initializer"
                       : "node '" + nodeName(graph.node(it->second)) + "' (" +
                             graph.node(it->second).op_type() + ")")
               << ")";
    }

  std::vector<std::vector<int>> users(numNodes);
  std::vector<int> pending(numNodes, 0);
  for (int i = 0; i < numNodes; ++i) {
    for (const auto &in : graph.node(i).input()) {
      if (in.empty() || available.contains(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end())
        return emitError(loc)
               << "node '" << nodeName(graph.node(i)) << "' ("
               << graph.node(i).op_type() << ") reads '" << in
               << "', which no node, graph input or initializer defines";
      users[it->second].push_back(i);
      ++pending[i];
    }
  }
  for (const auto &out : graph.output())
    if (!available.contains(out.name()) && !producer.count(out.name()))
      return emitError(loc) << "graph output '" << out.name()
                            << "' is not defined by any node, input or "
                               "initializer";

  // Kahn's algorithm, keeping the file's order among ready nodes.
  std::vector<int> order, ready;
  for (int i = numNodes - 1; i >= 0; --i)
    if (pending[i] == 0)
      ready.push_back(i);
  while (!ready.empty()) {
    int n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (int user : llvm::reverse(users[n]))
      if (--pending[user] == 0)
        ready.push_back(user);
  }
  if (static_cast<int>(order.size()) != numNodes) {
    // Nodes left over are on a cycle or downstream of one; peel off those
    // with no successor left to name only the cycle.
    std::vector<bool> onCycle(numNodes);
    for (int i = 0; i < numNodes; ++i)
      onCycle[i] = pending[i] > 0;
    for (bool changed = true; changed;) {
      changed = false;
      for (int i = 0; i < numNodes; ++i)
        if (onCycle[i] && llvm::none_of(users[i], [&](int u) {
              return static_cast<bool>(onCycle[u]);
            })) {
          onCycle[i] = false;
          changed = true;
        }
    }
    InFlightDiagnostic diag = emitError(loc)
                              << "the graph has a cycle through node";
    int listed = 0;
    for (int i = 0; i < numNodes && listed < 5; ++i)
      if (onCycle[i])
        diag << (listed++ ? ", '" : " '") << nodeName(graph.node(i)) << "'";
    return failure();
  }

  google::protobuf::RepeatedPtrField<onnx::NodeProto> sorted;
  for (int i : order)
    sorted.Add()->Swap(graph.mutable_node(i));
  graph.mutable_node()->Swap(&sorted);
  // Unnamed nodes (the text syntax has no names) take their first output's
  // name, so that libonnx's messages and ours can name them; a node with no
  // output at all (malformed, but libonnx's checker lets unknown operators
  // through) its position.
  for (auto [i, node] : llvm::enumerate(*graph.mutable_node()))
    if (node.name().empty())
      node.set_name(node.output_size() ? node.output(0)
                                       : "<node " + std::to_string(i) + ">");
  return success();
}

/// Writes the --input-shape dimensions into the graph's input types.
LogicalResult applyInputShapes(onnx::GraphProto &graph,
                               const ONNXImportOptions &options, Location loc) {
  llvm::StringSet<> initializers;
  for (const auto &init : graph.initializer())
    initializers.insert(init.name());
  for (const auto &[name, dims] : options.inputShapes) {
    onnx::ValueInfoProto *input = nullptr;
    for (auto &candidate : *graph.mutable_input())
      if (candidate.name() == name && !initializers.contains(name))
        input = &candidate;
    if (!input) {
      InFlightDiagnostic diag = emitError(loc)
                                << "--input-shape names '" << name
                                << "', which is not a graph input; the "
                                   "inputs are:";
      for (const auto &candidate : graph.input())
        if (!initializers.contains(candidate.name()))
          diag << " '" << candidate.name() << "'";
      return failure();
    }
    auto *tensorType = input->mutable_type()->mutable_tensor_type();
    if (tensorType->has_shape()) {
      const auto &declared = tensorType->shape();
      if (declared.dim_size() != static_cast<int>(dims.size()))
        return emitError(loc)
               << "--input-shape gives '" << name << "' rank " << dims.size()
               << ", but the model declares rank " << declared.dim_size();
      for (int d = 0; d < declared.dim_size(); ++d)
        if (declared.dim(d).has_dim_value() &&
            declared.dim(d).dim_value() != dims[d])
          return emitError(loc)
                 << "--input-shape gives '" << name << "' dimension " << d
                 << " = " << dims[d] << ", but the model fixes it to "
                 << declared.dim(d).dim_value();
    }
    auto *shape = tensorType->mutable_shape();
    shape->clear_dim();
    for (int64_t d : dims)
      shape->add_dim()->set_dim_value(d);
  }
  return success();
}

/// Turns graph inputs whose values are given into initializers.
LogicalResult applyConstantInputs(onnx::GraphProto &graph,
                                  const ONNXImportOptions &options,
                                  Location loc) {
  for (const ONNXConstantInput &c : options.constantInputs) {
    auto *inputs = graph.mutable_input();
    auto it = llvm::find_if(*inputs, [&](const onnx::ValueInfoProto &v) {
      return v.name() == c.name;
    });
    if (it == inputs->end())
      return emitError(loc)
             << "constant input '" << c.name << "' is not a graph input";
    const auto &declared = it->type().tensor_type();
    if (declared.elem_type() != c.elementType)
      return emitError(loc)
             << "constant input '" << c.name << "' has element type "
             << onnx_import::getDTypeName(c.elementType)
             << ", but the model declares "
             << onnx_import::getDTypeName(declared.elem_type());
    if (declared.has_shape()) {
      bool matches = declared.shape().dim_size() == (int)c.shape.size();
      for (int d = 0; matches && d < declared.shape().dim_size(); ++d)
        matches = !declared.shape().dim(d).has_dim_value() ||
                  declared.shape().dim(d).dim_value() == c.shape[d];
      if (!matches)
        return emitError(loc) << "constant input '" << c.name << "' has shape "
                              << accel::formatShape(c.shape)
                              << ", which the model's declaration does not "
                                 "allow";
    }
    onnx::TensorProto *init = graph.add_initializer();
    init->set_name(c.name);
    init->set_data_type(c.elementType);
    for (int64_t d : c.shape)
      init->add_dims(d);
    init->set_raw_data(c.bytes);
    inputs->erase(it);
  }
  return success();
}

} // namespace

/// Everything after parsing: order, shapes, libonnx checks, IR.
static OwningOpRef<ModuleOp>
importParsed(llvm::Expected<std::unique_ptr<onnx::ModelProto>> parsed,
             llvm::StringRef sourceText, llvm::StringRef sourceName,
             MLIRContext *context, const ONNXImportOptions &options) {
  context->loadDialect<accel::AccelDialect, arith::ArithDialect,
                       func::FuncDialect>();
  Location loc = FileLineColLoc::get(context, sourceName, 0, 0);
  if (!parsed) {
    emitError(loc) << llvm::toString(parsed.takeError());
    return nullptr;
  }
  onnx::ModelProto &model = **parsed;

  int64_t opset = 0;
  for (const auto &o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx")
      opset = o.version();
  if (opset == 0) {
    emitError(loc) << "the model imports no default-domain (ai.onnx) opset";
    return nullptr;
  }
  if (opset > kONNXTargetOpset) {
    emitError(loc) << "the model uses ai.onnx opset " << opset
                   << "; Tandem (with libonnx 1.12) supports opsets up to "
                   << kONNXTargetOpset;
    return nullptr;
  }

  if (failed(applyConstantInputs(*model.mutable_graph(), options, loc)) ||
      failed(sortTopologically(*model.mutable_graph(), loc)) ||
      failed(applyInputShapes(*model.mutable_graph(), options, loc)))
    return nullptr;

  ONNXImportOptions resolved = options;
  if (resolved.externalDataDir.empty())
    resolved.externalDataDir = llvm::sys::path::parent_path(sourceName).str();
  if (resolved.externalDataDir.empty())
    resolved.externalDataDir = ".";

  // Sequences, maps and optionals cannot be accel values; say so before
  // shape inference trips over them.
  auto checkTensor = [&](const onnx::ValueInfoProto &v,
                         StringRef what) -> LogicalResult {
    const onnx::TypeProto &t = v.type();
    if (t.value_case() == onnx::TypeProto::kTensorType ||
        t.value_case() == onnx::TypeProto::VALUE_NOT_SET)
      return success();
    StringRef kind = t.has_sequence_type()   ? "a sequence"
                     : t.has_optional_type() ? "an optional"
                     : t.has_map_type()      ? "a map"
                                             : "not a dense tensor";
    return emitError(loc) << what << " '" << v.name() << "' is not a tensor ("
                          << kind << "); only tensors are supported";
  };
  for (const auto &v : model.graph().input())
    if (failed(checkTensor(v, "input")))
      return nullptr;
  for (const auto &v : model.graph().output())
    if (failed(checkTensor(v, "output")))
      return nullptr;

  // Say where external data was looked for before libonnx's checker does.
  for (const auto &init : model.graph().initializer()) {
    if (init.data_location() != onnx::TensorProto::EXTERNAL)
      continue;
    for (const auto &entry : init.external_data()) {
      if (entry.key() != "location")
        continue;
      llvm::SmallString<256> path(resolved.externalDataDir);
      llvm::sys::path::append(path, entry.value());
      if (!llvm::sys::fs::exists(path)) {
        emitError(loc) << "initializer '" << init.name()
                       << "' keeps its data in '" << entry.value()
                       << "', which is not in '" << resolved.externalDataDir
                       << "'; say where it is with --external-data-dir";
        return nullptr;
      }
    }
  }

  if (llvm::Error err = checkForLibonnx(model, opset)) {
    emitError(loc) << llvm::toString(std::move(err));
    return nullptr;
  }
  if (llvm::Error err = checkConvertAndInfer(model, opset, kONNXTargetOpset,
                                             resolved.externalDataDir)) {
    emitError(loc) << llvm::toString(std::move(err));
    return nullptr;
  }

  GraphImporter importer(context, model, sourceName, sourceText, resolved);
  return importer.import();
}

OwningOpRef<ModuleOp> importONNX(llvm::StringRef bytes, bool isText,
                                 llvm::StringRef sourceName,
                                 MLIRContext *context,
                                 const ONNXImportOptions &options) {
  return importParsed(parseModel(bytes, isText),
                      isText ? bytes : llvm::StringRef(), sourceName, context,
                      options);
}

OwningOpRef<ModuleOp> importONNXFile(llvm::StringRef path, MLIRContext *context,
                                     const ONNXImportOptions &options) {
  if (!isONNXTextPath(path) && llvm::sys::fs::is_regular_file(path))
    return importParsed(parseModelFile(path), "", path, context, options);
  auto buffer = tandem::readInputFile(path, tandem::kMaxModelFileBytes,
                                      /*allowStdin=*/true);
  if (!buffer) {
    emitError(FileLineColLoc::get(context, path, 0, 0))
        << llvm::toString(buffer.takeError());
    return nullptr;
  }
  return importONNX((*buffer)->getBuffer(), isONNXTextPath(path), path, context,
                    options);
}

OwningOpRef<ModuleOp> loadModelFile(llvm::StringRef path, MLIRContext *context,
                                    const ONNXImportOptions &options) {
  if (!path.ends_with(".mlir"))
    return importONNXFile(path, context, options);
  Location loc = FileLineColLoc::get(context, path, 0, 0);
  auto file = tandem::readInputFile(path, tandem::kMaxTextFileBytes);
  if (!file) {
    emitError(loc) << llvm::toString(file.takeError());
    return nullptr;
  }
  if (llvm::Error err = checkNestingDepth((*file)->getBuffer(), path)) {
    emitError(loc) << llvm::toString(std::move(err));
    return nullptr;
  }
  auto sourceMgr = std::make_shared<llvm::SourceMgr>();
  sourceMgr->AddNewSourceBuffer(std::move(*file), llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, context);
}

} // namespace tandem
