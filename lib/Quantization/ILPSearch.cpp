//===- ILPSearch.cpp - Mixed precision as an integer program (GLPK) -------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// HAWQ-V3's formulation, a multiple-choice knapsack with one knapsack per
// budget:
//
//   minimize    sum_l sum_k  noise(l, k) x(l, k)
//   subject to  sum_k x(l, k) = 1                          for every layer l
//               rest_b + sum_l sum_k cost_b(l, k) x(l, k) <= limit_b
//                                                           for every budget b
//               x(l, k) = x(m, k)          for every layer l that must
//                                          take the choice of layer m
//               x(l, k) in {0, 1}
//
// where k ranges over the layer's (weight, activation) pairs and
// noise(l, k) is the measured output noise of quantizing only layer l's
// weights plus only its activations at k (Sensitivity: noise powers of
// independent errors add); or, with ILPObjective::Accuracy, the measured
// drops in score instead. GLPK's branch and cut solves it exactly; with
// several budgets a dynamic program over one discretized budget would not
// be exact, which is why a solver is used. Tens of layers and 49 pairs
// each take milliseconds.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include <glpk.h>

using namespace tandem;
using namespace tandem::quant;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message.str());
}

/// The objective coefficient of layer `layer` at `b`: the measured noise
/// (or score drop) of its weights plus that of its activations, each
/// against the reference (every layer at 16 bits), never below 0.
double getCoefficient(const Sensitivity &s, unsigned layer, LayerBits b,
                      ILPObjective objective) {
  if (objective == ILPObjective::Accuracy)
    return s.getScoreDrop(layer, b);
  const Quality &w = *s.getWeightQuality(layer, b);
  const Quality &a = s.activation[layer][b.activationBits - 1];
  return std::max(0.0, w.noise - s.reference.noise) +
         std::max(0.0, a.noise - s.reference.noise);
}

class ILPSearch : public MixedPrecisionSearch {
public:
  llvm::Expected<SearchResult>
  run(const SearchProblem &problem, AccuracyOracle &,
      const MixedPrecisionOptions &options) override {
    if (!problem.sensitivity)
      return fail("the integer program needs the layers' sensitivity");
    const Sensitivity &s = *problem.sensitivity;
    unsigned n = problem.getNumLayers();
    std::vector<std::vector<LayerBits>> choices(n);
    std::vector<int> firstColumn(n);
    int columns = 0;
    for (unsigned l = 0; l < n; ++l) {
      choices[l] = problem.getChoices(l);
      firstColumn[l] = columns + 1;
      columns += choices[l].size();
    }
    unsigned budgets = problem.budgets.size();
    if (!problem.sameAs.empty() && problem.sameAs.size() != n)
      return fail("the integer program's ties are for " +
                  llvm::Twine(problem.sameAs.size()) + " layers, not " +
                  llvm::Twine(n));
    for (auto [l, m] : llvm::enumerate(problem.sameAs))
      if (m >= int(l))
        return fail("the integer program's ties name no earlier layer for "
                    "layer " +
                    llvm::Twine(l));
    // Equal choices: a row x(l, k) - x(m, k) = 0 per choice either offers.
    std::vector<std::pair<unsigned, LayerBits>> ties;
    for (unsigned l = 0; l < problem.sameAs.size(); ++l) {
      int m = problem.sameAs[l];
      if (m < 0)
        continue;
      for (const LayerBits &bits : choices[l])
        ties.push_back({l, bits});
      for (const LayerBits &bits : choices[m])
        if (!llvm::is_contained(choices[l], bits))
          ties.push_back({l, bits});
    }
    auto column = [&](unsigned l, const LayerBits &bits) {
      auto it = llvm::find(choices[l], bits);
      return it == choices[l].end()
                 ? 0
                 : firstColumn[l] + int(it - choices[l].begin());
    };

    glp_term_out(GLP_OFF);
    glp_prob *lp = glp_create_prob();
    glp_set_obj_dir(lp, GLP_MIN);
    glp_add_rows(lp, n + budgets + ties.size());
    for (unsigned l = 0; l < n; ++l)
      glp_set_row_bnds(lp, l + 1, GLP_FX, 1, 1);
    for (unsigned b = 0; b < budgets; ++b)
      glp_set_row_bnds(lp, n + b + 1, GLP_UP, 0,
                       problem.limits[b] - problem.getRestCost(b));
    glp_add_cols(lp, columns);
    // Coefficients, 1-based as GLPK wants (index 0 unused).
    std::vector<int> rows(1), cols(1);
    std::vector<double> values(1);
    for (unsigned l = 0; l < n; ++l)
      for (auto [k, bits] : llvm::enumerate(choices[l])) {
        int j = firstColumn[l] + k;
        glp_set_col_kind(lp, j, GLP_BV);
        // Ties (choices that measure the same) go to the cheaper choice: a
        // nudge far below any measurable difference.
        double nudge = 1e-9 * (bits.weightBits * bits.activationBits) / 64;
        glp_set_obj_coef(
            lp, j, getCoefficient(s, l, bits, options.ilpObjective) + nudge);
        rows.push_back(l + 1);
        cols.push_back(j);
        values.push_back(1);
        for (unsigned b = 0; b < budgets; ++b) {
          rows.push_back(n + b + 1);
          cols.push_back(j);
          values.push_back(problem.getLayerCost(b, l, bits));
        }
      }
    for (auto [t, tie] : llvm::enumerate(ties)) {
      int row = n + budgets + t + 1;
      glp_set_row_bnds(lp, row, GLP_FX, 0, 0);
      auto [l, bits] = tie;
      for (auto [layer, sign] : {std::pair<unsigned, double>{l, 1},
                                 {unsigned(problem.sameAs[l]), -1}})
        if (int j = column(layer, bits)) {
          rows.push_back(row);
          cols.push_back(j);
          values.push_back(sign);
        }
    }
    glp_load_matrix(lp, rows.size() - 1, rows.data(), cols.data(),
                    values.data());
    glp_iocp params;
    glp_init_iocp(&params);
    params.presolve = GLP_ON;
    // Exact: no relative gap accepted.
    params.mip_gap = 0;
    int status = glp_intopt(lp, &params);
    int mip = glp_mip_status(lp);
    if (status != 0 || (mip != GLP_OPT && mip != GLP_FEAS)) {
      glp_delete_prob(lp);
      return fail(mip == GLP_NOFEAS
                      ? "the integer program has no solution within the "
                        "budgets"
                      : "GLPK failed to solve the integer program");
    }
    SearchResult result;
    result.optimal = mip == GLP_OPT;
    result.best.resize(n);
    for (unsigned l = 0; l < n; ++l)
      for (auto [k, bits] : llvm::enumerate(choices[l]))
        if (glp_mip_col_val(lp, firstColumn[l] + k) > 0.5) {
          result.best[l] = bits;
          result.objective += getCoefficient(s, l, bits, options.ilpObjective);
        }
    glp_delete_prob(lp);
    return result;
  }
};

} // namespace

std::unique_ptr<MixedPrecisionSearch> tandem::quant::createILPSearch() {
  return std::make_unique<ILPSearch>();
}
