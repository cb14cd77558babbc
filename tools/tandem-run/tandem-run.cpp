//===- tandem-run.cpp - Run a model through the JIT -----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
//   tandem-run MODEL [INPUT...] [--input NAME=FILE] [--output-dir DIR]
//              [--expect NAME=FILE --rtol R --atol A] [--print] [--time]
//
// MODEL is .onnx, .onnxtext or .mlir (accel IR with a @main on tensors).
// Inputs and expected outputs are .npy or ONNX TensorProto (.pb) files.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Executable.h"
#include "tandem/Execution/InputBinding.h"
#include "tandem/Execution/NumPy.h"
#include "tandem/InitAll.h"
#include "tandem/Quantization/Accuracy.h"
#include "tandem/Quantization/PolicyScorer.h"
#include "tandem/Runtime/Runtime.h"
#include "tandem/Support/Limits.h"
#include "tandem/Target/ONNX/ImportONNX.h"
#include "tandem/Target/ONNX/TensorFiles.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <random>

using namespace llvm;
using namespace tandem;
using exec::Tensor;

namespace {

cl::OptionCategory category("tandem-run options");

cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model: .onnx, .onnxtext or .mlir>"),
                               cl::cat(category));
cl::list<std::string>
    positionalInputs(cl::Positional,
                     cl::desc("[input files, in the model's input order]"),
                     cl::cat(category));
cl::list<std::string>
    namedInputs("input",
                cl::desc("An input from a file: NAME=FILE (.npy or .pb)"),
                cl::value_desc("name=file"), cl::cat(category));
cl::list<std::string> inlineInputs(
    "values",
    cl::desc("An input given inline: NAME=v1,v2,... (one value fills the "
             "whole tensor)"),
    cl::value_desc("name=values"), cl::cat(category));
cl::opt<bool> randomInputs(
    "random-inputs",
    cl::desc("Fill inputs not given otherwise with seeded random values in "
             "[-1, 1) (integers: 0..9)"),
    cl::cat(category));
cl::opt<unsigned> seed("seed", cl::desc("Seed for --random-inputs"),
                       cl::init(0), cl::cat(category));
cl::opt<std::string> outputDir("output-dir",
                               cl::desc("Write every output as DIR/NAME.npy"),
                               cl::value_desc("dir"), cl::cat(category));
cl::list<std::string> expectations(
    "expect",
    cl::desc("Compare an output with a file: NAME=FILE, or FILE for the "
             "outputs in order"),
    cl::value_desc("name=file"), cl::cat(category));
cl::opt<double> relTolerance("rtol", cl::desc("Relative tolerance of --expect"),
                             cl::init(1e-4), cl::cat(category));
cl::opt<double> absTolerance("atol", cl::desc("Absolute tolerance of --expect"),
                             cl::init(1e-5), cl::cat(category));
cl::opt<bool> printOutputs("print", cl::desc("Print the outputs as text"),
                           cl::cat(category));
cl::opt<bool> printTime("time",
                        cl::desc("Print load (import), compile and run time "
                                 "(run: median of --repeat runs)"),
                        cl::cat(category));
cl::opt<unsigned> repeat("repeat", cl::desc("Runs for --time"), cl::init(1),
                         cl::cat(category));
cl::opt<unsigned>
    threads("num-threads",
            cl::desc("Threads for BLAS (1 or more); with --dataset, "
                     "batches run on this many threads instead"),
            cl::init(1), cl::cat(category));
cl::opt<bool> noBlas("no-blas",
                     cl::desc("Compile f32 matrix products to loops instead "
                              "of BLAS calls"),
                     cl::cat(category));
cl::opt<unsigned> optLevel("O", cl::desc("LLVM optimization level (0-3)"),
                           cl::init(3), cl::Prefix, cl::cat(category));
cl::opt<std::string> datasetPath(
    "dataset",
    cl::desc("Score the model on a dataset instead of running it once: an "
             "IDX image file (pixels / 255), a directory of .npy files or "
             "of ONNX test_data_set_*; streamed in batches of the model's "
             "leading input dimension"),
    cl::value_desc("path"), cl::cat(category));
cl::opt<std::string>
    labelsPath("labels",
               cl::desc("With --dataset: the labels (IDX label file or .npy of "
                        "integers): report top-1 accuracy"),
               cl::value_desc("path"), cl::cat(category));
cl::opt<std::string> referencePath(
    "reference",
    cl::desc("With --dataset: a reference model (normally the fp32 one) "
             "with the same input: report top-1 agreement and output SQNR"),
    cl::value_desc("model"), cl::cat(category));
cl::opt<unsigned>
    maxSamples("max-samples",
               cl::desc("With --dataset: score at most N samples (0: all)"),
               cl::init(0), cl::cat(category));
cl::opt<bool> fakeQuant(
    "fake-quant",
    cl::desc("Run quantized tensors as their real values in f32, rounded to "
             "the grid after every op (faster), instead of integer "
             "arithmetic"),
    cl::cat(category));

cl::opt<std::string> predictionsPath(
    "predictions",
    cl::desc("With --dataset: write every sample's top-1 class as an int64 "
             ".npy (with several --policy, the last policy's)"),
    cl::value_desc("file.npy"), cl::cat(category));
cl::list<std::string> policies(
    "policy",
    cl::desc("With --dataset and a calibrated fp32 model: quantize it by this "
             "policy (a JSON file, or wNaM for N-bit weights and M-bit "
             "activations everywhere) and score it fake-quantized; repeat "
             "for several policies: the model compiles once"),
    cl::value_desc("file|wNaM"), cl::cat(category));

cl::list<std::string> inputShapes(
    "input-shape",
    cl::desc("ONNX models: static shape of an input, NAME=DIMxDIMx..."),
    cl::value_desc("name=shape"), cl::cat(category));
cl::list<std::string> constantInputs(
    "constant-input",
    cl::desc("ONNX models: replace input NAME by the value in FILE before "
             "import, so computations that read it fold to constants"),
    cl::value_desc("name=file"), cl::cat(category));

int fail(const Twine &message) {
  errs() << "tandem-run: error: " << message << "\n";
  return 1;
}

Expected<std::pair<std::string, std::string>> splitAssignment(StringRef text,
                                                              StringRef flag) {
  auto [name, value] = text.split('=');
  if (name.empty() || value.empty())
    return createStringError(inconvertibleErrorCode(),
                             "--" + flag + " expects NAME=VALUE, got '" + text +
                                 "'");
  return std::make_pair(name.str(), value.str());
}

mlir::OwningOpRef<mlir::ModuleOp> loadModel(mlir::MLIRContext &context,
                                            StringRef path) {
  ONNXImportOptions options;
  for (const std::string &text : inputShapes) {
    std::pair<std::string, SmallVector<int64_t, 4>> shape;
    std::string error;
    if (!parseInputShape(text, shape, error)) {
      errs() << "tandem-run: error: --input-shape: " << error << "\n";
      return nullptr;
    }
    options.inputShapes.push_back(std::move(shape));
  }
  for (const std::string &text : constantInputs) {
    auto kv = splitAssignment(text, "constant-input");
    if (!kv) {
      errs() << "tandem-run: error: " << toString(kv.takeError()) << "\n";
      return nullptr;
    }
    auto tensor = readTensorFile(kv->second);
    if (!tensor) {
      errs() << "tandem-run: error: " << toString(tensor.takeError()) << "\n";
      return nullptr;
    }
    options.constantInputs.push_back(makeConstantInput(kv->first, *tensor));
  }
  return loadModelFile(path, &context, options);
}

/// Nested-list text of a tensor, numpy style.
void printTensor(raw_ostream &os, const Tensor &t) {
  std::function<void(size_t, int64_t &)> rec = [&](size_t dim, int64_t &i) {
    if (dim == t.shape.size()) {
      double v = t.getAsDouble(i++);
      if (t.type == exec::ElementType::I1)
        os << (v != 0 ? "true" : "false");
      else
        os << format("%g", v);
      return;
    }
    os << "[";
    for (int64_t k = 0; k < t.shape[dim]; ++k) {
      if (k)
        os << ", ";
      rec(dim + 1, i);
    }
    os << "]";
  };
  int64_t i = 0;
  rec(0, i);
}

/// --predictions: the top-1 classes as an int64 .npy.
int writePredictions(const quant::AccuracyResult &result) {
  if (predictionsPath.empty())
    return 0;
  Tensor t(exec::ElementType::I64, {(int64_t)result.predictions.size()});
  std::copy(result.predictions.begin(), result.predictions.end(),
            reinterpret_cast<int64_t *>(t.data()));
  if (Error err = exec::writeNpy(predictionsPath, t))
    return fail(toString(std::move(err)));
  return 0;
}

void printResult(const quant::AccuracyResult &result, bool labels,
                 bool reference) {
  if (labels)
    outs() << format("top-1 accuracy: %.4f (%lld of %lld)\n",
                     result.getAccuracy(), (long long)result.correct,
                     (long long)result.samples);
  if (reference) {
    outs() << format("top-1 agreement with the reference: %.4f (%lld of "
                     "%lld)\n",
                     result.getAgreement(), (long long)result.agreeing,
                     (long long)result.samples);
    outs() << format("output SQNR: %.2f dB\n", result.getSQNR());
  }
  outs() << format("time: %.3f s, %.1f samples/s%s\n", result.seconds,
                   result.getSamplesPerSecond(),
                   reference ? " (model and reference)" : "");
}

Expected<quant::Policy> loadPolicyArgument(StringRef text) {
  int64_t w = 0, a = 0;
  if (!sys::fs::exists(text) && text.consume_front("w")) {
    auto [wText, aText] = text.split('a');
    if (!wText.getAsInteger(10, w) && !aText.getAsInteger(10, a) &&
        quant::isSupportedBits(w) && quant::isSupportedBits(a))
      return quant::uniformPolicy(w, a);
    return createStringError(inconvertibleErrorCode(),
                             "--policy: expected a JSON file or wNaM with N "
                             "and M in 2..8 or 16, got 'w" +
                                 text.str() + "'");
  }
  return quant::loadPolicy(text);
}

/// --dataset --policy ...: one compiled program, every policy scored.
int scorePolicies(mlir::ModuleOp module, const quant::Dataset &data,
                  exec::Executable *reference,
                  const exec::CompileOptions &options) {
  std::vector<quant::Policy> loaded;
  for (const std::string &p : policies) {
    auto policy = loadPolicyArgument(p);
    if (!policy)
      return fail(toString(policy.takeError()));
    loaded.push_back(*policy);
  }
  auto scorer = quant::PolicyScorer::create(module, loaded.front(), options);
  if (!scorer)
    return fail(toString(scorer.takeError()));
  outs() << format("compiled once: %.3f s\n", (*scorer)->getCompileSeconds());
  for (auto [name, policy] : zip(policies, loaded)) {
    auto score = (*scorer)->score(policy, data, reference, threads);
    if (!score)
      return fail(toString(score.takeError()));
    outs() << "policy " << name << ":\n";
    printResult(score->result, data.hasLabels(), reference);
    outs() << format("policy applied in %.3f s; scored in %.3f s\n",
                     score->prepareSeconds,
                     score->prepareSeconds + score->result.seconds);
    if (int status = writePredictions(score->result))
      return status;
  }
  return 0;
}

/// --dataset: accuracy, agreement, SQNR and speed.
int scoreDataset(mlir::MLIRContext &context, mlir::ModuleOp module,
                 exec::Executable &exe, const exec::CompileOptions &options) {
  ArrayRef<exec::TensorSignature> inputs = exe.getInputs();
  if (inputs.size() != 1 || inputs[0].shape.empty())
    return fail("--dataset needs a model with one input with a leading batch "
                "dimension");
  int64_t perSample = 1;
  for (int64_t d : ArrayRef(inputs[0].shape).drop_front())
    perSample *= d;
  auto data =
      quant::Dataset::open(datasetPath, labelsPath, perSample, maxSamples);
  if (!data)
    return fail(toString(data.takeError()));
  std::unique_ptr<exec::Executable> reference;
  mlir::OwningOpRef<mlir::ModuleOp> referenceModule;
  if (!referencePath.empty()) {
    referenceModule = loadModel(context, referencePath);
    if (!referenceModule)
      return 1;
    exec::CompileOptions refOptions = options;
    refOptions.fakeQuant = false;
    auto compiled = exec::Executable::compile(*referenceModule, refOptions);
    if (!compiled)
      return fail(toString(compiled.takeError()));
    reference = std::move(*compiled);
  }
  outs() << format("samples: %lld (batch %lld)\n", (long long)(*data)->size(),
                   (long long)inputs[0].shape[0]);
  if (!policies.empty())
    return scorePolicies(module, **data, reference.get(), options);
  auto result = quant::evaluate(exe, **data, reference.get(), {}, threads);
  if (!result)
    return fail(toString(result.takeError()));
  printResult(*result, (*data)->hasLabels(), reference != nullptr);
  return writePredictions(*result);
}

} // namespace

int main(int argc, char **argv) {
  // Models run on BLAS: make sure it uses the CPU's vector units.
  tandem::chooseBlasKernels(argv);
  InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  registerLimitOptions(&category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "Tandem model runner: compiles a model with the JIT and runs it\n");

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  context.loadAllAvailableDialects();
  SourceMgr diagnosticsSource;
  mlir::SourceMgrDiagnosticHandler diagnostics(diagnosticsSource, &context);

  auto loadStart = std::chrono::steady_clock::now();
  auto module = loadModel(context, modelPath);
  if (!module)
    return 1;
  double loadSeconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - loadStart)
                           .count();

  if (threads < 1)
    return fail("--num-threads must be at least 1");
  exec::CompileOptions options;
  options.blas = !noBlas;
  // Scoring a dataset runs batches on the threads instead, BLAS on one each.
  options.threads = datasetPath.empty() ? threads : 1;
  options.optLevel = optLevel;
  options.fakeQuant = fakeQuant;
  auto exe = exec::Executable::compile(*module, options);
  if (!exe)
    return fail(toString(exe.takeError()));
  if (!datasetPath.empty())
    return scoreDataset(context, *module, **exe, options);
  if (!labelsPath.empty() || !referencePath.empty() || maxSamples ||
      !policies.empty())
    return fail("--labels, --reference, --max-samples and --policy need "
                "--dataset");

  // Gather the inputs: by name, then positional, then random.
  exec::InputSources sources;
  for (const std::string &text : namedInputs) {
    auto kv = splitAssignment(text, "input");
    if (!kv)
      return fail(toString(kv.takeError()));
    sources.files.push_back(std::move(*kv));
  }
  for (const std::string &text : inlineInputs) {
    auto kv = splitAssignment(text, "values");
    if (!kv)
      return fail(toString(kv.takeError()));
    sources.values.push_back(std::move(*kv));
  }
  sources.positional.assign(positionalInputs.begin(), positionalInputs.end());
  sources.random = randomInputs;
  sources.seed = seed;
  auto bound = exec::bindInputs((*exe)->getInputs(), sources, readTensorFile);
  if (!bound)
    return fail(toString(bound.takeError()));
  std::vector<Tensor> inputs = std::move(*bound);

  std::vector<Tensor> outputs;
  std::vector<double> runSeconds;
  for (unsigned r = 0; r < std::max(1u, unsigned(repeat)); ++r) {
    auto start = std::chrono::steady_clock::now();
    auto result = (*exe)->run(inputs);
    runSeconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count());
    if (!result)
      return fail(toString(result.takeError()));
    outputs = std::move(*result);
  }
  ArrayRef<exec::TensorSignature> outSigs = (*exe)->getOutputs();

  if (printTime) {
    std::sort(runSeconds.begin(), runSeconds.end());
    outs() << format("load: %.3f s (parse or import)\n", loadSeconds);
    outs() << format("compile: %.3f s (lowering %.3f s, LLVM %.3f s)\n",
                     (*exe)->getLoweringSeconds() + (*exe)->getCodegenSeconds(),
                     (*exe)->getLoweringSeconds(), (*exe)->getCodegenSeconds());
    outs() << format("run: %.3f ms (median of %zu, min %.3f ms)\n",
                     runSeconds[runSeconds.size() / 2] * 1e3, runSeconds.size(),
                     runSeconds.front() * 1e3);
  }
  if (printOutputs)
    for (auto [sig, t] : zip(outSigs, outputs)) {
      outs() << sig.name << ": " << t.describe() << " = ";
      printTensor(outs(), t);
      outs() << "\n";
    }
  int status = 0;
  for (auto [k, text] : enumerate(expectations)) {
    StringRef name, file = text;
    int index = static_cast<int>(k);
    if (text.find('=') != std::string::npos && !sys::fs::exists(text)) {
      std::tie(name, file) = StringRef(text).split('=');
      index = -1;
      for (auto [i, s] : enumerate(outSigs))
        if (s.name == name)
          index = i;
      if (index < 0)
        return fail("the model has no output '" + name + "'");
    } else if (index >= static_cast<int>(outSigs.size())) {
      return fail("more --expect files than the model's " +
                  Twine(outSigs.size()) + " outputs");
    }
    auto expected = readTensorFile(file);
    if (!expected)
      return fail(toString(expected.takeError()));
    if (Error err =
            exec::compareTensors(outSigs[index].name, file, outputs[index],
                                 *expected, relTolerance, absTolerance)) {
      errs() << "tandem-run: error: " << toString(std::move(err)) << "\n";
      status = 1;
    }
  }
  // A run that missed its expectations writes nothing.
  if (status == 0 && !outputDir.empty()) {
    if (std::error_code ec = sys::fs::create_directories(outputDir))
      return fail("cannot create '" + outputDir + "': " + ec.message());
    for (auto [sig, t] : zip(outSigs, outputs)) {
      std::string file;
      for (char c : sig.name)
        file += isAlnum(c) || c == '_' || c == '-' || c == '.' ? c : '_';
      SmallString<256> path(outputDir);
      sys::path::append(path, file + ".npy");
      if (Error err = exec::writeNpy(path, t))
        return fail(toString(std::move(err)));
    }
  }

  return status;
}
