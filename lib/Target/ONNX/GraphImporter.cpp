//===- GraphImporter.cpp - ONNX graph to accel ----------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "GraphImporter.h"
#include "tandem/Support/Limits.h"

#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ShapeUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/StringExtras.h"

#include "onnx/onnx_pb.h"

using namespace mlir;
using namespace tandem::accel;

namespace tandem::onnx_import {

//===----------------------------------------------------------------------===//
// Handler table
//===----------------------------------------------------------------------===//

const HandlerTable &getHandlers() {
  static const HandlerTable table = [] {
    HandlerTable t;
    addNNHandlers(t);
    addElementwiseHandlers(t);
    addShapeHandlers(t);
    addQuantizationHandlers(t);
    return t;
  }();
  return table;
}

static bool isDefaultDomain(StringRef domain) {
  return domain.empty() || domain == "ai.onnx";
}

/// The ONNX element type of an MLIR element type (inverse of
/// getMLIRElementType).
static int32_t getDTypeOf(Type type) {
  if (type.isF32())
    return kFloat;
  if (type.isF64())
    return kDouble;
  if (type.isF16())
    return kFloat16;
  if (type.isBF16())
    return kBFloat16;
  if (auto i = dyn_cast<IntegerType>(type)) {
    bool u = i.isUnsigned();
    switch (i.getWidth()) {
    case 1:
      return kBool;
    case 8:
      return u ? kUInt8 : kInt8;
    case 16:
      return u ? kUInt16 : kInt16;
    case 32:
      return u ? kUInt32 : kInt32;
    case 64:
      return u ? kUInt64 : kInt64;
    }
  }
  return kUndefined;
}

/// Static shape recorded by ONNX shape inference, if it knows one.
static std::optional<SmallVector<int64_t>>
getStaticShape(const onnx::ValueInfoProto *info) {
  if (!info || !info->type().has_tensor_type() ||
      !info->type().tensor_type().has_shape())
    return std::nullopt;
  SmallVector<int64_t> shape;
  for (const auto &dim : info->type().tensor_type().shape().dim()) {
    if (!dim.has_dim_value())
      return std::nullopt;
    shape.push_back(dim.dim_value());
  }
  return shape;
}

//===----------------------------------------------------------------------===//
// NodeImporter
//===----------------------------------------------------------------------===//

NodeImporter::NodeImporter(GraphImporter &graph, const onnx::NodeProto &node,
                           Location loc)
    : graph(graph), node(node), loc(loc) {}

OpBuilder &NodeImporter::getBuilder() { return graph.builder; }
MLIRContext *NodeImporter::getContext() { return graph.context; }
StringRef NodeImporter::getName() const {
  return node.name().empty() ? StringRef(node.output(0)) : node.name();
}
StringRef NodeImporter::getOpType() const { return node.op_type(); }

unsigned NodeImporter::getNumInputs() const { return node.input_size(); }

bool NodeImporter::hasInput(unsigned i) const {
  return i < static_cast<unsigned>(node.input_size()) && !node.input(i).empty();
}

const HostTensor *NodeImporter::getConstant(unsigned i) const {
  if (!hasInput(i))
    return nullptr;
  auto it = graph.values.find(node.input(i));
  if (it == graph.values.end() || !it->second.constant)
    return nullptr;
  return &*it->second.constant;
}

bool NodeImporter::allInputsConstant() const {
  for (unsigned i = 0; i < getNumInputs(); ++i)
    if (hasInput(i) && !getConstant(i))
      return false;
  return true;
}

FailureOr<Value> NodeImporter::getInput(unsigned i) {
  if (!hasInput(i)) {
    emitError() << "input " << i << " is missing";
    return failure();
  }
  return graph.materialize(node.input(i));
}

ArrayRef<int64_t> NodeImporter::getInputShape(unsigned i) const {
  return graph.getShape(node.input(i));
}

int32_t NodeImporter::getInputDType(unsigned i) const {
  return graph.getDType(node.input(i));
}

FailureOr<SmallVector<int64_t>> NodeImporter::getConstantInts(unsigned i,
                                                              StringRef what) {
  const HostTensor *t = getConstant(i);
  if (!t) {
    (void)unsupported(Twine(what) + " (input '" +
                      (hasInput(i) ? node.input(i) : std::string("")) +
                      "') is computed at run time; only constant " + what +
                      " is supported");
    return failure();
  }
  return t->toInts();
}

FailureOr<double> NodeImporter::getConstantScalar(unsigned i, StringRef what) {
  const HostTensor *t = getConstant(i);
  if (!t) {
    (void)unsupported(Twine(what) + " (input '" + node.input(i) +
                      "') is computed at run time; only a constant " + what +
                      " is supported");
    return failure();
  }
  if (t->getNumElements() != 1) {
    (void)unsupported(Twine(what) + " (input '" + node.input(i) + "') has " +
                      Twine(t->getNumElements()) +
                      " elements; a scalar is required");
    return failure();
  }
  return t->getDouble(0);
}

const onnx::AttributeProto *NodeImporter::getAttr(StringRef name) const {
  for (const auto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef name, int64_t defaultValue) const {
  const auto *a = getAttr(name);
  return a ? a->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef name, float defaultValue) const {
  const auto *a = getAttr(name);
  return a ? a->f() : defaultValue;
}

std::string NodeImporter::getString(StringRef name,
                                    StringRef defaultValue) const {
  const auto *a = getAttr(name);
  return a ? a->s() : defaultValue.str();
}

SmallVector<int64_t> NodeImporter::getInts(StringRef name) const {
  const auto *a = getAttr(name);
  if (!a)
    return {};
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

unsigned NodeImporter::getNumOutputs() const { return node.output_size(); }

bool NodeImporter::isOutputUsed(unsigned i) const {
  return i < getNumOutputs() && !node.output(i).empty() &&
         graph.used.contains(node.output(i));
}

int32_t NodeImporter::getOutputDType(unsigned i, int32_t fallback) const {
  const onnx::ValueInfoProto *info = graph.inferred.lookup(node.output(i));
  if (info && info->type().has_tensor_type() &&
      info->type().tensor_type().elem_type() != kUndefined)
    return info->type().tensor_type().elem_type();
  return fallback;
}

void NodeImporter::setOutput(unsigned i, Value value) {
  if (i >= getNumOutputs() || node.output(i).empty())
    return;
  graph.values[node.output(i)].value = value;
}

void NodeImporter::setOutput(unsigned i, HostTensor value) {
  if (i >= getNumOutputs() || node.output(i).empty())
    return;
  graph.values[node.output(i)].constant = std::move(value);
}

/// What is wrong with `shape` for a tensor of `dtype`: a negative
/// dimension, a size that overflows int64 (every later size computation
/// multiplies dimensions; none may wrap) or, unless `allowEmpty`, a
/// zero-sized dimension. nullopt if nothing.
static std::optional<std::string>
findShapeProblem(ArrayRef<int64_t> shape, int32_t dtype, bool allowEmpty) {
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return "has a negative dimension (" + formatShape(shape) + ")";
  if (!allowEmpty && llvm::is_contained(shape, 0))
    return "has a zero-sized dimension (" + formatShape(shape) +
           "); empty tensors are not supported";
  SmallVector<int64_t> nonEmpty(
      llvm::make_filter_range(shape, [](int64_t d) { return d != 0; }));
  if (!getByteSize(nonEmpty, std::max<size_t>(getDTypeSize(dtype), 1)))
    return "has shape " + formatShape(shape) +
           ", more bytes than int64 can count";
  return std::nullopt;
}

LogicalResult NodeImporter::checkFoldSize(ArrayRef<int64_t> shape,
                                          int32_t dtype) {
  if (auto problem = findShapeProblem(shape, dtype, /*allowEmpty=*/true))
    return emitError() << "folding a result that " << *problem;
  if (llvm::Error err = checkTensorSize(shape, getDTypeSize(dtype),
                                        "folding a constant result"))
    return emitError() << llvm::toString(std::move(err));
  return success();
}

Value NodeImporter::createConstant(const HostTensor &value,
                                   StringRef nameHint) {
  return graph.createConstant(loc, value, (getName() + "_" + nameHint).str());
}

RankedTensorType NodeImporter::getTensorType(ArrayRef<int64_t> shape,
                                             int32_t dtype) {
  return RankedTensorType::get(shape, getMLIRElementType(dtype, graph.context));
}

InFlightDiagnostic NodeImporter::emitError() {
  return mlir::emitError(loc)
         << "node '" << getName() << "' (" << getOpType() << "): ";
}

LogicalResult NodeImporter::unsupported(const Twine &reason) {
  unsupportedReason = reason.str();
  return failure();
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank,
                                               StringRef what) {
  if (axis < -rank || axis >= rank) {
    emitError() << what << " " << axis << " is out of range for rank " << rank;
    return failure();
  }
  return axis < 0 ? axis + rank : axis;
}

//===----------------------------------------------------------------------===//
// GraphImporter
//===----------------------------------------------------------------------===//

GraphImporter::GraphImporter(MLIRContext *context, onnx::ModelProto &model,
                             StringRef sourceName, StringRef sourceText,
                             const ONNXImportOptions &options)
    : context(context), model(model), sourceName(sourceName.str()),
      sourceText(sourceText), options(options), builder(context) {
  // For textual models, find the line that defines each value so
  // diagnostics point at it: "a, b = Op <attrs> (inputs)".
  unsigned line = 0;
  for (StringRef text : llvm::split(sourceText, '\n')) {
    ++line;
    size_t eq = text.find('=');
    if (eq == StringRef::npos)
      continue;
    StringRef lhs = text.take_front(eq);
    if (lhs.contains('<') || lhs.contains('(') || lhs.contains('{'))
      continue;
    for (StringRef name : llvm::split(lhs, ','))
      if (!(name = name.trim()).empty())
        textLines.try_emplace(name, line + options.sourceLineOffset);
  }
}

Location GraphImporter::getNodeLoc(const onnx::NodeProto &node) {
  StringRef output = node.output_size() ? StringRef(node.output(0)) : "";
  StringRef name = node.name().empty() ? output : StringRef(node.name());
  unsigned line = textLines.lookup(output);
  return NameLoc::get(StringAttr::get(context, name),
                      FileLineColLoc::get(context, sourceName, line, 0));
}

ArrayRef<int64_t> GraphImporter::getShape(StringRef name) const {
  auto it = values.find(name);
  assert(it != values.end() && "value defined before use");
  if (it->second.constant)
    return it->second.constant->getShape();
  return cast<RankedTensorType>(it->second.value.getType()).getShape();
}

int32_t GraphImporter::getDType(StringRef name) const {
  auto it = values.find(name);
  assert(it != values.end() && "value defined before use");
  if (it->second.constant)
    return it->second.constant->getDType();
  return getDTypeOf(
      cast<RankedTensorType>(it->second.value.getType()).getElementType());
}

LogicalResult GraphImporter::checkShape(Location loc, StringRef name,
                                        ArrayRef<int64_t> shape,
                                        int32_t dtype) {
  if (auto problem = findShapeProblem(shape, dtype, /*allowEmpty=*/false))
    return emitError(loc) << "'" << name << "' " << *problem;
  return success();
}

FailureOr<Value> GraphImporter::materialize(StringRef name) {
  ValueEntry &entry = values[name];
  if (entry.value)
    return entry.value;
  assert(entry.constant && "value defined before use");
  Location loc = NameLoc::get(
      StringAttr::get(context, name),
      FileLineColLoc::get(context, sourceName, textLines.lookup(name), 0));
  const HostTensor &t = *entry.constant;
  auto key = std::make_tuple(
      t.getRawData().data(), t.getDType(),
      std::vector<int64_t>(t.getShape().begin(), t.getShape().end()));
  if (auto it = constantsByData.find(key); it != constantsByData.end())
    return entry.value = it->second;
  entry.value = createConstant(
      loc, t, t.getSourceName().empty() ? name : t.getSourceName());
  if (!entry.value)
    return failure();
  constantsByData[key] = entry.value;
  return entry.value;
}

Value GraphImporter::createConstant(Location loc, const HostTensor &t,
                                    StringRef name) {
  if (failed(checkShape(loc, name, t.getShape(), t.getDType())))
    return nullptr;
  Type elementType = getMLIRElementType(t.getDType(), context);
  if (!elementType) {
    emitError(loc) << "constant '" << name << "' has element type "
                   << getDTypeName(t.getDType())
                   << ", which Tandem does not support";
    return nullptr;
  }
  auto type = RankedTensorType::get(t.getShape(), elementType);
  // Resource names must be identifiers; ONNX names are paths like
  // "/layer1/conv.weight".
  std::string blobName;
  for (char c : name)
    blobName += llvm::isAlnum(c) ? c : '_';
  if (blobName.empty() || llvm::isDigit(blobName[0]))
    blobName = "w" + blobName;
  ElementsAttr attr = t.toAttribute(type, options.maxInlineElements, blobName);
  return arith::ConstantOp::create(builder, loc, cast<TypedAttr>(attr));
}

LogicalResult GraphImporter::importInitializers() {
  auto *graph = model.mutable_graph();
  for (auto &init : *graph->mutable_initializer()) {
    auto t = HostTensor::fromProto(init, options.externalDataDir);
    if (!t)
      return emitError(FileLineColLoc::get(context, sourceName, 0, 0))
             << "initializer " << llvm::toString(t.takeError());
    values[init.name()].constant = std::move(*t);
  }
  return success();
}

LogicalResult GraphImporter::importInputs(Block &body,
                                          SmallVectorImpl<Type> &types) {
  for (const auto &input : model.graph().input()) {
    if (values.count(input.name()))
      continue; // An initializer listed as an input (IR < 4): a weight.
    Location loc = NameLoc::get(StringAttr::get(context, input.name()),
                                FileLineColLoc::get(context, sourceName, 0, 0));
    if (!input.type().has_tensor_type())
      return emitError(loc) << "input '" << input.name()
                            << "' is not a tensor; only tensor inputs are "
                               "supported";
    const auto &tensorType = input.type().tensor_type();
    SmallVector<int64_t> shape;
    if (!tensorType.has_shape())
      return emitError(loc) << "input '" << input.name()
                            << "' has no shape; give it one with --input-shape "
                            << input.name() << "=DIMxDIMx...";
    for (auto [d, dim] : llvm::enumerate(tensorType.shape().dim())) {
      if (!dim.has_dim_value()) {
        std::string symbol =
            dim.has_dim_param() ? " ('" + dim.dim_param() + "')" : "";
        return emitError(loc)
               << "input '" << input.name() << "' has unknown dimension " << d
               << symbol << "; fix it with --input-shape " << input.name()
               << "=DIMxDIMx...";
      }
      shape.push_back(dim.dim_value());
    }
    if (failed(checkShape(loc, input.name(), shape, tensorType.elem_type())))
      return failure();
    Type elementType = getMLIRElementType(tensorType.elem_type(), context);
    if (!elementType)
      return emitError(loc)
             << "input '" << input.name() << "' has element type "
             << getDTypeName(tensorType.elem_type())
             << ", which Tandem does not support";
    auto type = RankedTensorType::get(shape, elementType);
    types.push_back(type);
    values[input.name()].value = body.addArgument(type, loc);
  }
  return success();
}

LogicalResult GraphImporter::checkSupported() {
  int64_t opset = 0;
  for (const auto &o : model.opset_import())
    if (isDefaultDomain(o.domain()))
      opset = o.version();
  // Op type (with domain) -> node names, in first-seen order.
  std::vector<std::pair<std::string, SmallVector<std::string>>> missing;
  llvm::StringMap<size_t> index;
  for (const auto &node : model.graph().node()) {
    if (isDefaultDomain(node.domain()) && getHandlers().count(node.op_type()))
      continue;
    std::string key = node.op_type() + " (" +
                      (isDefaultDomain(node.domain())
                           ? "ai.onnx opset " + std::to_string(opset)
                           : "domain '" + node.domain() + "'") +
                      ")";
    auto [it, inserted] = index.try_emplace(key, missing.size());
    if (inserted)
      missing.emplace_back(key, SmallVector<std::string>());
    missing[it->second].second.push_back(node.name().empty() ? node.output(0)
                                                             : node.name());
  }
  if (missing.empty() || options.allowUnsupported)
    return success();
  InFlightDiagnostic diag =
      emitError(FileLineColLoc::get(context, sourceName, 0, 0))
      << "the model uses " << missing.size()
      << " operator type(s) Tandem does not support (--allow-unsupported "
         "imports them as accel.onnx_op):";
  for (auto &[op, nodes] : missing) {
    diag << "\n  " << op << ": node" << (nodes.size() > 1 ? "s " : " ");
    for (auto [i, name] : llvm::enumerate(nodes)) {
      if (i == 8) {
        diag << " and " << nodes.size() - 8 << " more";
        break;
      }
      diag << (i ? ", '" : "'") << name << "'";
    }
  }
  return failure();
}

/// ONNX attribute values as MLIR attributes, for accel.onnx_op.
static Attribute convertAttribute(const onnx::AttributeProto &attr,
                                  Builder &b) {
  switch (attr.type()) {
  case onnx::AttributeProto::INT:
    return b.getI64IntegerAttr(attr.i());
  case onnx::AttributeProto::FLOAT:
    return b.getF32FloatAttr(attr.f());
  case onnx::AttributeProto::STRING:
    return b.getStringAttr(attr.s());
  case onnx::AttributeProto::INTS:
    return b.getDenseI64ArrayAttr(
        SmallVector<int64_t>(attr.ints().begin(), attr.ints().end()));
  case onnx::AttributeProto::FLOATS:
    return b.getDenseF32ArrayAttr(
        SmallVector<float>(attr.floats().begin(), attr.floats().end()));
  case onnx::AttributeProto::STRINGS: {
    SmallVector<Attribute> strings;
    for (const auto &s : attr.strings())
      strings.push_back(b.getStringAttr(s));
    return b.getArrayAttr(strings);
  }
  default:
    // Tensors, graphs and sparse tensors are summarized by their kind.
    return b.getStringAttr(
        "<" + onnx::AttributeProto::AttributeType_Name(attr.type()) + ">");
  }
}

LogicalResult GraphImporter::importAsOnnxOp(NodeImporter &node,
                                            const onnx::NodeProto &proto) {
  SmallVector<Value> operands;
  for (unsigned i = 0; i < node.getNumInputs(); ++i) {
    if (!node.hasInput(i))
      continue;
    auto v = node.getInput(i);
    if (failed(v))
      return failure();
    operands.push_back(*v);
  }
  SmallVector<Type> resultTypes;
  for (unsigned i = 0; i < node.getNumOutputs(); ++i) {
    const onnx::ValueInfoProto *info = inferred.lookup(proto.output(i));
    auto shape = getStaticShape(info);
    Type elementType =
        info ? getMLIRElementType(info->type().tensor_type().elem_type(),
                                  context)
             : Type();
    if (!shape || !elementType)
      return node.emitError()
             << "cannot keep it as accel.onnx_op: ONNX shape inference "
                "does not give output '"
             << proto.output(i) << "' a static tensor type";
    resultTypes.push_back(RankedTensorType::get(*shape, elementType));
  }
  SmallVector<NamedAttribute> attrs;
  for (const auto &attr : proto.attribute())
    attrs.push_back(
        builder.getNamedAttr(attr.name(), convertAttribute(attr, builder)));
  auto op = node.create<OnnxOp>(resultTypes, proto.op_type(), proto.domain(),
                                builder.getDictionaryAttr(attrs), operands);
  for (auto [i, result] : llvm::enumerate(op.getResults()))
    node.setOutput(i, result);
  return success();
}

LogicalResult GraphImporter::verifyNewOps(Block &body, Block::iterator from,
                                          const onnx::NodeProto &proto) {
  for (Operation &op : llvm::make_range(from, body.end())) {
    std::string message;
    LogicalResult result = success();
    {
      // Re-emit verifier errors with the node's name in front.
      ScopedDiagnosticHandler capture(context, [&](Diagnostic &diag) {
        if (diag.getSeverity() == DiagnosticSeverity::Error)
          message += diag.str();
        return success();
      });
      result = mlir::verify(&op, /*verifyRecursively=*/false);
    }
    if (failed(result))
      return emitError(op.getLoc())
             << "node '"
             << (proto.name().empty() ? proto.output(0) : proto.name()) << "' ("
             << proto.op_type() << "): " << message;
  }
  return success();
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &proto) {
  Location loc = getNodeLoc(proto);
  NodeImporter node(*this, proto, loc);
  Block &body = *builder.getInsertionBlock();
  Operation *last = body.empty() ? nullptr : &body.back();

  LogicalResult result = failure();
  NodeHandler handler = isDefaultDomain(proto.domain())
                            ? getHandlers().lookup(proto.op_type())
                            : nullptr;
  if (handler)
    result = handler(node);
  else
    (void)node.unsupported("Tandem has no importer for this operator");

  if (failed(result) && node.unsupportedReason) {
    if (!options.allowUnsupported)
      return node.emitError() << "unsupported: " << *node.unsupportedReason;
    if (failed(importAsOnnxOp(node, proto)))
      return failure();
  } else if (failed(result)) {
    return failure();
  }

  Block::iterator from = last ? std::next(last->getIterator()) : body.begin();
  if (failed(verifyNewOps(body, from, proto)))
    return failure();

  for (unsigned i = 0; i < node.getNumOutputs(); ++i) {
    StringRef name = proto.output(i);
    if (name.empty() || !used.contains(name))
      continue;
    auto it = values.find(name);
    if (it == values.end() || (!it->second.value && !it->second.constant))
      return node.emitError() << "output '" << name
                              << "' is used but this variant does not "
                                 "produce it";
    // Cross-check our static shape against ONNX shape inference.
    auto expected = getStaticShape(inferred.lookup(name));
    ArrayRef<int64_t> actual = getShape(name);
    // Values only the importer sees (shape computations) may be empty.
    if (auto problem = findShapeProblem(actual, getDType(name),
                                        /*allowEmpty=*/!it->second.value))
      return node.emitError() << "output '" << name << "' " << *problem;
    if (expected && ArrayRef<int64_t>(*expected) != actual)
      return node.emitError()
             << "output '" << name << "' has shape " << formatShape(actual)
             << ", but ONNX shape inference says " << formatShape(*expected);
  }
  return success();
}

OwningOpRef<ModuleOp> GraphImporter::import() {
  Location fileLoc = FileLineColLoc::get(context, sourceName, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  const onnx::GraphProto &graph = model.graph();

  for (const auto &info : graph.input())
    inferred[info.name()] = &info;
  for (const auto &info : graph.value_info())
    inferred[info.name()] = &info;
  for (const auto &info : graph.output())
    inferred[info.name()] = &info;
  for (const auto &node : graph.node())
    for (const auto &input : node.input())
      used.insert(input);
  for (const auto &output : graph.output())
    used.insert(output.name());

  if (failed(importInitializers()) || failed(checkSupported()))
    return nullptr;

  auto func =
      func::FuncOp::create(fileLoc, "main", FunctionType::get(context, {}, {}));
  module->push_back(func);
  Block *body = func.addEntryBlock();
  SmallVector<Type> argTypes;
  if (failed(importInputs(*body, argTypes)))
    return nullptr;
  builder.setInsertionPointToEnd(body);

  for (const auto &node : graph.node())
    if (failed(importNode(node)))
      return nullptr;

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (const auto &output : graph.output()) {
    auto value = materialize(output.name());
    if (failed(value))
      return nullptr;
    results.push_back(*value);
    resultTypes.push_back(value->getType());
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setFunctionType(FunctionType::get(context, argTypes, resultTypes));

  // Keep the ONNX names of inputs and outputs for tools and reports.
  unsigned arg = 0;
  for (const auto &input : graph.input())
    if (values[input.name()].value &&
        isa<BlockArgument>(values[input.name()].value))
      func.setArgAttr(arg++, "onnx.name", builder.getStringAttr(input.name()));
  for (auto [i, output] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", builder.getStringAttr(output.name()));

  // Shape computations and unused branches leave dead constants behind.
  IRRewriter rewriter(context);
  (void)runRegionDCE(rewriter, func.getBody());

  if (failed(mlir::verify(*module)))
    return nullptr;
  return module;
}

} // namespace tandem::onnx_import
