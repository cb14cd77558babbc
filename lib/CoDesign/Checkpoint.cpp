//===- Checkpoint.cpp - Saving and resuming an exploration ----------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Checkpoint.h"
#include "tandem/Support/FileIO.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

static constexpr int kCheckpointVersion = 2;

Error codesign::saveCheckpoint(StringRef path, StringRef fingerprint,
                               const Archive &archive,
                               const ExploreState &state) {
  json::Array candidates;
  for (const Candidate &c : archive.getCandidates()) {
    json::Array values;
    for (double v : c.metrics.values)
      values.push_back(v);
    candidates.push_back(
        json::Array{int64_t(c.id), std::move(values), c.metrics.violation,
                    int64_t(c.metrics.hostOps), c.metrics.invalid});
  }
  json::Array population;
  for (uint64_t id : state.population)
    population.push_back(int64_t(id));
  json::Value root = json::Object{{"version", kCheckpointVersion},
                                  {"fingerprint", fingerprint},
                                  {"done", state.done},
                                  {"generation", int64_t(state.generation)},
                                  {"population", std::move(population)},
                                  {"candidates", std::move(candidates)}};

  return writeOutputFile(path, [&](raw_ostream &os) {
    os << root << "\n";
    return Error::success();
  });
}

static Error malformed(StringRef path, const Twine &what) {
  return createStringError(inconvertibleErrorCode(),
                           "checkpoint '" + path + "' is malformed: " + what);
}

Error codesign::loadCheckpoint(StringRef path, StringRef fingerprint,
                               const DesignSpace &space, Archive &archive,
                               ExploreState &state) {
  auto buffer = readInputFile(path, kMaxTextFileBytes);
  if (!buffer)
    return buffer.takeError();
  auto root = json::parse((*buffer)->getBuffer());
  if (!root)
    return malformed(path, toString(root.takeError()));
  const json::Object *o = root->getAsObject();
  if (!o)
    return malformed(path, "not a JSON object");
  if (o->getInteger("version") != kCheckpointVersion)
    return malformed(path, "unknown version");
  if (o->getString("fingerprint") != fingerprint)
    return createStringError(
        inconvertibleErrorCode(),
        "checkpoint '%s' is from a different run (the space, the models or "
        "the search options changed); remove it or use another --out",
        path.str().c_str());
  state.done = o->getBoolean("done").value_or(false);
  state.generation = o->getInteger("generation").value_or(0);
  const uint64_t size = space.size();
  if (const json::Array *population = o->getArray("population"))
    for (const json::Value &v : *population) {
      auto id = v.getAsInteger();
      if (!id || *id < 0 || uint64_t(*id) >= size)
        return malformed(path, "a population entry is not a point id");
      state.population.push_back(*id);
    }
  const json::Array *candidates = o->getArray("candidates");
  if (!candidates)
    return malformed(path, "no candidates");
  for (const json::Value &v : *candidates) {
    const json::Array *row = v.getAsArray();
    if (!row || row->size() != 5)
      return malformed(path, "a candidate is not [id, metrics, violation, "
                             "host ops, invalid]");
    auto id = (*row)[0].getAsInteger();
    const json::Array *values = (*row)[1].getAsArray();
    auto violation = (*row)[2].getAsNumber();
    auto hostOps = (*row)[3].getAsInteger();
    auto invalid = (*row)[4].getAsString();
    if (!id || *id < 0 || uint64_t(*id) >= size || !values ||
        values->size() != kNumMetrics || !violation || !hostOps || !invalid)
      return malformed(path, "a candidate has a bad field");
    Candidate c;
    c.id = *id;
    for (unsigned i = 0; i < kNumMetrics; ++i) {
      auto value = (*values)[i].getAsNumber();
      if (!value)
        return malformed(path, "a metric is not a number");
      c.metrics.values[i] = *value;
    }
    c.metrics.violation = *violation;
    c.metrics.hostOps = *hostOps;
    c.metrics.invalid = invalid->str();
    archive.add(std::move(c));
  }
  for (uint64_t id : state.population)
    if (!archive.find(id))
      return malformed(path, "the population names a point not evaluated");
  return Error::success();
}

bool codesign::isFinishedCheckpoint(StringRef path) {
  auto buffer = readInputFile(path, kMaxTextFileBytes);
  if (!buffer) {
    consumeError(buffer.takeError());
    return false;
  }
  auto root = json::parse((*buffer)->getBuffer());
  if (!root) {
    consumeError(root.takeError());
    return false;
  }
  const json::Object *o = root->getAsObject();
  return o && o->getBoolean("done").value_or(false);
}
