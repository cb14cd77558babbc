//===- GraphImporter.h - ONNX graph to accel, and per-node handlers -*- C++
//-*-//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// GraphImporter walks a checked, shape-inferred ONNX graph in topological
// order and hands each node to the handler registered for its op type. A
// handler sees the node through NodeImporter: its inputs (as MLIR values or,
// when known, as HostTensor constants), its attributes, and setters for its
// outputs. Handlers fold what is constant (shape computations) and emit accel
// ops for the rest.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_LIB_TARGET_ONNX_GRAPHIMPORTER_H
#define TANDEM_LIB_TARGET_ONNX_GRAPHIMPORTER_H

#include "HostTensor.h"

#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

#include <array>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

namespace onnx {
class AttributeProto;
class GraphProto;
class ModelProto;
class NodeProto;
class ValueInfoProto;
} // namespace onnx

namespace tandem::onnx_import {

class GraphImporter;

/// What a handler sees of the node it imports.
class NodeImporter {
public:
  NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
               mlir::Location loc);

  mlir::OpBuilder &getBuilder();
  mlir::Location getLoc() const { return loc; }
  mlir::MLIRContext *getContext();
  llvm::StringRef getName() const;
  llvm::StringRef getOpType() const;

  /// Creates an op at the node's location.
  template <typename OpTy, typename... Args> OpTy create(Args &&...args) {
    return OpTy::create(getBuilder(), loc, std::forward<Args>(args)...);
  }

  //===--------------------------------------------------------------------===//
  // Inputs
  //===--------------------------------------------------------------------===//

  unsigned getNumInputs() const;
  /// True when input `i` is given (optional inputs may be missing or "").
  bool hasInput(unsigned i) const;
  /// The value of input `i` if the importer knows it (an initializer, a
  /// Constant, or a folded shape computation); null otherwise.
  const HostTensor *getConstant(unsigned i) const;
  bool allInputsConstant() const;
  /// Input `i` as an SSA value; known constants are materialized.
  mlir::FailureOr<mlir::Value> getInput(unsigned i);
  llvm::ArrayRef<int64_t> getInputShape(unsigned i) const;
  int32_t getInputDType(unsigned i) const;
  /// The integer values of constant input `i`; an error naming `what` if the
  /// input is not a known constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>>
  getConstantInts(unsigned i, llvm::StringRef what);
  /// The single value of constant input `i` (a scalar or one-element
  /// tensor); reports it as unsupported, naming `what`, otherwise.
  mlir::FailureOr<double> getConstantScalar(unsigned i, llvm::StringRef what);

  //===--------------------------------------------------------------------===//
  // Attributes
  //===--------------------------------------------------------------------===//

  const onnx::AttributeProto *getAttr(llvm::StringRef name) const;
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name,
                        llvm::StringRef defaultValue) const;
  llvm::SmallVector<int64_t> getInts(llvm::StringRef name) const;

  //===--------------------------------------------------------------------===//
  // Outputs
  //===--------------------------------------------------------------------===//

  unsigned getNumOutputs() const;
  /// True when output `i` exists and something reads it (a node or a graph
  /// output).
  bool isOutputUsed(unsigned i) const;
  /// The element type ONNX shape inference gives output `i`, or
  /// `fallback` when it has none.
  int32_t getOutputDType(unsigned i, int32_t fallback) const;
  void setOutput(unsigned i, mlir::Value value);
  void setOutput(unsigned i, HostTensor value);

  /// Checks, before a fold allocates it, that a tensor of `shape` and
  /// `dtype` is a valid shape within the tensor size limit; an error naming
  /// the node otherwise.
  mlir::LogicalResult checkFoldSize(llvm::ArrayRef<int64_t> shape,
                                    int32_t dtype);

  /// An arith.constant holding `value` (a resource blob named after the
  /// node and `nameHint` when large); null after an error.
  mlir::Value createConstant(const HostTensor &value, llvm::StringRef nameHint);

  //===--------------------------------------------------------------------===//
  // Types and diagnostics
  //===--------------------------------------------------------------------===//

  /// A tensor type of the MLIR element type for `dtype`.
  mlir::RankedTensorType getTensorType(llvm::ArrayRef<int64_t> shape,
                                       int32_t dtype);
  /// An error prefixed with the node's name and op type.
  mlir::InFlightDiagnostic emitError();
  /// Reports that this node uses a variant Tandem does not model; with
  /// --allow-unsupported it becomes an accel.onnx_op instead of an error.
  mlir::LogicalResult unsupported(const llvm::Twine &reason);
  /// `axis` in [-rank, rank) made non-negative, or an error.
  mlir::FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                         llvm::StringRef what = "axis");

  /// Set by unsupported(); read by the graph importer.
  std::optional<std::string> unsupportedReason;

private:
  GraphImporter &graph;
  const onnx::NodeProto &node;
  mlir::Location loc;
};

using NodeHandler = mlir::LogicalResult (*)(NodeImporter &);
using HandlerTable = llvm::StringMap<NodeHandler>;

/// Handlers by op type; each file of handlers adds its own.
const HandlerTable &getHandlers();
void addNNHandlers(HandlerTable &table);
void addElementwiseHandlers(HandlerTable &table);
void addShapeHandlers(HandlerTable &table);
void addQuantizationHandlers(HandlerTable &table);
/// Clip's optional min and max inputs, which must be constants.
mlir::FailureOr<std::array<std::optional<double>, 2>>
getClipBounds(NodeImporter &node);
/// Clip of a quantized tensor (true), of a float one (false, not handled).
mlir::FailureOr<bool> importQuantizedClip(NodeImporter &node);

/// What the importer knows about one ONNX value.
struct ValueEntry {
  mlir::Value value;
  std::optional<HostTensor> constant;
};

/// Imports one (checked, shape-inferred, topologically sorted) model.
class GraphImporter {
public:
  GraphImporter(mlir::MLIRContext *context, onnx::ModelProto &model,
                llvm::StringRef sourceName, llvm::StringRef sourceText,
                const ONNXImportOptions &options);

  /// Builds the module; returns null after reporting errors.
  mlir::OwningOpRef<mlir::ModuleOp> import();

private:
  friend class NodeImporter;

  mlir::LogicalResult importInitializers();
  mlir::LogicalResult importInputs(mlir::Block &body,
                                   llvm::SmallVectorImpl<mlir::Type> &types);
  mlir::LogicalResult checkSupported();
  mlir::LogicalResult importNode(const onnx::NodeProto &node);
  mlir::LogicalResult importAsOnnxOp(NodeImporter &node,
                                     const onnx::NodeProto &proto);
  mlir::LogicalResult verifyNewOps(mlir::Block &body,
                                   mlir::Block::iterator from,
                                   const onnx::NodeProto &node);

  mlir::Location getNodeLoc(const onnx::NodeProto &node);
  mlir::FailureOr<mlir::Value> materialize(llvm::StringRef name);
  /// An arith.constant for `value`; `name` names the blob and the location.
  mlir::Value createConstant(mlir::Location loc, const HostTensor &value,
                             llvm::StringRef name);
  /// Static shape of a value the importer has defined.
  llvm::ArrayRef<int64_t> getShape(llvm::StringRef name) const;
  int32_t getDType(llvm::StringRef name) const;
  /// Rejects negative or zero-sized dimensions and shapes whose size
  /// overflows int64 in a value that becomes an MLIR tensor.
  mlir::LogicalResult checkShape(mlir::Location loc, llvm::StringRef name,
                                 llvm::ArrayRef<int64_t> shape, int32_t dtype);

  mlir::MLIRContext *context;
  onnx::ModelProto &model;
  std::string sourceName;
  llvm::StringRef sourceText;
  const ONNXImportOptions &options;
  mlir::OpBuilder builder;

  llvm::StringMap<ValueEntry> values;
  /// Materialized constants by (data, element type, shape), so aliases made
  /// by Identity share one arith.constant.
  std::map<std::tuple<const char *, int32_t, std::vector<int64_t>>, mlir::Value>
      constantsByData;
  /// Types ONNX shape inference found (inputs, outputs and value_info).
  llvm::StringMap<const onnx::ValueInfoProto *> inferred;
  /// Names that some node or graph output reads.
  llvm::StringSet<> used;
  /// Line of each output name's definition in a textual model.
  llvm::StringMap<unsigned> textLines;
  int64_t blobCounter = 0;
};

} // namespace tandem::onnx_import

#endif // TANDEM_LIB_TARGET_ONNX_GRAPHIMPORTER_H
