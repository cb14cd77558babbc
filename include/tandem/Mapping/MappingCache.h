//===- MappingCache.h - Mapper results shared across threads ----*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Searches repeat problems: a mixed-precision cost table maps the same layer
// at many widths, a co-design search the same layers on many hardware
// points that differ only in their clock. The cache searches each (problem,
// target class) once; threads that need a mapping another thread is
// searching wait for it instead of searching again.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_MAPPING_MAPPINGCACHE_H
#define TANDEM_MAPPING_MAPPINGCACHE_H

#include "tandem/Mapping/Mapper.h"

#include <future>
#include <mutex>
#include <string>
#include <unordered_map>

namespace tandem::mapping {

class MappingCache {
public:
  explicit MappingCache(const SearchOptions &options) : options(options) {}

  struct Entry {
    bool found = false;
    cost::Mapping mapping;
    /// Why there is none.
    std::string why;
  };

  /// The mapper's mapping of `problem` on `target`, searched once per
  /// (problem, `targetClass`). `targetClass` names the targets that map
  /// alike (empty: the cache serves one target).
  Entry get(const cost::Problem &problem, const hw::Target &target,
            llvm::StringRef targetClass = "");

  /// Mapper searches run so far (cache misses).
  uint64_t getNumSearches() const { return searches; }
  const SearchOptions &getOptions() const { return options; }

private:
  SearchOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_future<Entry>> cache;
  uint64_t searches = 0;
};

} // namespace tandem::mapping

#endif // TANDEM_MAPPING_MAPPINGCACHE_H
