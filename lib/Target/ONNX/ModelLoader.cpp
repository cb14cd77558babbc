//===- ModelLoader.cpp - libonnx behind an exception boundary -------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Compiled with -fexceptions (see CMakeLists.txt). Nothing in here may let an
// exception escape: each entry point catches everything.
//
//===----------------------------------------------------------------------===//

#include "ModelLoader.h"

#include "onnx/checker.h"
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"
#include "onnx/shape_inference/implementation.h"
#include "onnx/version_converter/convert.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <fcntl.h>
#include <unistd.h>

#include <climits>
#include <exception>
#include <string>

using namespace llvm;

namespace tandem::onnx_import {

static Error makeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), message);
}

/// Parses from a protobuf input stream; shared by the buffer and file paths.
static Expected<std::unique_ptr<onnx::ModelProto>>
parseStream(google::protobuf::io::ZeroCopyInputStream &input) {
  auto model = std::make_unique<onnx::ModelProto>();
  try {
    google::protobuf::io::CodedInputStream stream(&input);
    stream.SetTotalBytesLimit(INT_MAX);
    if (!model->ParseFromCodedStream(&stream) ||
        !stream.ConsumedEntireMessage())
      return makeError("not a valid ONNX model: the protobuf data is "
                       "truncated or is not an ONNX ModelProto");
  } catch (const std::exception &e) {
    return makeError(Twine("cannot parse the model: ") + e.what());
  } catch (...) {
    return makeError("cannot parse the model: unknown error in protobuf");
  }
  if (!model->has_graph() || model->opset_import_size() == 0)
    return makeError("not an ONNX model: it has no graph or no opset_import "
                     "(a truncated file or another protobuf message?)");
  return std::move(model);
}

Expected<std::unique_ptr<onnx::ModelProto>> parseModel(StringRef bytes,
                                                       bool isText) {
  auto model = std::make_unique<onnx::ModelProto>();
  try {
    if (isText) {
      std::string text = bytes.str(); // The parser wants a NUL terminator.
      onnx::Status status = onnx::OnnxParser::Parse(*model, text.c_str());
      if (!status.IsOK())
        return makeError("cannot parse the ONNX text: " +
                         status.ErrorMessage());
    } else {
      if (bytes.size() > static_cast<size_t>(INT_MAX))
        return makeError("the file is " + Twine(bytes.size()) +
                         " bytes, over protobuf's 2 GiB limit for one "
                         "message; save the model with its weights as "
                         "external data");
      google::protobuf::io::ArrayInputStream input(
          bytes.data(), static_cast<int>(bytes.size()));
      return parseStream(input);
    }
  } catch (const std::exception &e) {
    return makeError(Twine("cannot parse the model: ") + e.what());
  } catch (...) {
    return makeError("cannot parse the model: unknown error in libonnx");
  }
  if (!model->has_graph() || model->opset_import_size() == 0)
    return makeError("not an ONNX model: it has no graph or no opset_import "
                     "(a truncated file or another protobuf message?)");
  return std::move(model);
}

Expected<std::unique_ptr<onnx::ModelProto>> parseModelFile(StringRef path) {
  int fd = ::open(path.str().c_str(), O_RDONLY);
  if (fd < 0)
    return makeError("cannot open '" + path + "'");
  off_t size = ::lseek(fd, 0, SEEK_END);
  ::lseek(fd, 0, SEEK_SET);
  if (size > static_cast<off_t>(INT_MAX)) {
    ::close(fd);
    return makeError("the file is " + Twine(static_cast<int64_t>(size)) +
                     " bytes, over protobuf's 2 GiB limit for one message; "
                     "save the model with its weights as external data");
  }
  google::protobuf::io::FileInputStream input(fd);
  input.SetCloseOnDelete(true);
  return parseStream(input);
}

Error checkConvertAndInfer(onnx::ModelProto &model, int64_t modelOpset,
                           int64_t targetOpset, StringRef modelDir) {
  const char *stage = "the ONNX checker rejected the model";
  try {
    onnx::checker::CheckerContext ctx;
    ctx.set_ir_version(static_cast<int>(model.ir_version()));
    std::unordered_map<std::string, int> opsets;
    for (const auto &opset : model.opset_import())
      opsets[opset.domain()] = static_cast<int>(opset.version());
    ctx.set_opset_imports(opsets);
    ctx.set_model_dir(modelDir.str());
    onnx::checker::LexicalScopeContext scope;
    onnx::checker::check_graph(model.graph(), ctx, scope);

    if (modelOpset < targetOpset) {
      stage = "version conversion failed";
      model = onnx::version_conversion::ConvertVersion(
          model, static_cast<int>(targetOpset));
    }

    stage = "ONNX shape inference failed";
    onnx::ShapeInferenceOptions options(/*check_type=*/true,
                                        /*strict_mode=*/1,
                                        /*data_prop=*/true);
    onnx::shape_inference::InferShapes(
        model, onnx::OpSchemaRegistry::Instance(), options);
  } catch (const std::exception &e) {
    return makeError(Twine(stage) + ": " + e.what());
  } catch (...) {
    return makeError(Twine(stage) + ": unknown error in libonnx");
  }
  return Error::success();
}

} // namespace tandem::onnx_import
