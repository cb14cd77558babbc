// RUN: tandem-opt %s --accel-matmul-to-blas | FileCheck %s

// f32 matrix products on buffers become calls into libTandemRuntime.so,
// through fully dynamic memref types so one declaration serves every shape
// and layout (the runtime reads sizes and strides from the descriptor).
// CHECK-DAG: func.func private @tandem_sgemm_batched(memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, {{.+}}) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tandem_sgemm(memref<?x?xf32, strided<[?, ?], offset: ?>>, {{.+}}) attributes {llvm.emit_c_interface}
// CHECK-DAG: func.func private @tandem_sgemm_shared_lhs(memref<?x?xf32, strided<[?, ?], offset: ?>>, memref<?x?x?xf32, strided<[?, ?, ?], offset: ?>>, {{.+}}) attributes {llvm.emit_c_interface}

// CHECK-LABEL: func.func @mm
// CHECK-COUNT-3: memref.cast
// CHECK-NEXT: call @tandem_sgemm(
// CHECK-NOT: linalg.matmul
func.func @mm(%a: memref<4x27xf32>, %b: memref<27x9xf32>, %c: memref<4x9xf32>) {
  linalg.matmul ins(%a, %b : memref<4x27xf32>, memref<27x9xf32>) outs(%c : memref<4x9xf32>)
  return
}

// CHECK-LABEL: func.func @bmm
// CHECK: call @tandem_sgemm_batched(
func.func @bmm(%a: memref<2x32x16xf32>, %b: memref<2x16x49xf32>, %c: memref<2x32x49xf32>) {
  linalg.batch_matmul ins(%a, %b : memref<2x32x16xf32>, memref<2x16x49xf32>) outs(%c : memref<2x32x49xf32>)
  return
}

// A batched product whose first operand is shared by the batch (its map
// drops the batch dimension) passes that matrix once.
// CHECK-LABEL: func.func @shared
// CHECK: call @tandem_sgemm_shared_lhs(
// CHECK-NOT: linalg.batch_matmul
func.func @shared(%a: memref<32x16xf32>, %b: memref<2x16x49xf32>, %c: memref<2x32x49xf32>) {
  linalg.batch_matmul indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d1, d3)>, affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>] ins(%a, %b : memref<32x16xf32>, memref<2x16x49xf32>) outs(%c : memref<2x32x49xf32>)
  return
}

// A row stride wider than the row (a view into a larger buffer) is still a
// BLAS call: the runtime passes it as the leading dimension.
// CHECK-LABEL: func.func @strided
// CHECK: memref.cast %{{.+}} : memref<4x27xf32, strided<[30, 1]>> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: call @tandem_sgemm(
func.func @strided(%a: memref<4x27xf32, strided<[30, 1]>>, %b: memref<27x9xf32>, %c: memref<4x9xf32>) {
  linalg.matmul ins(%a, %b : memref<4x27xf32, strided<[30, 1]>>, memref<27x9xf32>) outs(%c : memref<4x9xf32>)
  return
}

// Integer products stay as loops.
// CHECK-LABEL: func.func @int
// CHECK-NEXT: linalg.matmul
func.func @int(%a: memref<4x27xi8>, %b: memref<27x9xi8>, %c: memref<4x9xi32>) {
  linalg.matmul ins(%a, %b : memref<4x27xi8>, memref<27x9xi8>) outs(%c : memref<4x9xi32>)
  return
}
