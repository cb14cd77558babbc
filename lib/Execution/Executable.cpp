//===- Executable.cpp - JIT-compiled accel models -------------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Execution/Executable.h"
#include "tandem/Execution/Passes.h"
#include "tandem/Runtime/Runtime.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <unistd.h>

using namespace mlir;

namespace tandem::exec {

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string print(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// Signatures of @main's arguments or results; names from `onnx.name`.
llvm::Expected<std::vector<TensorSignature>> getSignatures(func::FuncOp main,
                                                           bool results) {
  std::vector<TensorSignature> sigs;
  ArrayRef<Type> types =
      results ? main.getResultTypes() : main.getArgumentTypes();
  for (auto [i, type] : llvm::enumerate(types)) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    StringRef what = results ? "result" : "argument";
    if (!tensor || !tensor.hasStaticShape())
      return fail("@main " + what + " " + llvm::Twine(i) + " has type " +
                  llvm::Twine(print(type)) +
                  "; only statically shaped tensors can be passed");
    auto elem = getElementType(tensor.getElementType());
    if (!elem)
      return fail("@main " + what + " " + llvm::Twine(i) +
                  " has element type " +
                  llvm::Twine(print(tensor.getElementType())) +
                  ", which tandem-run cannot pass");
    auto name = results ? main.getResultAttrOfType<StringAttr>(i, "onnx.name")
                        : main.getArgAttrOfType<StringAttr>(i, "onnx.name");
    TensorSignature sig;
    sig.name =
        name ? name.str() : (results ? "output" : "input") + std::to_string(i);
    sig.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
    sig.type = *elem;
    sigs.push_back(std::move(sig));
  }
  return sigs;
}

/// A memref descriptor {allocated, aligned, offset, sizes..., strides...}
/// for a dense row-major tensor, as 64-bit words.
std::vector<int64_t> makeDescriptor(const void *data, ArrayRef<int64_t> shape) {
  auto ptr = reinterpret_cast<int64_t>(data);
  std::vector<int64_t> desc = {ptr, ptr, 0};
  desc.insert(desc.end(), shape.begin(), shape.end());
  int64_t stride = 1;
  std::vector<int64_t> strides(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  desc.insert(desc.end(), strides.begin(), strides.end());
  return desc;
}

} // namespace

std::string TensorSignature::describe() const {
  std::string s;
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + getElementTypeName(type).str();
}

Executable::~Executable() = default;

llvm::Expected<std::unique_ptr<Executable>>
Executable::compile(ModuleOp module, const CompileOptions &options) {
  static bool initialized = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialized;
  // Keep libTandemRuntime loaded: the JIT finds its symbols in the process.
  (void)tandem_runtime_abi_version();
  tandem_runtime_set_threads(options.threads);

  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main || main.isExternal())
    return fail("the module has no @main function to run");
  std::unique_ptr<Executable> exe(new Executable());
  auto ins = getSignatures(main, /*results=*/false);
  if (!ins)
    return ins.takeError();
  auto outs = getSignatures(main, /*results=*/true);
  if (!outs)
    return outs.takeError();
  exe->inputs = std::move(*ins);
  exe->outputs = std::move(*outs);
  // Inputs and outputs are allocated by the caller; refuse models whose
  // tensors cannot fit in memory rather than fail inside an allocation.
  uint64_t memory =
      uint64_t(sysconf(_SC_PHYS_PAGES)) * uint64_t(sysconf(_SC_PAGE_SIZE));
  for (auto [sigs, what] :
       {std::pair{&exe->inputs, "input"}, std::pair{&exe->outputs, "output"}})
    for (const TensorSignature &sig : *sigs) {
      uint64_t bytes = getElementSize(sig.type);
      for (int64_t d : sig.shape)
        bytes = llvm::SaturatingMultiply<uint64_t>(bytes, uint64_t(d));
      if (bytes > memory)
        return fail(llvm::Twine(what) + " '" + sig.name + "' (" +
                    sig.describe() + ") needs " +
                    llvm::Twine(bytes == UINT64_MAX ? "more than 2^64"
                                                    : std::to_string(bytes)) +
                    " bytes, more than this machine's " + llvm::Twine(memory) +
                    " bytes of memory");
    }

  MLIRContext *context = module.getContext();
  registerBuiltinDialectTranslation(*context);
  registerLLVMDialectTranslation(*context);
  OwningOpRef<ModuleOp> lowered = module.clone();
  auto loweredMain = lowered->lookupSymbol<func::FuncOp>("main");
  loweredMain->setAttr("llvm.emit_c_interface", UnitAttr::get(context));
  // Argument attributes of Tandem's dialect (calibration statistics) mean
  // nothing to LLVM, which would warn about each.
  for (unsigned i = 0; i < loweredMain.getNumArguments(); ++i)
    for (NamedAttribute attr : loweredMain.getArgAttrDict(i)
                                   ? loweredMain.getArgAttrDict(i).getValue()
                                   : ArrayRef<NamedAttribute>())
      if (attr.getName().getValue().starts_with("accel."))
        loweredMain.removeArgAttr(i, attr.getName());

  auto start = std::chrono::steady_clock::now();
  PassManager pm(context);
  LowerToLLVMOptions pipeline;
  pipeline.blas = options.blas;
  pipeline.convToGemm = options.blas;
  pipeline.quantized = options.fakeQuant ? "float" : "integer";
  pipeline.externalWeights = true;
  buildLowerToLLVMPipeline(pm, pipeline);
  if (failed(pm.run(*lowered)))
    return fail("lowering to LLVM failed (see the errors above)");
  exe->loweringSeconds = secondsSince(start);

  start = std::chrono::steady_clock::now();
  ExecutionEngineOptions engineOptions;
  // The optimizer needs the host's target machine: without it LLVM's cost
  // model sees no vector registers and vectorizes nothing (every
  // elementwise loop, the im2col copies, ...) - 2-3x slower models.
  std::unique_ptr<llvm::TargetMachine> hostMachine;
  if (auto builder = llvm::orc::JITTargetMachineBuilder::detectHost()) {
    builder->setCodeGenOptLevel(
        static_cast<llvm::CodeGenOptLevel>(std::min(options.optLevel, 3u)));
    if (auto machine = builder->createTargetMachine())
      hostMachine = std::move(*machine);
    else
      llvm::consumeError(machine.takeError());
  } else {
    llvm::consumeError(builder.takeError());
  }
  auto transformer =
      makeOptimizingTransformer(options.optLevel, 0, hostMachine.get());
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(std::min(options.optLevel, 3u));
  auto engine = ExecutionEngine::create(*lowered, engineOptions);
  if (!engine)
    return fail("JIT compilation failed: " +
                llvm::toString(engine.takeError()));
  exe->engine = std::move(*engine);
  // Bind the externalized weights to their blobs' memory.
  if (auto weights = (*lowered)->getAttrOfType<DictionaryAttr>(
          "tandem.external_weights")) {
    exe->engine->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
      llvm::orc::SymbolMap symbols;
      for (NamedAttribute w : weights) {
        auto blob = cast<DenseResourceElementsAttr>(w.getValue());
        const char *data = blob.getRawHandle().getBlob()->getData().data();
        symbols[interner(w.getName().strref())] = {
            llvm::orc::ExecutorAddr::fromPtr(data),
            llvm::JITSymbolFlags::Exported};
      }
      return symbols;
    });
  }
  exe->lowered = std::move(lowered);
  // Compile now, not on the first run.
  auto entry = exe->engine->lookupPacked("_mlir_ciface_main");
  if (!entry)
    return fail("JIT compilation failed: " + llvm::toString(entry.takeError()));
  exe->codegenSeconds = secondsSince(start);
  return exe;
}

llvm::Expected<std::vector<Tensor>> Executable::run(ArrayRef<Tensor> given) {
  if (given.size() != inputs.size())
    return fail("the model takes " + llvm::Twine(inputs.size()) +
                " input(s), got " + llvm::Twine(given.size()));
  for (auto [t, sig] : llvm::zip(given, inputs))
    if (t.type != sig.type ||
        ArrayRef<int64_t>(t.shape) != ArrayRef<int64_t>(sig.shape))
      return fail("input '" + sig.name + "' must be " + sig.describe() +
                  ", got " + t.describe());

  std::vector<Tensor> results;
  for (const TensorSignature &sig : outputs)
    results.emplace_back(sig.type, sig.shape);
  std::vector<const void *> in;
  for (const Tensor &t : given)
    in.push_back(t.data());
  std::vector<void *> out;
  for (Tensor &t : results)
    out.push_back(t.data());
  if (llvm::Error err = runInPlace(in, out))
    return std::move(err);
  return results;
}

llvm::Error Executable::runInPlace(ArrayRef<const void *> given,
                                   ArrayRef<void *> results) {
  if (given.size() != inputs.size() || results.size() != outputs.size())
    return fail("the model takes " + llvm::Twine(inputs.size()) +
                " input(s) and gives " + llvm::Twine(outputs.size()) +
                " output(s), got " + llvm::Twine(given.size()) + " and " +
                llvm::Twine(results.size()));
  // _mlir_ciface_main(desc *in..., desc *out...): each packed argument is a
  // pointer to the pointer to a descriptor.
  std::vector<std::vector<int64_t>> descriptors;
  for (auto [data, sig] : llvm::zip(given, inputs))
    descriptors.push_back(makeDescriptor(data, sig.shape));
  for (auto [data, sig] : llvm::zip(results, outputs))
    descriptors.push_back(makeDescriptor(data, sig.shape));
  std::vector<void *> pointers, args;
  for (auto &d : descriptors)
    pointers.push_back(d.data());
  for (void *&p : pointers)
    args.push_back(&p);
  return engine->invokePacked("_mlir_ciface_main", args);
}

} // namespace tandem::exec
