//===- Session.cpp - One design-space exploration, end to end -------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Session.h"
#include "tandem/CoDesign/Checkpoint.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Target/ONNX/ExportQDQ.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Parallel.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <chrono>
#include <cmath>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

static Error sessionError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

static std::string joinPath(StringRef dir, StringRef file) {
  SmallString<256> path(dir);
  sys::path::append(path, file);
  return path.str().str();
}

Session::Session(SessionOptions options, mlir::MLIRContext &context)
    : options(std::move(options)), context(context) {}

Session::~Session() = default;

std::string Session::getCheckpointPath() const {
  return joinPath(options.outDir, "checkpoint.json");
}

uint64_t Session::getNewEvaluations() const {
  return archive.size() - startCount;
}

uint64_t Session::getNumMapperSearches() const {
  return evaluator ? evaluator->getNumSearches() : 0;
}

uint64_t Session::getNumPoliciesQuantized() const {
  return network ? network->getNumQuantized() : 0;
}

std::string Session::describePoint(uint64_t id) const {
  std::string text;
  Point point = space.getPoint(id);
  for (auto [p, v] : llvm::zip(space.parameters, point))
    text += (text.empty() ? "" : " ") + p.name + "=" + p.getLabel(v);
  return text;
}

Expected<std::unique_ptr<Session>> Session::create(SessionOptions options,
                                                   mlir::MLIRContext &context) {
  // Options first: nothing is read if one is wrong.
  if (options.modelPaths.empty())
    return sessionError("no model given");
  if (!options.weights.empty() &&
      options.weights.size() != options.modelPaths.size())
    return sessionError("--weights gives " + Twine(options.weights.size()) +
                        " weights for " + Twine(options.modelPaths.size()) +
                        " models");
  for (double w : options.weights)
    if (!(w > 0) || !std::isfinite(w))
      return sessionError(
          formatv("--weights must be positive and finite, not {0}", w));
  if (options.population < 4)
    return sessionError("--population must be at least 4");
  if (options.policiesPerDesign < 1)
    return sessionError("--policies-per-design must be at least 1");
  if (!(options.network.base.percentile > 50 &&
        options.network.base.percentile <= 100))
    return sessionError("--percentile must be in (50, 100]");
  if (options.network.calibrationSamples < 1 ||
      options.network.validationSamples < 0)
    return sessionError("--calibration-samples must be at least 1 and "
                        "--validation-samples at least 0");
  if (options.costOptions.floatBits < 0 || options.costOptions.floatBits > 64)
    return sessionError("--float-bits must be between 0 and 64");
  if (!mapping::isMappingObjective(options.mapperObjective))
    return sessionError("--mapper-objective must be latency, energy or edp");
  std::unique_ptr<Session> session(new Session(std::move(options), context));
  if (Error err = session->load())
    return std::move(err);
  return session;
}

/// A `bits` axis only means something for a model that has a precision: an
/// f32 model's floats are costed at each design's own width, so the
/// narrowest array would win with no accuracy cost (docs/codesign.md).
Error Session::checkPrecisionAxes() const {
  const Parameter *axis = nullptr;
  for (const Parameter &p : space.parameters)
    if (p.kind == Parameter::Kind::Bits ||
        p.kind == Parameter::Kind::SupportedBits)
      axis = &p;
  // A joint space quantizes the model itself.
  if (!axis || options.costOptions.floatBits != 0 || space.hasNetwork())
    return Error::success();
  for (const Workload &w : workloads)
    for (const workload::Layer &l : w.model->getLayers()) {
      if (l.kind != "conv2d" && l.kind != "matmul")
        continue;
      if (llvm::none_of(l.operands, [](const workload::Operand &o) {
            return o.format.isFloat;
          }))
        continue;
      return sessionError(
          options.spacePath + ": parameter '" + axis->name +
          "' varies the array's precision, but model '" + w.name +
          "' is not quantized (layer '" + l.name +
          "' computes in f32): its floats would be costed at each design's "
          "width and the narrowest array would win with no accuracy cost. "
          "Quantize the model first (tandem-opt --accel-calibrate=... "
          "--accel-quantize=..., docs/quantization.md) so that every design "
          "runs it at its own precision, or pass --float-bits N to cost its "
          "floats at N bits on every design");
    }
  return Error::success();
}

Error Session::load() {
  auto loadedSpace = loadDesignSpace(options.spacePath);
  if (!loadedSpace)
    return loadedSpace.takeError();
  space = std::move(*loadedSpace);
  if (options.prefer)
    space.prefer = *options.prefer;
  if (!space.hasNetwork() &&
      (!options.network.dataPath.empty() || !options.networkFlags.empty()))
    return sessionError(
        (options.network.dataPath.empty() ? options.networkFlags.front()
                                          : std::string("--dataset")) +
        " is for spaces with a network section; " + options.spacePath +
        " has none (its designs change no weights)");
  if (!space.hasNetwork() && (space.prefer == Metric::AccuracyLoss))
    return sessionError("--prefer accuracy_loss needs a space with a network "
                        "section");
  // The evaluator network's plugin, before anything is written.
  if (options.search == SearchKind::Differentiable) {
    auto created = createDifferentiableSearch();
    if (!created)
      return created.takeError();
    surrogate = std::move(*created);
  }
  if (!space.hasNetwork() && options.search &&
      (*options.search == SearchKind::Nested ||
       *options.search == SearchKind::Sequential))
    return sessionError("--search " + stringifySearchKind(*options.search) +
                        " chooses policies per hardware design: " +
                        options.spacePath + " has no network section");
  for (const std::string &level : space.rescaledLevels)
    notes.push_back("level " + level +
                    " varies in capacity: its per-access energy and area "
                    "follow the capacity (45 nm defaults), not the base "
                    "target's values");

  // Models.
  ONNXImportOptions importOptions;
  importOptions.allowUnsupported = options.allowUnsupported;
  for (const std::string &text : options.inputShapes) {
    std::pair<std::string, SmallVector<int64_t, 4>> shape;
    std::string error;
    if (!parseInputShape(text, shape, error))
      return sessionError("--input-shape: " + error);
    importOptions.inputShapes.push_back(std::move(shape));
  }
  for (auto [i, path] : llvm::enumerate(options.modelPaths)) {
    Workload w;
    w.name = sys::path::stem(path).str();
    if (llvm::any_of(workloads,
                     [&](const Workload &o) { return o.name == w.name; }))
      w.name = path;
    w.weight = i < options.weights.size() ? options.weights[i] : 1.0;
    w.module = loadModelFile(path, &context, importOptions);
    if (!w.module)
      return sessionError("cannot load model '" + path + "'");
    w.model = std::make_unique<workload::WorkloadModel>(*w.module);
    if (llvm::none_of(w.model->getLayers(), [](const workload::Layer &l) {
          return l.category == workload::Layer::Category::Compute;
        }))
      return sessionError(path + ": the model has no accel compute ops to map");
    workloads.push_back(std::move(w));
  }
  if (space.hasNetwork())
    if (Error err = loadNetwork())
      return err;
  if (Error err = checkPrecisionAxes())
    return err;

  const uint64_t size = space.size();
  if (size == UINT64_MAX)
    return sessionError(options.spacePath +
                        ": the space has more than 2^64 points");
  kind = options.search                    ? *options.search
         : size <= options.exhaustiveLimit ? SearchKind::Exhaustive
                                           : SearchKind::NSGA2;
  budget = kind == SearchKind::Exhaustive ? size
           : options.evaluations
               ? std::min<uint64_t>(options.evaluations, size)
               : std::min<uint64_t>(size,
                                    std::clamp<uint64_t>(size / 10, 200, 5000));

  // Everything that decides the result, hashed: a checkpoint is only
  // resumed by the same run.
  std::string text;
  raw_string_ostream os(text);
  auto addFile = [&](StringRef path) -> Error {
    auto buffer = readInputFile(path, kMaxModelFileBytes);
    if (!buffer)
      return buffer.takeError();
    os << xxh3_64bits((*buffer)->getBuffer()) << ";";
    return Error::success();
  };
  if (Error err = addFile(options.spacePath))
    return err;
  for (const Workload &w : workloads)
    os << w.weight << ";";
  for (const std::string &path : options.modelPaths)
    if (Error err = addFile(path))
      return err;
  for (const std::string &shape : options.inputShapes)
    os << shape << ";";
  os << stringifySearchKind(kind) << ";" << budget << ";" << options.population
     << ";" << options.seed << ";" << mapping::stringifyStrategy(options.mapper)
     << ";" << stringifyMetric(options.mapperObjective) << ";"
     << options.costOptions.floatBits << ";" << options.costOptions.fuse << ";"
     << options.allowUnsupported << ";" << getToolVersion() << ";"
     << options.policiesPerDesign;
  if (network)
    os << ";" << network->getKey() << ";"
       << quant::printPolicy(options.network.base);
  fingerprint = formatv("{0:x16}", xxh3_64bits(text)).str();

  std::string checkpointPath = getCheckpointPath();
  if (options.resume) {
    if (!sys::fs::exists(checkpointPath))
      return sessionError("--resume: there is no checkpoint in '" +
                          options.outDir + "' to continue");
    if (Error err =
            loadCheckpoint(checkpointPath, fingerprint, space, archive, state))
      return err;
  } else if (sys::fs::exists(checkpointPath) &&
             !isFinishedCheckpoint(checkpointPath)) {
    return sessionError("'" + options.outDir +
                        "' holds the checkpoint of an unfinished run; "
                        "continue it with --resume, or remove it or choose "
                        "another --out");
  }
  startCount = archive.size();
  for (const Candidate &c : archive.getCandidates())
    feasibleCount += c.metrics.isFeasible();

  mapping::SearchOptions mapperOptions;
  mapperOptions.strategy = options.mapper;
  mapperOptions.objective = options.mapperObjective;
  mapperOptions.seed = options.seed;
  evaluator = std::make_unique<Evaluator>(space, workloads, mapperOptions,
                                          options.costOptions);
  evaluator->setNetwork(network.get());
  return Error::success();
}

Error Session::loadNetwork() {
  if (workloads.size() != 1)
    return sessionError(options.spacePath +
                        ": a network section chooses one model's widths; "
                        "give one model, not " +
                        Twine(workloads.size()));
  const Workload &w = workloads.front();
  for (const workload::Layer &l : w.model->getLayers())
    if ((l.kind == "conv2d" || l.kind == "matmul") &&
        llvm::any_of(l.operands, [](const workload::Operand &o) {
          return !o.format.isFloat;
        }))
      return sessionError(options.modelPaths.front() + ": layer '" + l.name +
                          "' is already quantized; the space's network "
                          "section chooses the widths: give the fp32 model");
  NetworkOptions networkOptions = options.network;
  networkOptions.sensitivityPath = joinPath(options.outDir, "sensitivity.json");
  networkOptions.interrupted = options.interrupted;
  networkOptions.threads =
      hardware_concurrency(options.jobs).compute_thread_count();
  auto created = Network::create(*w.module, space, networkOptions, w.name);
  if (!created)
    return created.takeError();
  network = std::move(*created);
  notes.push_back(
      formatv("network: {0} layers, {1} of them searched in {2} parameters; "
              "fp32 scores {3:P} on {4} validation samples",
              space.layers.size(),
              llvm::count_if(
                  space.layers,
                  [](const NetworkLayer &l) { return l.parameter >= 0; }),
              space.parameters.size() - space.numHardwareParameters,
              network->getFP32().score(), network->getValidationSamples())
          .str());
  return Error::success();
}

std::vector<Metrics> Session::evaluatePoints(ArrayRef<uint64_t> ids) {
  parallel::strategy = hardware_concurrency(options.jobs);
  // A joint space's policies are quantized first, on this thread.
  if (network) {
    std::vector<std::vector<quant::LayerBits>> policies;
    for (uint64_t id : ids)
      policies.push_back(space.getLayerBits(space.getPoint(id)));
    network->prepare(policies);
  }
  std::vector<Candidate> batch(ids.size());
  std::vector<std::optional<hw::Target>> targets(ids.size());
  std::vector<unsigned> classes(ids.size(), 0);
  parallelFor(0, ids.size(), [&](size_t i) {
    batch[i].id = ids[i];
    auto target = space.instantiate(space.getPoint(ids[i]),
                                    "design-" + std::to_string(ids[i]));
    if (!target) {
      batch[i].metrics.invalid = toString(target.takeError());
      return;
    }
    classes[i] = evaluator->getMappingClass(*target);
    targets[i] = std::move(*target);
  });
  // Designs that share their mappings go to one thread, so no thread waits
  // for another's search.
  std::vector<SmallVector<unsigned, 4>> groups;
  DenseMap<unsigned, unsigned> groupOf;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!targets[i])
      continue;
    auto [it, inserted] = groupOf.try_emplace(classes[i], groups.size());
    if (inserted)
      groups.emplace_back();
    groups[it->second].push_back(i);
  }
  parallelFor(0, groups.size(), [&](size_t g) {
    for (unsigned i : groups[g])
      batch[i].metrics =
          evaluator->evaluatePoint(*targets[i], classes[i], ids[i]);
  });
  std::vector<Metrics> metrics;
  metrics.reserve(batch.size());
  for (Candidate &c : batch)
    metrics.push_back(std::move(c.metrics));
  return metrics;
}

void Session::evaluateBatch(ArrayRef<uint64_t> ids) {
  // NSGA-II's idle generations propose nothing.
  if (ids.empty())
    return;
  std::vector<Metrics> metrics;
  if (options.remoteEvaluate && !remoteError) {
    auto remote = options.remoteEvaluate(ids);
    if (!remote)
      remoteError = toString(remote.takeError());
    else if (remote->size() != ids.size())
      remoteError = formatv("the remote evaluation returned {0} results for "
                            "{1} points",
                            remote->size(), ids.size())
                        .str();
    else
      metrics = std::move(*remote);
  } else if (!remoteError) {
    metrics = evaluatePoints(ids);
  }
  // After a failure the search still needs its points in the archive to
  // end the batch; explore() returns the error without saving them.
  if (remoteError)
    metrics.assign(ids.size(), Metrics());
  for (auto [id, m] : llvm::zip(ids, metrics)) {
    if (remoteError)
      m.invalid = "not evaluated";
    feasibleCount += m.isFeasible();
    archive.add({id, std::move(m)});
  }
  if (options.onProgress && !remoteError)
    options.onProgress(archive.size(), budget, feasibleCount);
}

std::vector<uint64_t> Session::proposePoints(uint64_t hardwareId) {
  // The hardware design with its network digits at 0: the network
  // parameters come last.
  Point point = space.getPoint(0);
  uint64_t rest = hardwareId;
  for (unsigned i = space.numHardwareParameters; i-- > 0;) {
    point[i] = rest % space.parameters[i].size();
    rest /= space.parameters[i].size();
  }
  auto target = space.instantiate(point, "design");
  if (!target) {
    consumeError(target.takeError());
    return {};
  }
  // Limits from W8A8's cost down to a fifth of it, on the first of latency
  // and energy among the objectives.
  std::vector<double> fractions;
  unsigned n = options.policiesPerDesign;
  for (unsigned k = 0; k < n; ++k)
    fractions.push_back(n == 1 ? 1.0 : 1.0 - 0.8 * k / (n - 1));
  bool energy = false;
  for (Metric m : space.objectives)
    if (m == Metric::Latency || m == Metric::Energy) {
      energy = m == Metric::Energy;
      break;
    }
  std::vector<uint64_t> ids;
  for (const auto &bits : evaluator->proposePolicies(
           *target, evaluator->getMappingClass(*target), fractions, energy))
    if (std::optional<uint64_t> id = space.getPointId(hardwareId, bits))
      ids.push_back(*id);
  return ids;
}

SurrogateProblem Session::getSurrogateProblem() const {
  SurrogateProblem problem;
  for (const Parameter &p : space.parameters) {
    std::vector<double> scale, drop(p.size(), 0.0);
    bool numeric = !p.numbers.empty() && p.size() > 1;
    if (numeric) {
      double lo = std::log(*llvm::min_element(p.numbers));
      double hi = std::log(*llvm::max_element(p.numbers));
      for (double v : p.numbers)
        scale.push_back(hi > lo ? (std::log(v) - lo) / (hi - lo) : 0.5);
    }
    // A shared group's choice drops the sum of its layers' drops.
    if (p.kind == Parameter::Kind::Layer)
      for (auto [layer, l] : llvm::enumerate(space.layers))
        if (l.parameter == int(&p - space.parameters.data()))
          for (auto [i, choice] : llvm::enumerate(p.choices))
            drop[i] += network->getLayerDrop(layer, choice);
    problem.scales.push_back(std::move(scale));
    problem.accuracyDrop.push_back(std::move(drop));
  }
  if (network) {
    problem.accuracyBase = network->getAccuracyBase();
    for (auto [i, l] : llvm::enumerate(space.layers))
      if (l.parameter < 0)
        problem.accuracyBase += network->getLayerDrop(i, l.fixed);
  }
  for (Metric m : space.objectives) {
    std::array<double, kNumOutputs + 1> row{};
    switch (m) {
    case Metric::Latency:
      row[kLogLatency] = 1;
      break;
    case Metric::Energy:
      row[kLogEnergy] = 1;
      break;
    case Metric::Area:
      row[kLogArea] = 1;
      break;
    case Metric::EDP:
      row[kLogLatency] = row[kLogEnergy] = 1;
      break;
    case Metric::Power:
      row[kLogEnergy] = 1;
      row[kLogLatency] = -1;
      break;
    case Metric::AccuracyLoss:
      row[kNumOutputs] = 1;
      break;
    }
    problem.objectives.push_back(row);
  }
  if (space.maxLatencyMs)
    problem.maxLog[kLogLatency] = std::log(*space.maxLatencyMs);
  if (space.maxAreaMM2)
    problem.maxLog[kLogArea] = std::log(*space.maxAreaMM2);
  problem.maxAccuracyLoss = space.maxAccuracyLoss;
  return problem;
}

std::vector<SurrogateSample> Session::getSurrogateSamples() const {
  std::vector<SurrogateSample> samples;
  for (const Candidate &c : archive.getCandidates()) {
    const Metrics &m = c.metrics;
    if (!m.invalid.empty() || !(m.get(Metric::Latency) > 0) ||
        !(m.get(Metric::Energy) > 0) || !(m.get(Metric::Area) > 0))
      continue;
    SurrogateSample s;
    Point point = space.getPoint(c.id);
    s.point.assign(point.begin(), point.end());
    s.logs[kLogLatency] = std::log(m.get(Metric::Latency));
    s.logs[kLogEnergy] = std::log(m.get(Metric::Energy));
    s.logs[kLogArea] = std::log(m.get(Metric::Area));
    samples.push_back(std::move(s));
  }
  return samples;
}

std::vector<uint64_t> Session::learnPoints(unsigned count, uint64_t round) {
  SurrogateProblem problem = getSurrogateProblem();
  std::vector<SurrogateSample> samples = getSurrogateSamples();
  if (samples.size() < 2)
    return {};
  auto fit = surrogate->train(problem, samples, options.seed + round);
  if (!fit) {
    if (learnError.empty())
      learnError = toString(fit.takeError());
    return {};
  }
  // Twice as many as wanted: some land on points evaluated before.
  auto points = surrogate->propose(problem, 2 * count, options.seed + round);
  if (!points) {
    if (learnError.empty())
      learnError = toString(points.takeError());
    return {};
  }
  std::vector<uint64_t> ids;
  for (const std::vector<unsigned> &p : *points)
    ids.push_back(space.getId(Point(p.begin(), p.end())));
  return ids;
}

Expected<bool> Session::explore() {
  if (std::error_code ec = sys::fs::create_directories(options.outDir))
    return sessionError("cannot create '" + options.outDir +
                        "': " + ec.message());
  // LLVM's thread pool is process-wide: the session sets its width.
  parallel::strategy = hardware_concurrency(options.jobs);
  std::string checkpointPath = getCheckpointPath();
  Error saveError = Error::success();
  // The checkpoint holds the whole archive: rewriting it after every batch
  // would make a long run's I/O quadratic. It is written at most once a
  // second while the run goes on, and always when it stops or ends.
  auto lastSave = std::chrono::steady_clock::now();
  auto afterBatch = [&]() {
    if (remoteError)
      return false;
    if ((options.interrupted && *options.interrupted) ||
        (options.stopAfter && getNewEvaluations() >= options.stopAfter))
      return false;
    auto now = std::chrono::steady_clock::now();
    if (now - lastSave < std::chrono::seconds(1))
      return true;
    lastSave = now;
    if (Error err =
            saveCheckpoint(checkpointPath, fingerprint, archive, state)) {
      saveError = std::move(err);
      return false;
    }
    return true;
  };
  ExploreOptions exploreOptions;
  exploreOptions.kind = kind;
  exploreOptions.evaluations = budget;
  exploreOptions.population = options.population;
  exploreOptions.batch = std::max(1u, options.batch);
  exploreOptions.seed = options.seed;
  exploreOptions.policiesPerDesign = options.policiesPerDesign;
  exploreOptions.prefer = space.prefer;
  Explorer explorer(
      space, exploreOptions,
      [&](ArrayRef<uint64_t> ids) { evaluateBatch(ids); }, afterBatch,
      [&](uint64_t hardwareId) { return proposePoints(hardwareId); },
      [&](unsigned count, uint64_t round) {
        return learnPoints(count, round);
      });
  bool finished = explorer.run(archive, state);
  if (remoteError)
    return sessionError(*remoteError);
  if (saveError)
    return std::move(saveError);
  if (!learnError.empty())
    return sessionError("--search differentiable: " + learnError);
  if (Error err = saveCheckpoint(checkpointPath, fingerprint, archive, state))
    return std::move(err);
  return finished;
}

std::string Session::explainInfeasible() const {
  const Candidate *closest = nullptr;
  for (const Candidate &c : archive.getCandidates())
    if (c.metrics.invalid.empty() &&
        (!closest || c.metrics.violation < closest->metrics.violation))
      closest = &c;
  if (archive.size() == 0)
    return "no design was evaluated";
  if (!closest) {
    const Candidate &first = archive.getCandidates().front();
    return "no evaluated design can run the workload; design " +
           std::to_string(first.id) + ": " + first.metrics.invalid;
  }
  std::string over;
  auto check = [&](std::optional<double> budget, Metric m) {
    double value = closest->metrics.get(m);
    if (budget && value > *budget)
      over += formatv("{0}{1} {2} (budget {3})", over.empty() ? "" : ", ",
                      stringifyMetric(m), formatMetric(m, value),
                      format("%g", *budget))
                  .str();
  };
  check(space.maxAreaMM2, Metric::Area);
  check(space.maxPowerMW, Metric::Power);
  check(space.maxLatencyMs, Metric::Latency);
  check(space.maxAccuracyLoss, Metric::AccuracyLoss);
  if (network && space.maxModelSizeBytes) {
    double bytes =
        network->getSizeBytes(space.getLayerBits(space.getPoint(closest->id)));
    if (bytes > *space.maxModelSizeBytes)
      over += formatv("{0}a model of {1} bytes (budget {2})",
                      over.empty() ? "" : ", ", bytes,
                      format("%g", *space.maxModelSizeBytes))
                  .str();
  }
  if (network)
    over += "; accuracy during the search is the sensitivity table's "
            "additive estimate (--validation-samples: more samples, less "
            "noise in it)";
  return "no evaluated design is feasible; the closest, design " +
         std::to_string(closest->id) + ", has " + over;
}

/// Writes `text` to DIR/FILE through a temporary file renamed into place.
static Error writeFile(StringRef dir, StringRef file, StringRef text) {
  return writeOutputFile(joinPath(dir, file), [&](raw_ostream &os) {
    os << text;
    return Error::success();
  });
}

/// `count` of the front `indices` of `candidates`, evenly spaced along
/// `axis` from its lowest to its highest value.
static std::vector<unsigned> spreadAlongFront(ArrayRef<Candidate> candidates,
                                              std::vector<unsigned> indices,
                                              size_t count, Metric axis) {
  llvm::stable_sort(indices, [&](unsigned a, unsigned b) {
    return candidates[a].metrics.get(axis) < candidates[b].metrics.get(axis);
  });
  std::vector<unsigned> chosen;
  for (size_t k = 0; k < count; ++k)
    chosen.push_back(
        indices[count == 1 ? 0 : k * (indices.size() - 1) / (count - 1)]);
  return chosen;
}

Error Session::measureFront(std::vector<uint64_t> &estimatedFront) {
  ArrayRef<Candidate> all = archive.getCandidates();
  std::vector<Candidate> measured;
  std::vector<FrontDesign> designs;
  DenseSet<uint64_t> done;
  // The estimated front first, then the front of the candidates not
  // measured yet, until at least kMinMeasured designs are measured and one
  // of them is feasible (eight fronts at most). One front is not enough:
  // the additive estimate can rank a policy as accurate as W8A8 when it is
  // not (on the MobileNet, 0.3 points estimated, 1.8 measured), and the
  // designs it dominated would never be measured.
  constexpr size_t kMinMeasured = 16;
  uint64_t cap = options.network.maxMeasuredDesigns;
  bool stoppedByCap = false;
  for (int round = 0; round < 8; ++round) {
    std::vector<Candidate> rest;
    for (const Candidate &c : all)
      if (!done.contains(c.id))
        rest.push_back(c);
    std::vector<unsigned> next = getParetoFront(rest, space.objectives);
    if (next.empty())
      break;
    if (cap && next.size() > cap - measured.size()) {
      if (options.network.log)
        options.network.log(
            formatv("front: measuring {0} of the {1} designs of front {2}, "
                    "spread along {3} (--max-measured-designs {4})",
                    cap - measured.size(), next.size(), round + 1,
                    stringifyMetric(space.objectives.front()), cap)
                .str());
      next = spreadAlongFront(rest, next, cap - measured.size(),
                              space.objectives.front());
    }
    // Progress: with sequential GPTQ a design takes seconds to round.
    auto log = [&](size_t k) {
      if (options.network.log && (k % 4 == 0 || k == next.size()))
        options.network.log(formatv("front: {0}/{1} designs of front {2} "
                                    "measured ({3} in all)",
                                    k, next.size(), round + 1, measured.size())
                                .str());
    };
    for (auto [k, index] : llvm::enumerate(next)) {
      uint64_t id = rest[index].id;
      const Candidate *candidate = archive.find(id);
      done.insert(id);
      if (round == 0)
        estimatedFront.push_back(id);
      FrontDesign d;
      d.candidate = candidate;
      MeasuredNetwork m;
      m.bits = space.getLayerBits(space.getPoint(id));
      auto quality = network->measure(m.bits);
      if (!quality)
        return quality.takeError();
      m.quality = *quality;
      m.sizeBytes = network->getSizeBytes(m.bits);
      auto quantized = network->quantizeAsMeasured(m.bits);
      if (!quantized)
        return quantized.takeError();
      Workload w;
      w.name = workloads.front().name;
      w.weight = workloads.front().weight;
      w.module = std::move(*quantized);
      w.model = std::make_unique<workload::WorkloadModel>(*w.module);
      auto target =
          space.instantiate(space.getPoint(id), "design-" + std::to_string(id));
      if (!target)
        return target.takeError();
      d.metrics = evaluator->evaluate(
          *target, evaluator->getMappingClass(*target), &d.models, ArrayRef(w));
      d.metrics.set(Metric::AccuracyLoss, network->getAccuracyLoss(m.quality));
      evaluator->addNetworkViolation(d.metrics, m.sizeBytes);
      d.network = std::move(m);
      measuredModels[id] = std::move(w);
      measured.push_back({id, d.metrics});
      designs.push_back(std::move(d));
      log(k + 1);
    }
    if (cap && measured.size() >= cap) {
      stoppedByCap = true;
      break;
    }
    if (measured.size() >= kMinMeasured &&
        llvm::any_of(measured,
                     [](const Candidate &c) { return c.metrics.isFeasible(); }))
      break;
  }
  front.clear();
  for (unsigned index : getParetoFront(measured, space.objectives))
    front.push_back(std::move(designs[index]));
  if (front.empty())
    return sessionError(
        "no design is feasible as measured: the " + Twine(designs.size()) +
        " designs of the estimated fronts exceed a budget once their "
        "accuracy is measured and their own quantized IR costed (see "
        "candidates.csv for the estimates)" +
        (stoppedByCap ? "; --max-measured-designs stopped the measuring there"
                      : ""));
  return Error::success();
}

Error Session::writeOutputs() {
  std::vector<unsigned> frontIndices =
      getParetoFront(archive.getCandidates(), space.objectives);
  front.clear();
  std::vector<uint64_t> estimatedFront;
  Error measureError = Error::success();
  if (!frontIndices.empty() && network) {
    measureError = measureFront(estimatedFront);
  } else {
    for (unsigned index : frontIndices) {
      FrontDesign d;
      d.candidate = &archive.getCandidates()[index];
      d.metrics = d.candidate->metrics;
      front.push_back(std::move(d));
    }
  }
  if (front.empty()) {
    // The candidates still say what every design scored and why none fits.
    if (Error err = writeFile(options.outDir, "candidates.csv",
                              getCandidatesCSV(space, archive, front)))
      return joinErrors(std::move(measureError), std::move(err));
    // The finished run's checkpoint resumes nothing; an error leaves only
    // what explains it.
    sys::fs::remove(getCheckpointPath());
    if (measureError)
      return measureError;
    return sessionError(explainInfeasible());
  }
  consumeError(std::move(measureError));
  unsigned preferred = 0;
  for (auto [i, d] : llvm::enumerate(front))
    if (d.metrics.get(space.prefer) <
        front[preferred].metrics.get(space.prefer))
      preferred = i;
  front[preferred].preferred = true;
  // Front designs were valid targets when they were evaluated.
  std::vector<hw::Target> frontTargets;
  for (const FrontDesign &d : front) {
    uint64_t id = d.candidate->id;
    auto target =
        space.instantiate(space.getPoint(id), "design-" + std::to_string(id));
    if (!target)
      return target.takeError();
    frontTargets.push_back(std::move(*target));
  }
  if (!network)
    parallelFor(0, front.size(), [&](size_t i) {
      evaluator->evaluate(frontTargets[i],
                          evaluator->getMappingClass(frontTargets[i]),
                          &front[i].models);
    });

  RunSummary run;
  for (auto [w, path] : llvm::zip(workloads, options.modelPaths))
    run.models.push_back({w.name, path, w.weight});
  run.spaceFile = options.spacePath;
  run.search = kind;
  run.seed = options.seed;
  run.budget = budget;
  run.exhaustiveLimit = options.exhaustiveLimit;
  run.population = options.population;
  run.mapper = options.mapper;
  run.mapperObjective = options.mapperObjective;
  run.costOptions = options.costOptions;
  run.inputShapes = options.inputShapes;
  run.allowUnsupported = options.allowUnsupported;
  run.evaluations = archive.size();
  run.spaceSize = space.size();
  if (kind == SearchKind::Differentiable) {
    // Trained once more on the final archive: the same figures whether the
    // run was resumed or not.
    auto fit = surrogate->train(getSurrogateProblem(), getSurrogateSamples(),
                                options.seed);
    if (!fit)
      return fit.takeError();
    surrogateFit = *fit;
    run.surrogate = *fit;
  }
  if (network) {
    RunSummary::Network n;
    n.data = options.network.dataPath;
    n.labels = options.network.labelsPath;
    n.samples = network->getValidationSamples();
    n.fp32 = network->getFP32();
    n.estimatedFront = estimatedFront;
    n.maxMeasuredDesigns = options.network.maxMeasuredDesigns;
    run.network = std::move(n);
  }

  Metric axisX = options.plotX ? *options.plotX : space.objectives[0];
  Metric axisY = options.plotY                 ? *options.plotY
                 : space.objectives.size() > 1 ? space.objectives[1]
                 : axisX == Metric::Area       ? Metric::Latency
                                               : Metric::Area;

  // The preferred design's target: a design that changes the base is not
  // what the base's source describes.
  const FrontDesign &chosen = front[preferred];
  hw::Target best = frontTargets[preferred];
  hw::Target base = space.base;
  base.name = best.name;
  if (hw::printTarget(base) != hw::printTarget(best))
    best.source =
        formatv("tandem-codesign design {0} of {1}: {2} with {3}",
                chosen.candidate->id, sys::path::filename(options.spacePath),
                space.baseName, describePoint(chosen.candidate->id))
            .str();

  std::string paretoText;
  raw_string_ostream paretoOS(paretoText);
  paretoOS << formatv("{0:2}", getParetoJSON(space, run, front)) << "\n";
  SmallVector<std::pair<std::string, std::string>> outputs = {
      {"pareto.json", paretoText},
      {"candidates.csv", getCandidatesCSV(space, archive, front)},
      {"report.html", getReportHTML(space, run, archive, front, axisX, axisY)},
      {"best-target.yaml", hw::printTarget(best)}};
  // The models the preferred design runs: the workload, or in a joint
  // space the model quantized by its policy (also as ONNX QDQ).
  MutableArrayRef<Workload> bestModels = workloads;
  if (network) {
    Workload &w = measuredModels.at(chosen.candidate->id);
    bestModels = MutableArrayRef<Workload>(w);
    outputs.push_back({"best-policy.json", quant::printPolicy(network->toPolicy(
                                               chosen.network->bits))});
    std::string qdq;
    if (failed(exportQDQ(*w.module, qdq)))
      return sessionError("the preferred design's quantized model cannot be "
                          "exported as ONNX QDQ (see the errors above)");
    outputs.push_back(
        {"best-" + sys::path::filename(w.name).str() + ".onnx", qdq});
  }
  evaluator->attachMappings(frontTargets[preferred], bestModels);
  for (Workload &w : bestModels) {
    std::string text;
    raw_string_ostream os(text);
    w.module->print(os);
    outputs.push_back(
        {"best-" + sys::path::filename(w.name).str() + ".mlir", text});
  }
  for (const auto &[file, text] : outputs)
    if (Error err = writeFile(options.outDir, file, text))
      return err;
  return Error::success();
}
