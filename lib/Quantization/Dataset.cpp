//===- Dataset.cpp - Calibration and evaluation data ----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/Dataset.h"
#include "tandem/Support/FileIO.h"
#include "tandem/Support/Limits.h"
#include "tandem/Target/ONNX/TensorFiles.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <zlib.h>

using namespace llvm;
using namespace tandem;
using namespace tandem::quant;

namespace {

Error fail(StringRef path, const Twine &message) {
  return createStringError(inconvertibleErrorCode(),
                           (path + ": " + message).str());
}

/// Inflates gzip data, refusing more than kMaxModelFileBytes of output.
Expected<std::string> gunzip(StringRef bytes, StringRef path) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 32) != Z_OK)
    return fail(path, "cannot initialize zlib");
  stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(bytes.data()));
  stream.avail_in = bytes.size();
  std::string out;
  char chunk[1 << 16];
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef *>(chunk);
    stream.avail_out = sizeof(chunk);
    status = inflate(&stream, Z_NO_FLUSH);
    if (status != Z_OK && status != Z_STREAM_END) {
      inflateEnd(&stream);
      return fail(path, "corrupt gzip data");
    }
    out.append(chunk, sizeof(chunk) - stream.avail_out);
    if (out.size() > kMaxModelFileBytes) {
      inflateEnd(&stream);
      return fail(path, "decompresses to more than 2 GiB");
    }
    if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0) {
      inflateEnd(&stream);
      return fail(path, "truncated gzip data");
    }
  }
  inflateEnd(&stream);
  return out;
}

uint32_t readBigEndian32(const char *p) {
  const auto *u = reinterpret_cast<const unsigned char *>(p);
  return (uint32_t(u[0]) << 24) | (uint32_t(u[1]) << 16) |
         (uint32_t(u[2]) << 8) | uint32_t(u[3]);
}

/// The .npy/.pb files of a directory, or its test_data_set_* inputs.
Expected<std::vector<std::string>> listTensorFiles(StringRef dir) {
  std::vector<std::string> files, sets;
  std::error_code ec;
  for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec)) {
    StringRef name = sys::path::filename(it->path());
    if (name.ends_with(".npy"))
      files.push_back(it->path());
    else if (name.starts_with("test_data_set_"))
      sets.push_back(it->path());
    else if (name == "input_0.pb")
      files.push_back(it->path());
  }
  if (ec)
    return fail(dir, "cannot list directory: " + ec.message());
  llvm::sort(files);
  llvm::sort(sets);
  for (const std::string &set : sets) {
    SmallString<256> input(set);
    sys::path::append(input, "input_0.pb");
    if (sys::fs::exists(input))
      files.push_back(std::string(input));
  }
  if (files.empty())
    return fail(dir, "holds no .npy files and no test_data_set_*/input_0.pb");
  return files;
}

} // namespace

Expected<IdxFile> quant::readIdxFile(StringRef path) {
  auto buffer = readInputFile(path, kMaxModelFileBytes);
  if (!buffer)
    return buffer.takeError();
  return parseIdx((*buffer)->getBuffer(), path);
}

Expected<IdxFile> quant::parseIdx(StringRef contents, StringRef path) {
  std::string bytes = contents.str();
  if (bytes.size() >= 2 && uint8_t(bytes[0]) == 0x1f &&
      uint8_t(bytes[1]) == 0x8b) {
    auto inflated = gunzip(bytes, path);
    if (!inflated)
      return inflated.takeError();
    bytes = std::move(*inflated);
  }
  if (bytes.size() < 4 || bytes[0] != 0 || bytes[1] != 0)
    return fail(path, "not an IDX file (expected the magic 0x0000 followed "
                      "by a type and a rank)");
  if (uint8_t(bytes[2]) != 0x08)
    return fail(path, "IDX element type 0x" + utohexstr(uint8_t(bytes[2])) +
                          " is not supported (only 0x08, unsigned bytes)");
  int64_t rank = uint8_t(bytes[3]);
  if (rank == 0 || bytes.size() < size_t(4 + 4 * rank))
    return fail(path, "truncated IDX header");
  IdxFile idx;
  uint64_t elements = 1;
  for (int64_t d = 0; d < rank; ++d) {
    idx.dims.push_back(readBigEndian32(bytes.data() + 4 + 4 * d));
    elements *= idx.dims.back();
    if (elements > kMaxModelFileBytes)
      return fail(path, "IDX dimensions describe more than 2 GiB");
  }
  if (bytes.size() - (4 + 4 * rank) != elements)
    return fail(path, "IDX header promises " + Twine(elements) +
                          " bytes of data, the file has " +
                          Twine(bytes.size() - (4 + 4 * rank)));
  idx.data = bytes.substr(4 + 4 * rank);
  return idx;
}

Expected<std::unique_ptr<Dataset>> Dataset::open(StringRef path,
                                                 StringRef labelsPath,
                                                 int64_t sampleElements,
                                                 int64_t maxSamples) {
  auto data = std::unique_ptr<Dataset>(new Dataset());
  data->path = path.str();
  data->sampleElements = sampleElements;
  if (sampleElements <= 0)
    return fail(path, "the model input has no elements per sample");
  auto addSamples = [&](const float *values, int64_t elements,
                        StringRef file) -> Error {
    if (elements % sampleElements)
      return fail(file, "holds " + Twine(elements) +
                            " elements, not a multiple of the model input's " +
                            Twine(sampleElements) + " per sample");
    data->samples.insert(data->samples.end(), values, values + elements);
    return Error::success();
  };
  if (sys::fs::is_directory(path)) {
    auto files = listTensorFiles(path);
    if (!files)
      return files.takeError();
    for (const std::string &file : *files) {
      auto tensor = readTensorFile(file);
      if (!tensor)
        return tensor.takeError();
      std::vector<float> values(tensor->getNumElements());
      for (int64_t i = 0, e = values.size(); i < e; ++i)
        values[i] = tensor->getAsDouble(i);
      if (Error e = addSamples(values.data(), values.size(), file))
        return std::move(e);
      if (maxSamples &&
          int64_t(data->samples.size()) >= maxSamples * sampleElements)
        break;
    }
  } else {
    auto idx = readIdxFile(path);
    if (!idx)
      return idx.takeError();
    std::vector<float> values(idx->data.size());
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = uint8_t(idx->data[i]) / 255.0f;
    if (Error e = addSamples(values.data(), values.size(), path))
      return std::move(e);
  }
  data->count = data->samples.size() / sampleElements;
  if (maxSamples && data->count > maxSamples) {
    data->count = maxSamples;
    data->samples.resize(maxSamples * sampleElements);
  }
  if (data->count == 0)
    return fail(path, "holds no samples");
  if (!labelsPath.empty()) {
    if (labelsPath.ends_with(".npy")) {
      auto tensor = readTensorFile(labelsPath);
      if (!tensor)
        return tensor.takeError();
      for (int64_t i = 0, e = tensor->getNumElements(); i < e; ++i)
        data->labels.push_back(static_cast<int64_t>(tensor->getAsDouble(i)));
    } else {
      auto idx = readIdxFile(labelsPath);
      if (!idx)
        return idx.takeError();
      if (idx->dims.size() != 1)
        return fail(labelsPath, "a label file has rank 1, this one has rank " +
                                    Twine(idx->dims.size()));
      for (char c : idx->data)
        data->labels.push_back(uint8_t(c));
    }
    if (int64_t(data->labels.size()) < data->count)
      return fail(labelsPath, "has " + Twine(data->labels.size()) +
                                  " labels for " + Twine(data->count) +
                                  " samples in " + path);
    data->labels.resize(data->count);
  }
  return data;
}

Expected<std::unique_ptr<Dataset>>
Dataset::fromValues(StringRef name, std::vector<float> samples,
                    int64_t sampleElements, std::vector<int64_t> labels) {
  if (sampleElements <= 0)
    return fail(name, "the model input has no elements per sample");
  if (samples.empty() || samples.size() % sampleElements)
    return fail(name, "holds " + Twine(samples.size()) +
                          " elements, not a positive multiple of the model "
                          "input's " +
                          Twine(sampleElements) + " per sample");
  auto data = std::unique_ptr<Dataset>(new Dataset());
  data->path = name.str();
  data->sampleElements = sampleElements;
  data->count = samples.size() / sampleElements;
  data->samples = std::move(samples);
  if (!labels.empty() && int64_t(labels.size()) != data->count)
    return fail(name, "has " + Twine(labels.size()) + " labels for " +
                          Twine(data->count) + " samples");
  data->labels = std::move(labels);
  return data;
}

void Dataset::read(int64_t begin, int64_t n, float *out) const {
  int64_t available = std::clamp<int64_t>(count - begin, 0, n);
  std::copy_n(samples.data() + begin * sampleElements,
              available * sampleElements, out);
  std::fill_n(out + available * sampleElements,
              (n - available) * sampleElements, 0.0f);
}
