// RUN: tandem-opt %s --accel-dealloc-after-last-use | FileCheck %s

// Each buffer is freed right after its last use, a use through a view
// included, not at the end of the function.
// CHECK-LABEL: func.func @chain
// CHECK: %[[A:.+]] = memref.alloc()
// CHECK: linalg.fill {{.*}}outs(%[[A]]
// CHECK: %[[B:.+]] = memref.alloc()
// CHECK: %[[V:.+]] = memref.collapse_shape %[[A]]
// CHECK: memref.copy %[[V]], %[[B]]
// CHECK-NEXT: memref.dealloc %[[A]]
// CHECK: memref.copy %[[B]], %arg0
// CHECK-NEXT: memref.dealloc %[[B]]
// CHECK-NEXT: return
func.func @chain(%out: memref<16xf32>) {
  %c = arith.constant 1.0 : f32
  %a = memref.alloc() : memref<4x4xf32>
  linalg.fill ins(%c : f32) outs(%a : memref<4x4xf32>)
  %b = memref.alloc() : memref<16xf32>
  %v = memref.collapse_shape %a [[0, 1]] : memref<4x4xf32> into memref<16xf32>
  memref.copy %v, %b : memref<16xf32> to memref<16xf32>
  memref.copy %b, %out : memref<16xf32> to memref<16xf32>
  memref.dealloc %a : memref<4x4xf32>
  memref.dealloc %b : memref<16xf32>
  return
}

// A buffer that reaches an op which could keep it (here a call returning a
// memref) keeps its dealloc where it was.
// CHECK-LABEL: func.func @escapes
// CHECK: call @keep
// CHECK: memref.copy
// CHECK-NEXT: memref.dealloc
// CHECK-NEXT: return
func.func private @keep(memref<4xf32>) -> memref<4xf32>
func.func @escapes(%out: memref<4xf32>) {
  %a = memref.alloc() : memref<4xf32>
  %k = call @keep(%a) : (memref<4xf32>) -> memref<4xf32>
  memref.copy %k, %out : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  return
}
