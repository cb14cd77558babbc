//===- MappingCache.cpp - Mapper results shared across threads ------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Mapping/MappingCache.h"

using namespace tandem;
using namespace tandem::mapping;

MappingCache::Entry MappingCache::get(const cost::Problem &problem,
                                      const hw::Target &target,
                                      llvm::StringRef targetClass) {
  std::string key = getProblemKey(problem) + "#" + targetClass.str();
  std::promise<Entry> promise;
  std::shared_future<Entry> future;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto [it, inserted] = cache.try_emplace(std::move(key));
    if (!inserted) {
      future = it->second;
    } else {
      // This thread searches; others that need the same mapping meanwhile
      // wait for it.
      it->second = promise.get_future().share();
      ++searches;
    }
  }
  if (future.valid())
    return future.get();
  Entry entry;
  if (auto why = explainNoMapping(problem, target)) {
    entry.why = *why;
  } else {
    MapSpace space(problem, target);
    SearchResult result = search(space, options);
    entry.found = result.found;
    entry.mapping = result.mapping;
    if (!result.found)
      entry.why = "the mapper found no valid mapping";
  }
  promise.set_value(entry);
  return entry;
}
