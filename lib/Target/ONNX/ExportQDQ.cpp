//===- ExportQDQ.cpp - Quantized accel IR to ONNX QCDQ --------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Writes @main of a quantized module as an ONNX model, opset 13, in the QCDQ
// form (docs/quantization.md): every quantized tensor is the float result of
// its op passed through QuantizeLinear (int8 container) -> Clip to its
// storage range (when narrower than int8, so sub-8-bit widths survive) ->
// DequantizeLinear. Weights are their real values quantized the same way
// (per output channel); biases are int32 initializers behind
// DequantizeLinear. The ops compute in f32 on the dequantized values, as
// ONNX Runtime's QDQ convention has it; the importer (QuantizeLinear,
// DequantizeLinear, Clip on integers) and --accel-fold-qdq turn the file
// back into the same quantized IR.
//
//===----------------------------------------------------------------------===//

#include "tandem/Target/ONNX/ExportQDQ.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/Dialect/Accel/IR/AccelOps.h"
#include "tandem/Dialect/Accel/IR/ConstantUtils.h"
#include "tandem/InitAll.h"
#include "tandem/Quantization/Grid.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

#include "onnx/onnx_pb.h"

#include <cmath>

using namespace mlir;
using namespace tandem;
using namespace tandem::accel;

namespace {

using tandem::quant::getGrid;
using tandem::quant::Grid;

class Exporter {
public:
  Exporter(func::FuncOp main) : main(main) {}
  LogicalResult run(std::string &bytes);

private:
  std::string fresh(StringRef hint) {
    std::string base = hint.str();
    for (char &c : base)
      if (!isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' &&
          c != '/')
        c = '_';
    std::string name = base;
    for (int i = 1; !used.insert(name).second; ++i)
      name = base + "_" + std::to_string(i);
    return name;
  }
  onnx::NodeProto *node(StringRef type, ArrayRef<std::string> inputs,
                        StringRef output, StringRef name) {
    onnx::NodeProto *n = graph->add_node();
    n->set_op_type(type.str());
    n->set_name(fresh(name));
    for (const std::string &i : inputs)
      n->add_input(i);
    n->add_output(output.str());
    return n;
  }
  static void ints(onnx::NodeProto *n, StringRef name, ArrayRef<int64_t> v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }
  static void integer(onnx::NodeProto *n, StringRef name, int64_t v) {
    onnx::AttributeProto *a = n->add_attribute();
    a->set_name(name.str());
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(v);
  }
  template <typename T>
  std::string initializer(StringRef hint, int32_t dtype,
                          ArrayRef<int64_t> shape, ArrayRef<T> values) {
    onnx::TensorProto *t = graph->add_initializer();
    std::string name = fresh(hint);
    t->set_name(name);
    t->set_data_type(dtype);
    for (int64_t d : shape)
      t->add_dims(d);
    t->set_raw_data(std::string(reinterpret_cast<const char *>(values.data()),
                                values.size() * sizeof(T)));
    return name;
  }
  /// Scale and zero point initializers of a grid (scalars, or vectors along
  /// its axis), zero points int8 or int32.
  std::pair<std::string, std::string>
  gridInitializers(StringRef hint, const Grid &g, bool int32);
  /// x (real values) -> QuantizeLinear -> [Clip] -> DequantizeLinear.
  LogicalResult quantize(Operation *op, const std::string &x, const Grid &g,
                         StringRef out, StringRef hint);
  LogicalResult exportOp(Operation *op);
  std::string nameOf(Value v) { return names.lookup(v); }

  func::FuncOp main;
  onnx::GraphProto *graph = nullptr;
  llvm::StringSet<> used;
  DenseMap<Value, std::string> names;
};

std::pair<std::string, std::string>
Exporter::gridInitializers(StringRef hint, const Grid &g, bool int32) {
  SmallVector<int64_t> shape;
  if (g.axis >= 0)
    shape.push_back(g.scales.size());
  SmallVector<float> scales(g.scales.begin(), g.scales.end());
  std::string scale = initializer<float>(
      (hint + "_scale").str(), onnx::TensorProto::FLOAT, shape, scales);
  std::string zero;
  if (int32) {
    SmallVector<int32_t> z(g.zeroPoints.begin(), g.zeroPoints.end());
    zero = initializer<int32_t>((hint + "_zero_point").str(),
                                onnx::TensorProto::INT32, shape, z);
  } else {
    SmallVector<int8_t> z(g.zeroPoints.begin(), g.zeroPoints.end());
    zero = initializer<int8_t>((hint + "_zero_point").str(),
                               onnx::TensorProto::INT8, shape, z);
  }
  return {scale, zero};
}

LogicalResult Exporter::quantize(Operation *op, const std::string &x,
                                 const Grid &g, StringRef out, StringRef hint) {
  if (g.bits > 8)
    return op->emitError("cannot export a ")
           << g.bits
           << "-bit quantized tensor: ONNX opset 13 QuantizeLinear stores "
              "int8 or uint8 only";
  auto [scale, zero] = gridInitializers(hint, g, false);
  std::string q = fresh((hint + "_q").str());
  onnx::NodeProto *qn =
      node("QuantizeLinear", {x, scale, zero}, q, (hint + "_quantize").str());
  if (g.axis >= 0)
    integer(qn, "axis", g.axis);
  std::string stored = q;
  if (g.qmin > -128 || g.qmax < 127) {
    SmallVector<int8_t> lo = {static_cast<int8_t>(g.qmin)},
                        hi = {static_cast<int8_t>(g.qmax)};
    std::string minName = initializer<int8_t>((hint + "_qmin").str(),
                                              onnx::TensorProto::INT8, {}, lo);
    std::string maxName = initializer<int8_t>((hint + "_qmax").str(),
                                              onnx::TensorProto::INT8, {}, hi);
    stored = fresh((hint + "_clipped").str());
    node("Clip", {q, minName, maxName}, stored, (hint + "_clip").str());
  }
  onnx::NodeProto *dq = node("DequantizeLinear", {stored, scale, zero}, out,
                             (hint + "_dequantize").str());
  if (g.axis >= 0)
    integer(dq, "axis", g.axis);
  return success();
}

LogicalResult Exporter::exportOp(Operation *op) {
  std::string hint = getDisplayName(op);
  if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    // Integer constants are read by the storage casts; f32 ones are weights
    // of float ops.
    auto type = cast<RankedTensorType>(c.getType());
    if (!type.getElementType().isF32())
      return success();
    // Inline or a resource blob (large biases of layers whose bias add
    // stays in f32).
    std::optional<SmallVector<float>> values =
        accel::getConstantF32Values(c.getResult());
    if (!values)
      return op->emitError("cannot export an f32 constant whose values are "
                           "not available");
    names[c.getResult()] = initializer<float>("const", onnx::TensorProto::FLOAT,
                                              type.getShape(), *values);
    return success();
  }
  if (auto q = dyn_cast<mlir::quant::QuantizeCastOp>(op)) {
    std::string out = fresh(hint + "_quantized");
    names[q.getResult()] = out;
    std::optional<Grid> g = getGrid(q.getType());
    if (!g)
      return op->emitError("can export signed uniform quantized types only, "
                           "got ")
             << getElementTypeOrSelf(q.getType());
    return quantize(op, nameOf(q.getInput()), *g, out, hint);
  }
  if (auto d = dyn_cast<mlir::quant::DequantizeCastOp>(op)) {
    names[d.getResult()] = nameOf(d.getInput());
    return success();
  }
  if (auto s = dyn_cast<mlir::quant::StorageCastOp>(op)) {
    DenseIntElementsAttr ints;
    std::optional<Grid> g = getGrid(s.getType());
    if (!g || !matchPattern(s.getInput(), m_Constant(&ints)))
      return op->emitError("can export storage casts of integer constants "
                           "to signed quantized types only");
    auto type = cast<RankedTensorType>(s.getType());
    ArrayRef<int64_t> shape = type.getShape();
    std::string out = fresh(hint + "_weight");
    names[s.getResult()] = out;
    if (g->bits == 32) {
      // A bias: int32 behind DequantizeLinear.
      SmallVector<int32_t> values;
      for (const APInt &v : ints.getValues<APInt>())
        values.push_back(static_cast<int32_t>(v.getSExtValue()));
      std::string raw = initializer<int32_t>(
          hint + "_int32", onnx::TensorProto::INT32, shape, values);
      auto [scale, zero] = gridInitializers(hint, *g, true);
      onnx::NodeProto *dq = node("DequantizeLinear", {raw, scale, zero}, out,
                                 hint + "_dequantize");
      if (g->axis >= 0)
        integer(dq, "axis", g->axis);
      return success();
    }
    // Other weights: their real values, quantized like activations (the
    // Clip keeps the narrow range visible).
    int64_t inner = 1;
    if (g->axis >= 0)
      for (size_t d = g->axis + 1; d < shape.size(); ++d)
        inner *= shape[d];
    SmallVector<float> reals;
    int64_t i = 0;
    for (const APInt &v : ints.getValues<APInt>()) {
      int64_t c = g->axis >= 0 ? (i / inner) % shape[g->axis] : 0;
      reals.push_back(static_cast<float>(v.getSExtValue() - g->zeroPoints[c]) *
                      static_cast<float>(g->scales[c]));
      ++i;
    }
    std::string real = initializer<float>(
        hint + "_real", onnx::TensorProto::FLOAT, shape, reals);
    // Wider than int8 (16-bit weights, a PoT-5 code's 2^15): QuantizeLinear
    // cannot hold them, so they travel as their exact real values.
    if (g->bits > 8) {
      names[s.getResult()] = real;
      return success();
    }
    return quantize(op, real, *g, out, hint);
  }
  if (isa<func::ReturnOp>(op))
    return success();

  // Accel ops: the float op on real values, then the result's grid.
  Value result = op->getNumResults() == 1 ? op->getResult(0) : Value();
  if (!result || !isa<AccelDialect>(op->getDialect()))
    return op->emitError("cannot export '") << op->getName() << "' to ONNX QDQ";
  std::optional<Grid> g = getGrid(result.getType());
  bool accumulator = g && g->bits == 32;
  std::string f = g && !accumulator ? fresh(hint + "_real") : fresh(hint);
  SmallVector<std::string> in;
  for (Value v : op->getOperands())
    in.push_back(nameOf(v));
  if (auto conv = dyn_cast<Conv2DOp>(op)) {
    onnx::NodeProto *n = node("Conv", in, f, hint);
    auto wShape = cast<RankedTensorType>(conv.getWeight().getType()).getShape();
    ints(n, "kernel_shape", wShape.drop_front(2));
    ints(n, "strides", conv.getStrides());
    ints(n, "pads", conv.getPads());
    ints(n, "dilations", conv.getDilations());
    integer(n, "group", conv.getGroups());
  } else if (isa<MatmulOp>(op)) {
    node("MatMul", in, f, hint);
  } else if (isa<AddOp>(op)) {
    node("Add", in, f, hint);
  } else if (isa<ReluOp>(op)) {
    node("Relu", in, f, hint);
  } else if (auto clip = dyn_cast<ClipOp>(op)) {
    SmallVector<std::string> args = {in[0]};
    for (std::optional<APFloat> bound : {clip.getMin(), clip.getMax()}) {
      SmallVector<float> v = {bound
                                  ? bound->convertToFloat()
                                  : (args.size() == 1 ? -INFINITY : INFINITY)};
      args.push_back(
          initializer<float>(hint + "_bound", onnx::TensorProto::FLOAT, {}, v));
    }
    node("Clip", args, f, hint);
  } else if (auto pool = dyn_cast<Pool2DOp>(op)) {
    bool isMax = pool.getKind() == PoolKind::Max;
    if (!isMax &&
        llvm::any_of(pool.getDilations(), [](int64_t d) { return d != 1; }))
      return op->emitError("cannot export dilated average pooling to opset 13");
    onnx::NodeProto *n = node(isMax ? "MaxPool" : "AveragePool", in, f, hint);
    ints(n, "kernel_shape", pool.getKernel());
    ints(n, "strides", pool.getStrides());
    ints(n, "pads", pool.getPads());
    if (isMax)
      ints(n, "dilations", pool.getDilations());
    if (pool.getCeilMode())
      integer(n, "ceil_mode", 1);
    if (!isMax && pool.getCountIncludePad())
      integer(n, "count_include_pad", 1);
  } else if (auto reshape = dyn_cast<ReshapeOp>(op)) {
    SmallVector<int64_t> shape(reshape.getType().getShape());
    std::string s =
        initializer<int64_t>(hint + "_shape", onnx::TensorProto::INT64,
                             {(int64_t)shape.size()}, shape);
    node("Reshape", {in[0], s}, f, hint);
  } else if (auto transpose = dyn_cast<TransposeOp>(op)) {
    onnx::NodeProto *n = node("Transpose", in, f, hint);
    ints(n, "perm", transpose.getPerm());
  } else if (isa<CastOp>(op) && g) {
    // Requantization: the real values onto the result's grid.
    f = in[0];
  } else {
    return op->emitError("cannot export '") << op->getName() << "' to ONNX QDQ";
  }
  if (!g || accumulator) {
    names[result] = f;
    return success();
  }
  std::string out = fresh(hint + "_quantized");
  names[result] = out;
  return quantize(op, f, *g, out, hint);
}

LogicalResult Exporter::run(std::string &bytes) {
  onnx::ModelProto model;
  model.set_ir_version(8);
  model.set_producer_name("tandem");
  onnx::OperatorSetIdProto *opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(13);
  graph = model.mutable_graph();
  graph->set_name("main");
  auto addValueInfo = [](onnx::ValueInfoProto *vi, StringRef name, Type t) {
    vi->set_name(name.str());
    auto type = cast<RankedTensorType>(t);
    onnx::TypeProto::Tensor *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : type.getShape())
      tt->mutable_shape()->add_dim()->set_dim_value(d);
  };
  for (BlockArgument arg : main.getArguments()) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || !type.getElementType().isF32())
      return main.emitError("can export @main with f32 tensor arguments only");
    auto name =
        main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
    std::string n = fresh(name ? name.getValue().str()
                               : "input" + std::to_string(arg.getArgNumber()));
    names[arg] = n;
    addValueInfo(graph->add_input(), n, type);
  }
  for (Operation &op : main.front())
    if (failed(exportOp(&op)))
      return failure();
  Operation *ret = main.front().getTerminator();
  for (auto [i, v] : llvm::enumerate(ret->getOperands())) {
    auto type = dyn_cast<RankedTensorType>(v.getType());
    if (!type || !type.getElementType().isF32())
      return ret->emitError("can export f32 results only");
    auto name = main.getResultAttrOfType<StringAttr>(i, "onnx.name");
    std::string n =
        fresh(name ? name.getValue().str() : "output" + std::to_string(i));
    node("Identity", {nameOf(v)}, n, n + "_identity");
    addValueInfo(graph->add_output(), n, type);
  }
  if (!model.SerializeToString(&bytes))
    return main.emitError("the ONNX model could not be serialized");
  return success();
}

} // namespace

LogicalResult tandem::exportQDQ(ModuleOp module, std::string &bytes) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal() || !main.getBody().hasOneBlock())
    return module.emitError("expects a function @main with one block");
  return Exporter(main).run(bytes);
}

void tandem::registerExportQDQTranslation() {
  static mlir::TranslateFromMLIRRegistration registration(
      "export-onnx-qdq",
      "Export a (quantized) accel model as ONNX opset 13 in the QCDQ form "
      "(QuantizeLinear -> Clip -> DequantizeLinear)",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError("expects a module");
        std::string bytes;
        if (failed(exportQDQ(module, bytes)))
          return failure();
        os << bytes;
        return success();
      },
      [](DialectRegistry &registry) { registerAllDialects(registry); });
}
