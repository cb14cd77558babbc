//===- DDPGSearch.cpp - HAQ's DDPG agent on libtorch ----------------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// The agent of HAQ (Wang et al., CVPR 2019). An episode walks the layers,
// two steps each (weight width, then activation width). The state of a step
// is ten features, min-max normalized over the steps: layer index,
// depthwise flag, input and output channels, stride, kernel, parameters,
// input size, weight-or-activation flag, and the previous action. The actor
// (300-300, sigmoid) proposes a in [0, 1], perturbed by truncated normal
// noise (sigma 0.5, x0.99 per episode after the warm-up; the first
// `warmupEpisodes` are uniformly random), mapped to
//
//   bits = round(a * (max - min + 1) + min - 0.5)
//
// and snapped to the nearest width the target supports. After the episode
// the action wall pushes the policy under the budgets, the policy is
// measured on the validation data, and every step of the episode is stored
// with reward 0.1 * (score - score of fp32) minus a moving average of past
// rewards. After each stored step (past the warm-up) the critic (states
// and actions, 300-300) and the actor take one Adam step (lr 1e-3 / 1e-4)
// on a batch of 64 from the replay memory; the target networks follow with
// tau 0.01; the discount is 1. Built on libtorch (Debian's libtorch-dev),
// in a plugin of its own compiled with exceptions, which stop here.
//
//===----------------------------------------------------------------------===//

#include "tandem/Quantization/MixedPrecision.h"

#include <torch/torch.h>

#include <random>

using namespace tandem;
using namespace tandem::quant;

namespace {

constexpr int kFeatures = 10;
constexpr int kHidden = 300;
constexpr int kBatch = 64;
constexpr size_t kMemory = 4000;

struct ActorImpl : torch::nn::Module {
  ActorImpl()
      : fc1(register_module("fc1", torch::nn::Linear(kFeatures, kHidden))),
        fc2(register_module("fc2", torch::nn::Linear(kHidden, kHidden))),
        fc3(register_module("fc3", torch::nn::Linear(kHidden, 1))) {}
  torch::Tensor forward(torch::Tensor s) {
    return torch::sigmoid(fc3(torch::relu(fc2(torch::relu(fc1(s))))));
  }
  torch::nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Actor);

struct CriticImpl : torch::nn::Module {
  CriticImpl()
      : fcState(register_module("fcs", torch::nn::Linear(kFeatures, kHidden))),
        fcAction(register_module("fca", torch::nn::Linear(1, kHidden))),
        fc2(register_module("fc2", torch::nn::Linear(kHidden, kHidden))),
        fc3(register_module("fc3", torch::nn::Linear(kHidden, 1))) {}
  torch::Tensor forward(torch::Tensor s, torch::Tensor a) {
    return fc3(torch::relu(fc2(torch::relu(fcState(s) + fcAction(a)))));
  }
  torch::nn::Linear fcState, fcAction, fc2, fc3;
};
TORCH_MODULE(Critic);

/// Copies `from`'s parameters into `to` with weight `tau` (1: copy).
void follow(torch::nn::Module &to, torch::nn::Module &from, double tau) {
  torch::NoGradGuard guard;
  auto dst = to.parameters(), src = from.parameters();
  for (size_t i = 0; i < dst.size(); ++i)
    dst[i].mul_(1 - tau).add_(src[i], tau);
}

struct Transition {
  std::array<float, kFeatures> state, next;
  float action = 0, reward = 0;
  bool done = false;
};

class DDPGSearch : public MixedPrecisionSearch {
public:
  llvm::Expected<SearchResult>
  run(const SearchProblem &problem, AccuracyOracle &oracle,
      const MixedPrecisionOptions &options) override {
    try {
      return search(problem, oracle, options);
    } catch (const std::exception &e) {
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the DDPG agent failed (libtorch): %s",
                                     e.what());
    }
  }

private:
  llvm::Expected<SearchResult> search(const SearchProblem &problem,
                                      AccuracyOracle &oracle,
                                      const MixedPrecisionOptions &options) {
    torch::manual_seed(options.seed);
    at::set_num_threads(1);
    std::mt19937_64 rng(options.seed);
    unsigned n = problem.getNumLayers();
    std::vector<std::array<float, kFeatures>> states = getStates(problem);
    unsigned steps = 2 * n;

    Actor actor, actorTarget;
    Critic critic, criticTarget;
    follow(*actorTarget, *actor, 1);
    follow(*criticTarget, *critic, 1);
    torch::optim::Adam actorOpt(actor->parameters(),
                                torch::optim::AdamOptions(1e-4));
    torch::optim::Adam criticOpt(critic->parameters(),
                                 torch::optim::AdamOptions(1e-3));

    // What the rewards are relative to: the fp32 model's score.
    double reference =
        problem.sensitivity ? problem.sensitivity->fp32.score() : std::nan("");
    if (std::isnan(reference)) {
      auto q = oracle.measure(problem.toPolicy(BitsVector(n, {8, 8})));
      if (!q)
        return q.takeError();
      reference = q->score();
    }

    std::vector<Transition> memory;
    size_t memoryNext = 0;
    double sigma = 0.5, movingAverage = 0;
    bool haveAverage = false;
    SearchResult result;
    double bestScore = -1;
    std::uniform_real_distribution<double> unit(0, 1);
    std::normal_distribution<double> normal(0, 1);
    auto noisy = [&](double mean) {
      // Truncated to [0, 1] by rejection (bounded tries, then clamped).
      for (int i = 0; i < 100; ++i) {
        double a = mean + sigma * normal(rng);
        if (a >= 0 && a <= 1)
          return a;
      }
      return std::clamp(mean, 0.0, 1.0);
    };

    for (unsigned episode = 0; episode < options.episodes; ++episode) {
      if (options.interrupted && *options.interrupted) {
        result.interrupted = true;
        break;
      }
      bool warmup = episode < options.warmupEpisodes;
      std::vector<float> actions(steps);
      BitsVector bits(n);
      float previous = 0;
      std::vector<std::array<float, kFeatures>> episodeStates(steps);
      for (unsigned t = 0; t < steps; ++t) {
        std::array<float, kFeatures> s = states[t];
        s[kFeatures - 1] = previous;
        episodeStates[t] = s;
        double a;
        if (warmup) {
          a = unit(rng);
        } else {
          torch::NoGradGuard guard;
          double mean =
              actor->forward(torch::from_blob(s.data(), {1, kFeatures}).clone())
                  .item<double>();
          a = noisy(mean);
        }
        actions[t] = a;
        previous = a;
        unsigned l = t / 2;
        if (t % 2 == 0 && !problem.table->encodings.empty()) {
          // Weights: the action picks among the layer's options, costliest
          // at 1, cheapest at 0.
          llvm::ArrayRef<LayerBits> options = problem.getWeightOptions(l);
          size_t i = size_t(std::lround((1 - a) * double(options.size() - 1)));
          bits[l] = LayerBits::get(options[i].getWeightEncoding(),
                                   bits[l].activationBits);
        } else {
          int64_t width = toBits(problem.getBits(l), a);
          (t % 2 == 0 ? bits[l].weightBits : bits[l].activationBits) = width;
        }
      }
      for (unsigned l = 0; l < n; ++l)
        bits[l] = snapPair(problem, l, bits[l]);
      problem.enforceBudgets(bits);
      auto q = oracle.measure(problem.toPolicy(bits));
      if (!q)
        return q.takeError();
      double score = q->score();
      if (score > bestScore) {
        bestScore = score;
        result.best = bits;
        result.quality = *q;
      }
      double reward = 0.1 * (score - reference);
      if (!haveAverage) {
        movingAverage = reward;
        haveAverage = true;
      } else {
        movingAverage += 0.5 * (reward - movingAverage);
      }
      for (unsigned t = 0; t < steps; ++t) {
        Transition tr;
        tr.state = episodeStates[t];
        tr.next = t + 1 < steps ? episodeStates[t + 1] : episodeStates[t];
        tr.action = actions[t];
        tr.reward = reward - movingAverage;
        tr.done = t + 1 == steps;
        if (memory.size() < kMemory)
          memory.push_back(tr);
        else
          memory[memoryNext] = tr;
        memoryNext = (memoryNext + 1) % kMemory;
        if (!warmup)
          update(memory, actor, actorTarget, critic, criticTarget, actorOpt,
                 criticOpt, rng);
      }
      if (!warmup)
        sigma *= 0.99;
      if (options.progress)
        options.progress(episode + 1, options.episodes, bestScore);
    }
    if (result.best.empty())
      result.best = BitsVector(n, {8, 8});
    return result;
  }

  static void update(const std::vector<Transition> &memory, Actor &actor,
                     Actor &actorTarget, Critic &critic, Critic &criticTarget,
                     torch::optim::Adam &actorOpt,
                     torch::optim::Adam &criticOpt, std::mt19937_64 &rng) {
    int batch = std::min<int>(kBatch, memory.size());
    std::vector<float> s(batch * kFeatures), s1(batch * kFeatures), a(batch),
        r(batch), notDone(batch);
    std::uniform_int_distribution<size_t> any(0, memory.size() - 1);
    for (int i = 0; i < batch; ++i) {
      const Transition &tr = memory[any(rng)];
      std::copy(tr.state.begin(), tr.state.end(), &s[i * kFeatures]);
      std::copy(tr.next.begin(), tr.next.end(), &s1[i * kFeatures]);
      a[i] = tr.action;
      r[i] = tr.reward;
      notDone[i] = tr.done ? 0 : 1;
    }
    auto S = torch::from_blob(s.data(), {batch, kFeatures}).clone();
    auto S1 = torch::from_blob(s1.data(), {batch, kFeatures}).clone();
    auto A = torch::from_blob(a.data(), {batch, 1}).clone();
    auto R = torch::from_blob(r.data(), {batch, 1}).clone();
    auto ND = torch::from_blob(notDone.data(), {batch, 1}).clone();
    torch::Tensor target;
    {
      torch::NoGradGuard guard;
      target = R + ND * criticTarget->forward(S1, actorTarget->forward(S1));
    }
    criticOpt.zero_grad();
    auto criticLoss = torch::mse_loss(critic->forward(S, A), target);
    criticLoss.backward();
    criticOpt.step();

    actorOpt.zero_grad();
    auto actorLoss = -critic->forward(S, actor->forward(S)).mean();
    actorLoss.backward();
    actorOpt.step();

    follow(*actorTarget, *actor, 0.01);
    follow(*criticTarget, *critic, 0.01);
  }

  /// HAQ's layer embedding, two rows per layer, min-max normalized per
  /// feature; the last feature (previous action) is filled per step.
  static std::vector<std::array<float, kFeatures>>
  getStates(const SearchProblem &problem) {
    std::vector<std::array<float, kFeatures>> states;
    for (auto [i, info] : llvm::enumerate(problem.table->layers))
      for (int weights : {1, 0})
        states.push_back(
            {float(i), float(info.depthwise), float(info.inChannels),
             float(info.outChannels), float(info.stride), float(info.kernel),
             float(info.params), float(info.inputSize), float(weights), 0});
    for (int f = 0; f < kFeatures - 1; ++f) {
      float lo = INFINITY, hi = -INFINITY;
      for (auto &s : states) {
        lo = std::min(lo, s[f]);
        hi = std::max(hi, s[f]);
      }
      for (auto &s : states)
        s[f] = hi > lo ? (s[f] - lo) / (hi - lo) : 0;
    }
    return states;
  }

  /// HAQ's mapping of an action to bits over [min, max] of the allowed
  /// widths, snapped to the nearest allowed one (the wider on a tie).
  static int64_t toBits(llvm::ArrayRef<int64_t> allowed, double a) {
    int64_t lo = allowed.front(), hi = allowed.back();
    double b = std::round(a * (hi - lo + 1) + lo - 0.5);
    int64_t best = allowed.back();
    for (int64_t w : allowed)
      if (std::abs(w - b) < std::abs(best - b) ||
          (std::abs(w - b) == std::abs(best - b) && w > best))
        best = w;
    return best;
  }

  /// A pair the target lacks falls back to the layer's nearest wider pair.
  static LayerBits snapPair(const SearchProblem &problem, unsigned l,
                            LayerBits b) {
    if (problem.table->at(l, b).isValid())
      return b;
    if (b.encoding != EncodingKind::Multiply) {
      // Encoded weights: the nearest wider activation width they run at.
      for (int64_t a : problem.getBits(l))
        if (a >= b.activationBits &&
            problem.table->at(l, LayerBits::get(b.getWeightEncoding(), a))
                .isValid())
          return LayerBits::get(b.getWeightEncoding(), a);
      return {8, 8};
    }
    for (LayerBits c : llvm::reverse(problem.getChoices(l)))
      if (c.encoding == EncodingKind::Multiply &&
          c.weightBits >= b.weightBits && c.activationBits >= b.activationBits)
        return c;
    return {8, 8};
  }
};

} // namespace

/// The plugin's entry point (SearchFactory.cpp loads it).
extern "C" __attribute__((visibility("default"))) MixedPrecisionSearch *
tandemCreateDDPGSearch() {
  return new DDPGSearch();
}
