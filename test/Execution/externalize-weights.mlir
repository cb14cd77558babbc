// RUN: tandem-opt %s --accel-externalize-weights=min-bytes=8 | FileCheck %s
// RUN: tandem-opt %s --accel-externalize-weights | FileCheck %s --check-prefix=DEFAULT

// The 8-byte blob (two f32: 1.0, 2.0 after the 4-byte alignment header)
// reaches min-bytes: its global loses the initializer, becomes public so the
// JIT can bind it, and the blob is recorded under the global's name. The
// 16-byte dense literal is not a blob and stays in the code.
// CHECK: module attributes {tandem.external_weights = {big = dense_resource<blob_big> : tensor<2xf32>}}
// CHECK: memref.global "public" constant @big : memref<2xf32>{{$}}
// CHECK: memref.global "private" constant @small : memref<4xf32> = dense<
// CHECK: blob_big: "0x040000000000803F00000040"

// At the default threshold (4096 bytes) nothing moves.
// DEFAULT-NOT: tandem.external_weights
// DEFAULT: memref.global "private" constant @big : memref<2xf32> = dense_resource<blob_big>
module {
  memref.global "private" constant @big : memref<2xf32> = dense_resource<blob_big>
  memref.global "private" constant @small : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
  func.func @f() -> (memref<2xf32>, memref<4xf32>) {
    %0 = memref.get_global @big : memref<2xf32>
    %1 = memref.get_global @small : memref<4xf32>
    return %0, %1 : memref<2xf32>, memref<4xf32>
  }
}
{-#
  dialect_resources: {
    builtin: {
      blob_big: "0x040000000000803F00000040"
    }
  }
#-}
