//===- Module.cpp - tandem._tandem: models, targets, cost, mapping --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The module's entry point and its first half: the process's context and
// error reporting, models (load, import bytes, layers, loop nests, pass
// pipelines, running on numpy arrays, pickling), targets, the cost report
// and the mapper. Quantization.cpp and CoDesign.cpp bind the rest.
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "tandem/Analysis/CostReport.h"
#include "tandem/CoDesign/Report.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"
#include "tandem/InitAll.h"
#include "tandem/Mapping/Passes.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Support/WeightEncoding.h"
#include "tandem/Target/ONNX/ImportONNX.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/YAMLParser.h"
#include "llvm/Support/raw_ostream.h"

#include <pybind11/numpy.h>
#include <pybind11/stl.h>

using namespace mlir;
using namespace tandem;
using namespace tandem::python;

namespace {

thread_local DiagnosticCapture *activeCapture = nullptr;
std::mutex strayMutex;
/// Diagnostics emitted on threads with no capture (a pass's workers).
std::vector<std::string> strayDiagnostics;

/// "file:line:col: error: message", as the tools print a diagnostic.
std::string formatDiagnostic(Diagnostic &diag) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::optional<FileLineColLoc> fileLoc;
  diag.getLocation()->walk([&](Location loc) {
    if (auto f = dyn_cast<FileLineColLoc>(loc)) {
      fileLoc = f;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (fileLoc)
    os << fileLoc->getFilename().getValue() << ":" << fileLoc->getLine() << ":"
       << fileLoc->getColumn() << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error:
    os << "error: ";
    break;
  case DiagnosticSeverity::Warning:
    os << "warning: ";
    break;
  case DiagnosticSeverity::Note:
    os << "note: ";
    break;
  case DiagnosticSeverity::Remark:
    os << "remark: ";
    break;
  }
  os << diag.str();
  for (Diagnostic &note : diag.getNotes())
    os << "\n" << formatDiagnostic(note);
  return text;
}

/// numpy's dtype of a tensor element type.
py::dtype getDType(exec::ElementType type) {
  switch (type) {
  case exec::ElementType::F32:
    return py::dtype::of<float>();
  case exec::ElementType::F64:
    return py::dtype::of<double>();
  case exec::ElementType::F16:
    return py::dtype("float16");
  case exec::ElementType::BF16:
    break;
  case exec::ElementType::I64:
    return py::dtype::of<int64_t>();
  case exec::ElementType::I32:
    return py::dtype::of<int32_t>();
  case exec::ElementType::I16:
    return py::dtype::of<int16_t>();
  case exec::ElementType::I8:
    return py::dtype::of<int8_t>();
  case exec::ElementType::I1:
    return py::dtype::of<bool>();
  }
  raise("bf16 tensors have no numpy type; cast the model's inputs and "
        "outputs to f32");
}

llvm::StringRef stringifyComputeKind(accel::ComputeKind kind) {
  switch (kind) {
  case accel::ComputeKind::Contraction:
    return "contraction";
  case accel::ComputeKind::Elementwise:
    return "elementwise";
  case accel::ComputeKind::Window:
    return "window";
  case accel::ComputeKind::Reduction:
    return "reduction";
  }
  return "unknown";
}

py::dict getCounts(const accel::OpCounts &c) {
  py::dict d;
  d["macs"] = c.macs;
  d["adds"] = c.adds;
  d["muls"] = c.muls;
  d["divs"] = c.divs;
  d["compares"] = c.compares;
  d["transcendentals"] = c.transcendentals;
  return d;
}

py::object parseJSON(const std::string &text) {
  return py::module_::import("json").attr("loads")(text);
}

ONNXImportOptions getImportOptions(const std::vector<std::string> &shapes,
                                   bool allowUnsupported) {
  ONNXImportOptions options;
  options.allowUnsupported = allowUnsupported;
  for (const std::string &text : shapes) {
    std::pair<std::string, llvm::SmallVector<int64_t, 4>> shape;
    std::string error;
    if (!parseInputShape(text, shape, error))
      raise("input_shapes: " + error);
    options.inputShapes.push_back(std::move(shape));
  }
  return options;
}

ModelPtr loadModel(const std::string &path,
                   const std::vector<std::string> &inputShapes,
                   bool allowUnsupported) {
  ONNXImportOptions options = getImportOptions(inputShapes, allowUnsupported);
  DiagnosticCapture diagnostics;
  OwningOpRef<ModuleOp> module;
  {
    py::gil_scoped_release release;
    module = loadModelFile(path, &getContext(), options);
  }
  if (!module)
    raise("cannot load model '" + path + "'", &diagnostics);
  return std::make_shared<Model>(llvm::sys::path::stem(path).str(),
                                 std::move(module));
}

ModelPtr modelFromBytes(const py::bytes &data, const std::string &format,
                        const std::string &name,
                        const std::vector<std::string> &inputShapes,
                        bool allowUnsupported) {
  std::string bytes = data;
  if (format != "onnx" && format != "onnxtext" && format != "mlir")
    raise("format must be onnx, onnxtext or mlir, not '" + format + "'");
  ONNXImportOptions options = getImportOptions(inputShapes, allowUnsupported);
  DiagnosticCapture diagnostics;
  OwningOpRef<ModuleOp> module;
  {
    py::gil_scoped_release release;
    if (format == "mlir")
      module =
          parseSourceString<ModuleOp>(bytes, ParserConfig(&getContext()), name);
    else
      module =
          importONNX(bytes, format == "onnxtext", name, &getContext(), options);
  }
  if (!module)
    raise("cannot load model '" + name + "'", &diagnostics);
  return std::make_shared<Model>(llvm::sys::path::stem(name).str(),
                                 std::move(module));
}

py::bytes getBytecode(Model &m) {
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  if (failed(writeBytecodeToFile(*m.module, os)))
    raise("cannot write model '" + m.name + "' as bytecode");
  return py::bytes(bytes);
}

std::string printModel(Model &m) {
  std::string text;
  llvm::raw_string_ostream os(text);
  m.module->print(os);
  return text;
}

py::list getLayers(Model &m) {
  py::list result;
  for (const workload::Layer &l : m.getAnalysis().getLayers()) {
    py::dict d;
    d["name"] = l.name;
    d["kind"] = l.kind;
    d["category"] = l.category == workload::Layer::Category::Compute ? "compute"
                    : l.category == workload::Layer::Category::DataMovement
                        ? "data_movement"
                        : "unmodelled";
    d["macs"] = l.nest ? l.nest->getMacs() : 0;
    py::list operands;
    for (const workload::Operand &o : l.operands) {
      py::dict od;
      od["role"] = accel::stringifyOperandRole(o.role).str();
      od["float"] = o.format.isFloat;
      od["bits"] = o.format.bits;
      od["elements"] = o.elements;
      if (o.format.encoding)
        od["encoding"] = getEncodingLabel(*o.format.encoding);
      operands.append(od);
    }
    d["operands"] = operands;
    result.append(d);
  }
  return result;
}

py::list getLoopNests(Model &m) {
  py::list result;
  for (const workload::Layer &l : m.getAnalysis().getLayers()) {
    if (!l.nest)
      continue;
    const accel::LoopNest &n = *l.nest;
    py::dict d;
    d["name"] = l.name;
    d["kind"] = stringifyComputeKind(n.kind).str();
    py::list dims;
    for (const accel::LoopDim &dim : n.dims) {
      py::dict dd;
      dd["name"] = dim.name;
      dd["extent"] = dim.extent;
      dd["reduction"] = dim.isReduction;
      dims.append(dd);
    }
    d["dims"] = dims;
    py::list tensors;
    for (const accel::TensorAccess &t : n.tensors) {
      py::dict td;
      td["name"] = t.name;
      td["role"] = accel::stringifyOperandRole(t.role).str();
      td["shape"] = std::vector<int64_t>(t.shape.begin(), t.shape.end());
      std::string map;
      llvm::raw_string_ostream os(map);
      t.map.print(os);
      td["map"] = map;
      tensors.append(td);
    }
    d["tensors"] = tensors;
    d["per_iteration"] = getCounts(n.perIteration);
    d["total"] = getCounts(n.getTotalCounts());
    d["iterations"] = n.getNumIterations();
    result.append(d);
  }
  return result;
}

ModelPtr runPipeline(Model &m, const std::string &pipeline) {
  ModelPtr copy = m.clone();
  PassManager pm(&getContext(), ModuleOp::getOperationName());
  std::string error;
  llvm::raw_string_ostream errorStream(error);
  llvm::StringRef text(pipeline);
  text = text.trim();
  if (text.starts_with("builtin.module(") && text.ends_with(")"))
    text = text.drop_front(strlen("builtin.module(")).drop_back();
  if (failed(parsePassPipeline(text, pm, errorStream)))
    raise("invalid pass pipeline '" + pipeline + "': " + error);
  DiagnosticCapture diagnostics;
  LogicalResult result = success();
  {
    py::gil_scoped_release release;
    result = pm.run(*copy->module);
  }
  if (failed(result))
    raise("the pass pipeline '" + pipeline + "' failed on model '" + m.name +
              "'",
          &diagnostics);
  return copy;
}

/// The model's outputs for `inputs` (a dict by name, or a sequence in
/// order): inputs of the right dtype, contiguous, are read in place;
/// outputs are written straight into new arrays.
py::dict runModel(Model &m, const py::object &inputs) {
  exec::Executable &exe = m.getExecutable();
  auto signatures = exe.getInputs();
  std::vector<py::array> arrays;
  bool byName = py::isinstance<py::dict>(inputs);
  py::sequence sequence;
  if (!byName) {
    if (!py::isinstance<py::sequence>(inputs))
      raise("inputs must be a dict of arrays by input name, or a sequence of "
            "arrays in input order");
    sequence = inputs.cast<py::sequence>();
    if (sequence.size() != signatures.size())
      raise("model '" + m.name + "' takes " +
            std::to_string(signatures.size()) + " input(s), got " +
            std::to_string(sequence.size()));
  } else {
    for (auto item : inputs.cast<py::dict>()) {
      std::string key = py::str(item.first);
      if (llvm::none_of(signatures, [&](const exec::TensorSignature &s) {
            return s.name == key;
          }))
        raise("model '" + m.name + "' has no input '" + key + "'");
    }
  }
  for (auto [i, sig] : llvm::enumerate(signatures)) {
    py::object given;
    if (byName) {
      auto dict = inputs.cast<py::dict>();
      if (!dict.contains(sig.name))
        raise("input '" + sig.name + "' (" + sig.describe() + ") is not given");
      given = dict[py::str(sig.name)];
    } else {
      given = sequence[i];
    }
    py::dtype dtype = getDType(sig.type);
    // A copy only when the dtype or the layout differs.
    auto array =
        py::array::ensure(given, py::array::c_style | py::array::forcecast);
    if (!array)
      raise("input '" + sig.name + "' is not an array");
    if (!array.dtype().is(dtype))
      array = py::array(
          py::module_::import("numpy").attr("ascontiguousarray")(array, dtype));
    std::vector<int64_t> shape(array.shape(), array.shape() + array.ndim());
    if (llvm::ArrayRef<int64_t>(shape) != llvm::ArrayRef<int64_t>(sig.shape)) {
      std::string got;
      for (int64_t d : shape)
        got += std::to_string(d) + "x";
      raise("input '" + sig.name + "' must be " + sig.describe() + ", got " +
            got + py::str(array.dtype()).cast<std::string>());
    }
    arrays.push_back(array);
  }
  std::vector<py::array> results;
  for (const exec::TensorSignature &sig : exe.getOutputs())
    results.emplace_back(
        getDType(sig.type),
        std::vector<py::ssize_t>(sig.shape.begin(), sig.shape.end()));
  std::vector<const void *> in;
  for (py::array &a : arrays)
    in.push_back(a.data());
  std::vector<void *> out;
  for (py::array &a : results)
    out.push_back(a.mutable_data());
  llvm::Error err = llvm::Error::success();
  {
    py::gil_scoped_release release;
    err = exe.runInPlace(in, out);
  }
  check(std::move(err));
  py::dict outputs;
  for (auto [sig, array] : llvm::zip(exe.getOutputs(), results))
    outputs[py::str(sig.name)] = array;
  return outputs;
}

/// A YAML node as Python values: maps, lists, and scalars as bool, int,
/// float or str (what printTarget writes).
py::object toPython(llvm::yaml::Node *node) {
  if (auto *map = llvm::dyn_cast_or_null<llvm::yaml::MappingNode>(node)) {
    py::dict d;
    for (llvm::yaml::KeyValueNode &kv : *map) {
      llvm::SmallString<32> storage;
      auto *key = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(kv.getKey());
      if (!key)
        raise("to_dict: a key is not a scalar");
      d[py::str(key->getValue(storage).str())] = toPython(kv.getValue());
    }
    return d;
  }
  if (auto *seq = llvm::dyn_cast_or_null<llvm::yaml::SequenceNode>(node)) {
    py::list l;
    for (llvm::yaml::Node &item : *seq)
      l.append(toPython(&item));
    return l;
  }
  if (auto *scalar = llvm::dyn_cast_or_null<llvm::yaml::ScalarNode>(node)) {
    llvm::SmallString<32> storage;
    llvm::StringRef text = scalar->getValue(storage);
    if (llvm::isa<llvm::yaml::ScalarNode>(node) &&
        scalar->getRawValue().starts_with("'") == false &&
        scalar->getRawValue().starts_with("\"") == false) {
      if (text == "true" || text == "false")
        return py::bool_(text == "true");
      int64_t i;
      if (!text.getAsInteger(10, i))
        return py::int_(i);
      double f;
      if (!text.getAsDouble(f))
        return py::float_(f);
    }
    return py::str(text.str());
  }
  return py::none();
}

py::dict targetToDict(const hw::Target &t) {
  std::string text = hw::printTarget(t);
  llvm::SourceMgr sm;
  llvm::yaml::Stream stream(text, sm);
  auto it = stream.begin();
  if (it == stream.end())
    raise("to_dict: the target printed no YAML");
  return toPython(it->getRoot()).cast<py::dict>();
}

hw::Target loadTarget(const std::string &nameOrPath) {
  return unwrap(hw::loadTarget(nameOrPath));
}

py::dict costModel(Model &m, const hw::Target &target, bool fuse,
                   int64_t floatBits, bool scalesimCounts) {
  if (floatBits < 0 || floatBits > 64)
    raise("float_bits must be between 0 and 64, not " +
          std::to_string(floatBits));
  if (scalesimCounts && !target.array.systolic)
    raise("scalesim_counts needs a systolic target (SCALE-Sim models "
          "systolic arrays only); target '" +
          target.name + "' is not (array.systolic: false)");
  const workload::WorkloadModel &model = m.getAnalysis();
  DiagnosticCapture diagnostics;
  std::string text;
  bool failedCost = false;
  {
    py::gil_scoped_release release;
    workload::CostOptions options;
    options.floatBits = floatBits;
    options.fuse = fuse;
    workload::WorkloadCost result = costForReport(model, target, options);
    if (result.failed()) {
      Operation *at =
          result.errorOp ? result.errorOp : m.module->getOperation();
      at->emitError(result.error);
      failedCost = true;
    } else {
      text = llvm::formatv(
                 "{0}", getCostReportJSON(&getContext(), model, target, result,
                                          {floatBits, fuse, scalesimCounts}))
                 .str();
    }
  }
  if (failedCost)
    raise("cannot cost model '" + m.name + "' on target '" + target.name + "'",
          &diagnostics);
  return parseJSON(text).cast<py::dict>();
}

ModelPtr mapModel(Model &m, const hw::Target &target,
                  const std::string &strategy, const std::string &objective,
                  uint64_t seed, int64_t floatBits, double timeBudgetMs) {
  mapping::SearchOptions options;
  auto s = mapping::parseStrategy(strategy);
  if (!s)
    raise("strategy must be heuristic, local, genetic, auto, random or "
          "exhaustive, not '" +
          strategy + "'");
  options.strategy = *s;
  auto o = parseMetric(objective);
  if (!o || !mapping::isMappingObjective(*o))
    raise("objective must be latency, energy or edp, not '" + objective + "'");
  options.objective = *o;
  options.seed = seed;
  if (timeBudgetMs > 0)
    options.timeBudgetMs = timeBudgetMs;
  ModelPtr copy = m.clone();
  DiagnosticCapture diagnostics;
  LogicalResult result = success();
  {
    py::gil_scoped_release release;
    workload::WorkloadModel analysis(*copy->module);
    result =
        mapping::mapModule(*copy->module, analysis, target, options, floatBits);
  }
  if (failed(result))
    raise("cannot map model '" + m.name + "' on target '" + target.name + "'",
          &diagnostics);
  return copy;
}

} // namespace

//===----------------------------------------------------------------------===//
// Shared pieces (Bindings.h)
//===----------------------------------------------------------------------===//

MLIRContext &tandem::python::getContext() {
  static MLIRContext *context = [] {
    DialectRegistry registry;
    registerAllDialects(registry);
    auto *c = new MLIRContext(registry);
    c->loadAllAvailableDialects();
    registerAllPasses();
    c->getDiagEngine().registerHandler([](Diagnostic &diag) {
      std::string text = formatDiagnostic(diag);
      if (activeCapture) {
        activeCapture->lines.push_back(std::move(text));
      } else {
        std::lock_guard<std::mutex> lock(strayMutex);
        strayDiagnostics.push_back(std::move(text));
      }
      return success();
    });
    return c;
  }();
  return *context;
}

DiagnosticCapture::DiagnosticCapture() : previous(activeCapture) {
  activeCapture = this;
  std::lock_guard<std::mutex> lock(strayMutex);
  strayDiagnostics.clear();
}

DiagnosticCapture::~DiagnosticCapture() { activeCapture = previous; }

std::string DiagnosticCapture::take() {
  {
    std::lock_guard<std::mutex> lock(strayMutex);
    lines.insert(lines.end(), strayDiagnostics.begin(), strayDiagnostics.end());
    strayDiagnostics.clear();
  }
  std::string text;
  for (const std::string &line : lines)
    text += (text.empty() ? "" : "\n") + line;
  lines.clear();
  return text;
}

void tandem::python::raise(const std::string &message,
                           DiagnosticCapture *diagnostics) {
  std::string text = diagnostics ? diagnostics->take() : std::string();
  if (!text.empty())
    text += "\n";
  text += message;
  static py::object error = py::module_::import("tandem._tandem").attr("Error");
  PyErr_SetString(error.ptr(), text.c_str());
  throw py::error_already_set();
}

void tandem::python::check(llvm::Error error, DiagnosticCapture *diagnostics) {
  if (error)
    raise(llvm::toString(std::move(error)), diagnostics);
}

const workload::WorkloadModel &Model::getAnalysis() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!analysis)
    analysis = std::make_unique<workload::WorkloadModel>(*module);
  return *analysis;
}

exec::Executable &Model::getExecutable() {
  if (executable)
    return *executable;
  DiagnosticCapture diagnostics;
  llvm::Expected<std::unique_ptr<exec::Executable>> compiled = nullptr;
  {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex);
    if (executable)
      return *executable;
    compiled = exec::Executable::compile(*module);
  }
  auto exe = unwrap(std::move(compiled), &diagnostics);
  std::lock_guard<std::mutex> lock(mutex);
  if (!executable)
    executable = std::move(exe);
  return *executable;
}

ModelPtr Model::clone() const {
  ModuleOp original = module.get();
  return std::make_shared<Model>(name, OwningOpRef<ModuleOp>(original.clone()));
}

//===----------------------------------------------------------------------===//
// Models and targets
//===----------------------------------------------------------------------===//

void tandem::python::bindModels(py::module_ &m) {
  py::class_<Model, ModelPtr>(m, "Model", R"(A model in Tandem's accel dialect.

Load one with tandem.load(path) or Model.from_bytes(data, format). A Model
is immutable: passes, mapping and quantization return new Models.)")
      .def_static("load", &loadModel, py::arg("path"),
                  py::arg("input_shapes") = std::vector<std::string>(),
                  py::arg("allow_unsupported") = false,
                  "Loads .onnx, .onnxtext or .mlir (ONNX imported into the "
                  "accel dialect).")
      .def_static("from_bytes", &modelFromBytes, py::arg("data"),
                  py::arg("format"), py::arg("name") = "model",
                  py::arg("input_shapes") = std::vector<std::string>(),
                  py::arg("allow_unsupported") = false,
                  "A model from bytes: format 'onnx' (a ModelProto), "
                  "'onnxtext' or 'mlir' (text or bytecode); `name` appears "
                  "in errors.")
      .def_readonly("name", &Model::name)
      .def("layers", &getLayers,
           "Every op of the workload model: name, kind, category (compute, "
           "data_movement, unmodelled), MACs and operands (role, bits).")
      .def("loop_nests", &getLoopNests,
           "The loop nest of every compute op: dims (name, extent, "
           "reduction), tensors (role, shape, affine map) and operation "
           "counts.")
      .def("run_passes", &runPipeline, py::arg("pipeline"),
           "Runs a textual pass pipeline, as tandem-opt's --pass-pipeline "
           "takes it ('accel-fuse,canonicalize' or "
           "'builtin.module(...)'), on a copy; returns the copy.")
      .def("run", &runModel, py::arg("inputs"),
           "Runs the model (JIT-compiled on first use) on numpy arrays: a "
           "dict by input name or a sequence in input order. Returns a dict "
           "of output arrays. Inputs of the right dtype that are "
           "C-contiguous are read in place.")
      .def(
          "input_signatures",
          [](Model &model) {
            py::list result;
            for (const auto &sig : model.getExecutable().getInputs())
              result.append(py::make_tuple(
                  sig.name,
                  std::vector<int64_t>(sig.shape.begin(), sig.shape.end()),
                  getDType(sig.type)));
            return result;
          },
          "(name, shape, dtype) of every input.")
      .def("to_mlir", &printModel, "The model as MLIR text.")
      .def("__str__", &printModel)
      .def("to_bytecode", &getBytecode, "The model as MLIR bytecode.")
      .def(
          "save",
          [](Model &model, const std::string &path) {
            // Whole or not at all, as the tools write.
            check(writeOutputFile(path, [&](llvm::raw_ostream &os) {
              model.module->print(os);
              return llvm::Error::success();
            }));
          },
          py::arg("path"), "Writes the model as MLIR text.")
      .def(py::pickle(
          [](Model &model) {
            return py::make_tuple(model.name, getBytecode(model));
          },
          [](py::tuple state) {
            if (state.size() != 2)
              raise("invalid pickled Model");
            ModelPtr loaded =
                modelFromBytes(state[1].cast<py::bytes>(), "mlir",
                               state[0].cast<std::string>(), {}, false);
            loaded->name = state[0].cast<std::string>();
            return loaded;
          }));

  py::class_<hw::Target>(m, "Target", R"(An accelerator target.

Target.preset("eyeriss"), Target.load("my.yaml"), Target.from_yaml(text) or
Target.from_dict(d); to_yaml() and to_dict() give it back with every
default explicit.)")
      .def_static("load", &loadTarget, py::arg("name_or_path"),
                  "A preset by name (see Target.presets()) or a YAML file.")
      .def_static("preset", &loadTarget, py::arg("name"))
      .def_static(
          "from_yaml",
          [](const std::string &text, const std::string &name) {
            return unwrap(hw::parseTarget(text, name));
          },
          py::arg("text"), py::arg("name") = "<yaml>",
          "A target from YAML text (docs/targets.md); `name` appears in "
          "errors.")
      .def_static(
          "presets",
          []() {
            auto names = hw::listPresets();
            return std::vector<std::string>(names.begin(), names.end());
          },
          "Names of the shipped presets.")
      .def("to_yaml", &hw::printTarget,
           "The target as YAML, every default explicit.")
      .def("to_dict", &targetToDict,
           "The target as a dict in the YAML format, every default "
           "explicit.")
      .def_readonly("name", &hw::Target::name)
      .def_readonly("source", &hw::Target::source)
      .def_readonly("clock_mhz", &hw::Target::clockMHz)
      .def_property_readonly("rows",
                             [](const hw::Target &t) { return t.array.rows; })
      .def_property_readonly("cols",
                             [](const hw::Target &t) { return t.array.cols; })
      .def_property_readonly("area_mm2", &hw::Target::getAreaMM2)
      .def("__repr__",
           [](const hw::Target &t) {
             return "<tandem.Target '" + t.name + "' " +
                    std::to_string(t.array.rows) + "x" +
                    std::to_string(t.array.cols) + ">";
           })
      .def(py::pickle(
          [](const hw::Target &t) {
            return py::make_tuple(hw::printTarget(t), t.source);
          },
          [](py::tuple state) {
            hw::Target t = unwrap(hw::parseTarget(
                state[0].cast<std::string>(), state[1].cast<std::string>()));
            t.source = state[1].cast<std::string>();
            return t;
          }));

  m.def("cost", &costModel, py::arg("model"), py::arg("target"),
        py::arg("fuse") = true, py::arg("float_bits") = 0,
        py::arg("scalesim_counts") = false,
        "The cost report (tandem-cost-report/3, as tandem-opt "
        "--accel-cost-report=\"format=json\" prints it) as a dict.");
  m.def("map", &mapModel, py::arg("model"), py::arg("target"),
        py::arg("strategy") = "auto", py::arg("objective") = "edp",
        py::arg("seed") = 1, py::arg("float_bits") = 0,
        py::arg("time_budget_ms") = 0.0,
        "A copy of the model with every array layer's mapping searched on "
        "the target (accel.mapping attributes), as --accel-map-dataflow.");
  m.def("version", []() { return codesign::getToolVersion().str(); });
}

PYBIND11_MODULE(_tandem, m) {
  m.doc() = "Tandem's C++ API (use the package `tandem`).";
  static py::exception<std::exception> error(m, "Error", PyExc_RuntimeError);
  (void)getContext();
  bindModels(m);
  bindQuantization(m);
  bindCoDesign(m);
}
