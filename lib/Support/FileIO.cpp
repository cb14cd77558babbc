//===- FileIO.cpp - Reading untrusted files, writing outputs whole --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/Support/FileIO.h"

#include "llvm/Support/FileSystem.h"

using namespace llvm;

namespace tandem {

static Error fileError(StringRef verb, StringRef path, const Twine &why) {
  return createStringError(inconvertibleErrorCode(),
                           "cannot " + verb + " '" + path + "': " + why);
}

Expected<std::unique_ptr<MemoryBuffer>>
readInputFile(StringRef path, uint64_t maxBytes, bool allowStdin) {
  if (allowStdin && path == "-") {
    auto buffer = MemoryBuffer::getSTDIN();
    if (!buffer)
      return fileError("read", path, buffer.getError().message());
    if ((*buffer)->getBufferSize() > maxBytes)
      return fileError("read", "<stdin>",
                       "more than " + Twine(maxBytes) + " bytes");
    return std::move(*buffer);
  }
  sys::fs::file_status status;
  if (std::error_code ec = sys::fs::status(path, status))
    return fileError("read", path, ec.message());
  if (status.type() == sys::fs::file_type::directory_file)
    return fileError("read", path, "it is a directory");
  if (status.type() != sys::fs::file_type::regular_file)
    return fileError("read", path,
                     "not a regular file (devices, pipes and sockets are "
                     "refused)");
  if (status.getSize() > maxBytes)
    return fileError("read", path,
                     Twine(status.getSize()) + " bytes, more than the " +
                         Twine(maxBytes) + " this kind of file may have");
  auto buffer = MemoryBuffer::getFile(path, /*IsText=*/false,
                                      /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fileError("read", path, buffer.getError().message());
  return std::move(*buffer);
}

Error writeOutputFile(StringRef path,
                      function_ref<Error(raw_ostream &)> write) {
  if (path == "-") {
    if (Error err = write(outs()))
      return err;
    outs().flush();
    if (outs().has_error()) {
      std::error_code ec = outs().error();
      outs().clear_error();
      return fileError("write", "<stdout>", ec.message());
    }
    return Error::success();
  }
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return fileError("write", path, toString(temp.takeError()));
  std::error_code streamError;
  Error written = Error::success();
  {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    written = write(os);
    os.flush();
    streamError = os.error();
    // A stream destroyed with an error aborts the process.
    os.clear_error();
  }
  if (written || streamError) {
    if (Error discarded = temp->discard())
      consumeError(std::move(discarded));
    if (written)
      return written;
    return fileError("write", path, streamError.message());
  }
  if (Error err = temp->keep(path))
    return fileError("write", path, toString(std::move(err)));
  return Error::success();
}

} // namespace tandem
