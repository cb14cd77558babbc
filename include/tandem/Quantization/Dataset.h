//===- Dataset.h - Calibration and evaluation data --------------*- C++ -*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Samples for calibration and accuracy, from:
//   - an IDX image file (the MNIST / Fashion-MNIST format, gzip-compressed or
//     not): unsigned bytes, each image one sample, pixels divided by 255;
//   - a directory of .npy files, sorted by name;
//   - an ONNX test_data_set_* directory (its input_0.pb), or a directory of
//     them (a model's test directory), sorted by name.
// A .npy or .pb tensor holds one sample when its element count is the
// model input's per-sample count, or several along its first dimension.
// Labels (optional) are an IDX label file or a .npy of integers.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_QUANTIZATION_DATASET_H
#define TANDEM_QUANTIZATION_DATASET_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tandem::quant {

class Dataset {
public:
  /// Opens `path` for a model input of `sampleElements` elements per sample
  /// (the input's shape without its leading batch dimension). `labelsPath`
  /// may be empty. At most `maxSamples` are kept (0: all).
  static llvm::Expected<std::unique_ptr<Dataset>>
  open(llvm::StringRef path, llvm::StringRef labelsPath, int64_t sampleElements,
       int64_t maxSamples = 0);

  /// Samples already in memory (the Python module's arrays), named `name`
  /// in errors; `labels` empty or one per sample.
  static llvm::Expected<std::unique_ptr<Dataset>>
  fromValues(llvm::StringRef name, std::vector<float> samples,
             int64_t sampleElements, std::vector<int64_t> labels = {});
  int64_t size() const { return count; }
  int64_t getSampleElements() const { return sampleElements; }
  llvm::StringRef getPath() const { return path; }
  /// Copies samples [begin, begin + n) as f32 to `out`; samples past the
  /// end are zeros (the padding of a last partial batch).
  void read(int64_t begin, int64_t n, float *out) const;
  bool hasLabels() const { return !labels.empty(); }
  llvm::ArrayRef<int64_t> getLabels() const { return labels; }

private:
  std::string path;
  int64_t sampleElements = 0, count = 0;
  std::vector<float> samples;
  std::vector<int64_t> labels;
};

/// The bytes of an IDX file (gunzipped if it starts with gzip's magic), its
/// dimensions, and its element type code (0x08: unsigned byte).
struct IdxFile {
  std::vector<int64_t> dims;
  std::string data;
};
llvm::Expected<IdxFile> readIdxFile(llvm::StringRef path);
/// The same from the file's bytes; `name` is what errors call it.
llvm::Expected<IdxFile> parseIdx(llvm::StringRef bytes, llvm::StringRef name);

} // namespace tandem::quant

#endif // TANDEM_QUANTIZATION_DATASET_H
