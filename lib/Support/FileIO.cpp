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
  // Streams to finish and check: a stream destroyed with an error aborts.
  auto finish = [&](raw_fd_ostream &os, StringRef name) -> Error {
    Error written = write(os);
    os.flush();
    std::error_code ec = os.error();
    os.clear_error();
    if (written)
      return written;
    if (ec)
      return fileError("write", name, ec.message());
    return Error::success();
  };
  if (path == "-")
    return finish(outs(), "<stdout>");
  // A device or pipe (/dev/null, a FIFO) is written in place: renaming a
  // file over it would replace the device.
  sys::fs::file_status status;
  if (!sys::fs::status(path, status) && sys::fs::exists(status) &&
      status.type() != sys::fs::file_type::regular_file) {
    std::error_code ec;
    raw_fd_ostream os(path, ec, sys::fs::OF_None);
    if (ec)
      return fileError("write", path, ec.message());
    return finish(os, path);
  }
  Expected<sys::fs::TempFile> temp =
      sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temp)
    return fileError("write", path, toString(temp.takeError()));
  Error written = [&] {
    raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    return finish(os, path);
  }();
  if (written) {
    if (Error discarded = temp->discard())
      consumeError(std::move(discarded));
    return written;
  }
  if (Error err = temp->keep(path))
    return fileError("write", path, toString(std::move(err)));
  return Error::success();
}

} // namespace tandem
