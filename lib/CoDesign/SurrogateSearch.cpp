//===- SurrogateSearch.cpp - DANCE's evaluator and gradient search --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The plugin behind Surrogate.h, on libtorch (Debian's libtorch-dev);
// exceptions stop here. One thread, seeded: the same samples and seed give
// the same evaluator and the same proposals.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Surrogate.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

using namespace tandem;
using namespace tandem::codesign;

namespace {

constexpr int kHidden = 128;

struct EvaluatorImpl : torch::nn::Module {
  EvaluatorImpl(int inputs)
      : fc1(register_module("fc1", torch::nn::Linear(inputs, kHidden))),
        fc2(register_module("fc2", torch::nn::Linear(kHidden, kHidden))),
        fc3(register_module("fc3", torch::nn::Linear(kHidden, kNumOutputs))) {}
  torch::Tensor forward(torch::Tensor x) {
    return fc3(torch::relu(fc2(torch::relu(fc1(x)))));
  }
  torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Evaluator);

/// The evaluator's input for a design given as per-parameter value
/// probabilities: the probabilities, then per numeric parameter the
/// expected normalized log value.
torch::Tensor encode(const SurrogateProblem &problem,
                     const std::vector<torch::Tensor> &probabilities) {
  std::vector<torch::Tensor> parts;
  for (size_t i = 0; i < probabilities.size(); ++i) {
    parts.push_back(probabilities[i]);
    if (!problem.scales[i].empty()) {
      auto scale = torch::tensor(std::vector<float>(problem.scales[i].begin(),
                                                    problem.scales[i].end()));
      parts.push_back((probabilities[i] * scale).sum(-1, true));
    }
  }
  return torch::cat(parts, -1);
}

std::vector<torch::Tensor>
oneHot(const SurrogateProblem &problem,
       const std::vector<std::vector<unsigned>> &pts) {
  std::vector<torch::Tensor> out;
  for (size_t i = 0; i < problem.accuracyDrop.size(); ++i) {
    auto t = torch::zeros(
        {int64_t(pts.size()), int64_t(problem.accuracyDrop[i].size())});
    for (size_t k = 0; k < pts.size(); ++k)
      t[k][pts[k][i]] = 1;
    out.push_back(t);
  }
  return out;
}

/// Spearman's rank correlation (average ranks for ties).
double spearman(const std::vector<double> &a, const std::vector<double> &b) {
  auto ranks = [](const std::vector<double> &v) {
    std::vector<size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](size_t x, size_t y) { return v[x] < v[y]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
      size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]])
        ++j;
      for (size_t k = i; k <= j; ++k)
        r[order[k]] = (i + j) / 2.0;
      i = j + 1;
    }
    return r;
  };
  std::vector<double> ra = ranks(a), rb = ranks(b);
  double n = a.size(), ma = 0, mb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += ra[i] / n;
    mb += rb[i] / n;
  }
  double cov = 0, va = 0, vb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    cov += (ra[i] - ma) * (rb[i] - mb);
    va += (ra[i] - ma) * (ra[i] - ma);
    vb += (rb[i] - mb) * (rb[i] - mb);
  }
  return va > 0 && vb > 0 ? cov / std::sqrt(va * vb) : 0;
}

class SurrogateSearch : public DifferentiableSearch {
public:
  llvm::Expected<SurrogateFit>
  train(const SurrogateProblem &problem,
        const std::vector<SurrogateSample> &samples, uint64_t seed) override {
    try {
      return trainImpl(problem, samples, seed);
    } catch (const std::exception &e) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the evaluator network: %s", e.what());
    }
  }

  llvm::Expected<std::vector<std::vector<unsigned>>>
  propose(const SurrogateProblem &problem, unsigned count,
          uint64_t seed) override {
    try {
      return proposeImpl(problem, count, seed);
    } catch (const std::exception &e) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the gradient search: %s", e.what());
    }
  }

private:
  SurrogateFit trainImpl(const SurrogateProblem &problem,
                         const std::vector<SurrogateSample> &samples,
                         uint64_t seed) {
    auto start = std::chrono::steady_clock::now();
    torch::manual_seed(seed);
    at::set_num_threads(1);
    // 80% to train, 20% held out, by a seeded shuffle.
    std::vector<size_t> order(samples.size());
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    size_t trainCount = std::max<size_t>(1, samples.size() * 4 / 5);
    auto gather = [&](size_t begin, size_t end, torch::Tensor &x,
                      torch::Tensor &y) {
      std::vector<std::vector<unsigned>> pts;
      std::vector<float> logs;
      for (size_t i = begin; i < end; ++i) {
        pts.push_back(samples[order[i]].point);
        for (double v : samples[order[i]].logs)
          logs.push_back(float(v));
      }
      x = encode(problem, oneHot(problem, pts));
      y = torch::tensor(logs).reshape({int64_t(end - begin), kNumOutputs});
    };
    torch::Tensor xTrain, yTrain, xTest, yTest;
    gather(0, trainCount, xTrain, yTrain);
    mean = yTrain.mean(0);
    stddev = yTrain.std(0, /*unbiased=*/false).clamp_min(1e-6);
    evaluator = Evaluator(int(xTrain.size(1)));
    torch::optim::Adam opt(evaluator->parameters(),
                           torch::optim::AdamOptions(3e-3));
    torch::Tensor target = (yTrain - mean) / stddev;
    for (int epoch = 0; epoch < 600; ++epoch) {
      opt.zero_grad();
      torch::Tensor loss = torch::mse_loss(evaluator->forward(xTrain), target);
      loss.backward();
      opt.step();
    }
    SurrogateFit fit;
    fit.trained = trainCount;
    if (trainCount < samples.size()) {
      gather(trainCount, samples.size(), xTest, yTest);
      fit.heldOut = samples.size() - trainCount;
      torch::NoGradGuard guard;
      torch::Tensor predicted = evaluator->forward(xTest) * stddev + mean;
      for (int o = 0; o < kNumOutputs; ++o) {
        std::vector<double> p, t;
        double error = 0;
        for (int64_t k = 0; k < predicted.size(0); ++k) {
          p.push_back(predicted[k][o].item<double>());
          t.push_back(yTest[k][o].item<double>());
          error += std::fabs(std::exp(p.back() - t.back()) - 1);
        }
        fit.relativeError[o] = error / p.size();
        fit.rankCorrelation[o] = spearman(p, t);
      }
    }
    fit.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    return fit;
  }

  std::vector<std::vector<unsigned>>
  proposeImpl(const SurrogateProblem &problem, unsigned count, uint64_t seed) {
    std::vector<std::vector<unsigned>> out;
    if (!evaluator || count == 0)
      return out;
    torch::manual_seed(seed);
    at::set_num_threads(1);
    std::mt19937_64 rng(seed);
    const size_t numParams = problem.accuracyDrop.size();
    const int64_t rows = count;
    for (auto &p : evaluator->parameters())
      p.requires_grad_(false);
    std::vector<torch::Tensor> drops;
    for (const auto &d : problem.accuracyDrop)
      drops.push_back(torch::tensor(std::vector<float>(d.begin(), d.end())));
    // Accuracy in units of its spread over the choices, so that a weight
    // means the same for it as for the standardized outputs.
    double spread = 0;
    for (const auto &d : problem.accuracyDrop)
      if (d.size() > 1) {
        auto [lo, hi] = std::minmax_element(d.begin(), d.end());
        spread += *hi - *lo;
      }
    spread = std::max(spread, 1e-6);
    // One random weighting of the objectives per proposal (Dirichlet(1)),
    // as weights of the outputs and the accuracy term: [rows, outputs + 1].
    std::vector<float> w(rows * (kNumOutputs + 1), 0);
    for (int64_t k = 0; k < rows; ++k) {
      std::vector<double> weights;
      double total = 0;
      for (size_t o = 0; o < problem.objectives.size(); ++o) {
        weights.push_back(std::exponential_distribution<double>(1)(rng));
        total += weights.back();
      }
      for (size_t o = 0; o < problem.objectives.size(); ++o)
        for (int j = 0; j <= kNumOutputs; ++j)
          w[k * (kNumOutputs + 1) + j] +=
              weights[o] / total * problem.objectives[o][j];
    }
    torch::Tensor weight =
        torch::tensor(w).reshape({rows, kNumOutputs + 1});
    // The proposals descend together: their losses add, and Adam's steps
    // are per element, so each row follows its own gradient.
    std::vector<torch::Tensor> logits;
    for (size_t i = 0; i < numParams; ++i)
      logits.push_back((0.1 * torch::randn({rows, drops[i].size(0)}))
                           .requires_grad_(true));
    torch::optim::Adam opt(logits, torch::optim::AdamOptions(0.1));
    const int steps = 150;
    for (int step = 0; step < steps; ++step) {
      double tau = std::pow(0.1, double(step) / (steps - 1));
      std::vector<torch::Tensor> probs;
      for (auto &l : logits) {
        torch::Tensor gumbel =
            -torch::log(-torch::log(torch::rand_like(l) * 0.998 + 0.001));
        probs.push_back(torch::softmax((l + gumbel) / tau, -1));
      }
      torch::Tensor z = evaluator->forward(encode(problem, probs));
      torch::Tensor logs = z * stddev + mean;
      torch::Tensor accuracy = torch::full({rows}, problem.accuracyBase);
      for (size_t i = 0; i < numParams; ++i)
        accuracy = accuracy + (probs[i] * drops[i]).sum(-1);
      torch::Tensor loss =
          (weight.narrow(1, 0, kNumOutputs) * z).sum(-1) +
          weight.select(1, kNumOutputs) * accuracy / spread;
      for (int j = 0; j < kNumOutputs; ++j)
        if (problem.maxLog[j])
          loss = loss + 10 * torch::relu(logs.select(1, j) -
                                         *problem.maxLog[j]) /
                            stddev[j];
      if (problem.maxAccuracyLoss)
        loss = loss +
               10 * torch::relu(accuracy - *problem.maxAccuracyLoss) / spread;
      opt.zero_grad();
      loss.sum().backward();
      opt.step();
    }
    for (int64_t k = 0; k < rows; ++k) {
      std::vector<unsigned> point;
      for (auto &l : logits)
        point.push_back(unsigned(l[k].argmax().item<int64_t>()));
      out.push_back(std::move(point));
    }
    return out;
  }

  Evaluator evaluator{nullptr};
  torch::Tensor mean, stddev;
};

} // namespace

extern "C" __attribute__((visibility("default"))) DifferentiableSearch *
tandemCreateDifferentiableSearch() {
  return new SurrogateSearch();
}
