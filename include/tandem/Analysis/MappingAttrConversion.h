//===- MappingAttrConversion.h - #accel.mapping <-> cost::Mapping -*- C++
//-*-===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The IR form of a mapping is #accel.mapping (its one parser and printer are
// the attribute's); the cost model's form is the fixed-size cost::Mapping.
// These convert between them for one problem on one target.
//
//===----------------------------------------------------------------------===//

#ifndef TANDEM_ANALYSIS_MAPPINGATTRCONVERSION_H
#define TANDEM_ANALYSIS_MAPPINGATTRCONVERSION_H

#include "tandem/Analysis/CostModel.h"
#include "tandem/Dialect/Accel/IR/AccelDialect.h"

namespace tandem::cost {

/// `problem` with the loops `attr` flattens ("R*S*C") flattened, and no
/// others: the problem the mapping tiles. Fails on an unknown loop name or
/// a loop flattened twice.
llvm::Expected<Problem> getMappedProblem(accel::MappingAttr attr,
                                         const Problem &problem);

/// The cost model's mapping for `attr`. An error names what does not fit the
/// target: a level it lacks, levels out of order, the array's axes away from
/// where its array sits. The target's rules on factors and capacities are
/// verifyMapping's.
llvm::Expected<Mapping> fromMappingAttr(accel::MappingAttr attr,
                                        const Problem &problem,
                                        const hw::Target &target);

/// The attribute of `mapping`: every level in order with its factors > 1 in
/// loop order, X and Y where the array sits (before the first per-PE
/// level), bypasses where the mapping has them.
accel::MappingAttr toMappingAttr(mlir::MLIRContext *context,
                                 const Mapping &mapping, const Problem &problem,
                                 const hw::Target &target);

} // namespace tandem::cost

#endif // TANDEM_ANALYSIS_MAPPINGATTRCONVERSION_H
