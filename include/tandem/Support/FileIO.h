//===- FileIO.h - Reading untrusted files, writing outputs whole -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Every file Tandem reads may come from anywhere: readInputFile refuses
// devices, pipes and directories (a target given as /dev/zero would be read
// until memory runs out) and files above a size limit, before reading a
// byte. Every file it writes goes through writeOutputFile: a temporary file
// in the same directory, renamed over the destination only once the stream
// reports no error, so a full disk leaves no partial output and the error
// names the file.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_SUPPORT_FILEIO_H
#define TANDEM_SUPPORT_FILEIO_H

#include "tandem/Support/Limits.h"

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <memory>

namespace tandem {

/// The contents of the regular file `path` ("-": standard input, if
/// `allowStdin`), refused if it is not a regular file or is larger than
/// `maxBytes`. Errors start with "cannot read 'PATH': ".
llvm::Expected<std::unique_ptr<llvm::MemoryBuffer>>
readInputFile(llvm::StringRef path, uint64_t maxBytes, bool allowStdin = false);

/// Writes `path` ("-": standard output) whole or not at all: `write` fills a
/// temporary file renamed over `path` only if `write` succeeds and every
/// byte reached the disk. Errors start with "cannot write 'PATH': ".
llvm::Error
writeOutputFile(llvm::StringRef path,
                llvm::function_ref<llvm::Error(llvm::raw_ostream &)> write);

} // namespace tandem

#endif // TANDEM_SUPPORT_FILEIO_H
