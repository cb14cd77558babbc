/*===- NoLLVMAllocatorPoisoning.h - Sanitizer builds only -------*- C++ -*-===*\
|*                                                                            *|
|* Part of Tandem: designs a neural network and its accelerator together.     *|
|*                                                                            *|
|* Force-included (-include) into every file of an AddressSanitizer build.   *|
|* LLVM's headers poison the unused part of a BumpPtrAllocator slab when the *|
|* including file is instrumented; Debian's libLLVM/libMLIR are not, so an   *|
|* allocator inlined into Tandem code poisons memory that libMLIR's own copy *|
|* of the allocator later hands out (a false use-after-poison in, e.g.,      *|
|* DenseArrayAttrImpl::get). Declaring the interface first and turning the   *|
|* two calls into no-ops keeps LLVM's allocators consistent; every other     *|
|* check (heap, stack, globals, Tandem's own code) is untouched.             *|
\*===----------------------------------------------------------------------===*/

#ifndef TANDEM_NO_LLVM_ALLOCATOR_POISONING_H
#define TANDEM_NO_LLVM_ALLOCATOR_POISONING_H

#include <sanitizer/asan_interface.h>

#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))

#endif
