//===- ExplorerTest.cpp - Spaces, Pareto fronts and searches --------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "tandem/CoDesign/Explorer.h"

#include "gtest/gtest.h"

using namespace tandem;
using namespace tandem::codesign;

namespace {

DesignSpace parse(llvm::StringRef yaml) {
  auto space = parseDesignSpace(yaml, "space.yaml");
  EXPECT_TRUE(bool(space)) << llvm::toString(space.takeError());
  return std::move(*space);
}

TEST(DesignSpaceTest, RangesListsAndPoints) {
  DesignSpace space = parse(R"(
base: eyeriss
parameters:
  rows: {min: 8, max: 32, step: 8}
  dataflow: [ws, rs]
  levels:
    GLB:
      capacity_bytes: {min: 32768, max: 262144, factor: 2}
  clock_mhz: 250
objectives: [latency, energy]
)");
  ASSERT_EQ(space.parameters.size(), 4u);
  EXPECT_EQ(space.parameters[0].numbers, (std::vector<double>{8, 16, 24, 32}));
  EXPECT_EQ(space.parameters[2].numbers,
            (std::vector<double>{32768, 65536, 131072, 262144}));
  EXPECT_EQ(space.parameters[3].numbers, (std::vector<double>{250}));
  // Integer ranges never list a value twice: 1, 1.5, 2.25, 3.375, 5.06,
  // 7.59 round to 1, 2, 2, 3, 5, 8.
  DesignSpace slow = parse(R"(
base: eyeriss
parameters:
  rows: {min: 1, max: 10, factor: 1.5}
objectives: [latency]
)");
  EXPECT_EQ(slow.parameters[0].numbers, (std::vector<double>{1, 2, 3, 5, 8}));
  EXPECT_EQ(space.size(), 4u * 2 * 4 * 1);
  // Two objectives: EDP picks the exported design unless `prefer` says.
  EXPECT_EQ(space.prefer, Metric::EDP);
  // The GLB's explicit energies no longer hold once its size varies.
  EXPECT_EQ(space.rescaledLevels, std::vector<std::string>{"GLB"});

  for (uint64_t id = 0; id < space.size(); ++id)
    EXPECT_EQ(space.getId(space.getPoint(id)), id);
  // The first parameter varies slowest: id 13 = rows 16 (1*8), rs (1*4),
  // GLB 64 KiB (1).
  Point point = space.getPoint(13);
  EXPECT_EQ(point, (Point{1, 1, 1, 0}));
  auto target = space.instantiate(point, "d13");
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->name, "d13");
  EXPECT_EQ(target->array.rows, 16);
  EXPECT_EQ(target->array.cols, 14); // the base's
  EXPECT_EQ(target->array.dataflow, hw::Dataflow::RowStationary);
  EXPECT_EQ(target->levels[1].capacityBytes, 65536);
  EXPECT_EQ(target->clockMHz, 250);
  EXPECT_FALSE(target->levels[1].readEnergyPJ.has_value());
  EXPECT_TRUE(target->levels[2].readEnergyPJ.has_value());
}

// Tests that the output stage's width is a parameter: Eyeriss's 14 lanes
// become 28, and the area grows by 14 lanes of a 16-bit multiplier and adder
// (282 * 256 / 64 + 36 * 2 = 1200 um^2 each).
TEST(DesignSpaceTest, PostProcessingLanes) {
  DesignSpace space = parse(R"(
base: eyeriss
parameters:
  post_processing_lanes: [14, 28]
objectives: [area]
)");
  auto narrow = space.instantiate(space.getPoint(0), "narrow");
  auto wide = space.instantiate(space.getPoint(1), "wide");
  ASSERT_TRUE(narrow && wide);
  EXPECT_EQ(narrow->postProcessing.lanes, 14);
  EXPECT_EQ(wide->postProcessing.lanes, 28);
  EXPECT_NEAR(wide->getAreaMM2() - narrow->getAreaMM2(), 14 * 1200e-6, 1e-12);
  // A base without the unit gets the default one with the lanes asked for.
  DesignSpace serial = parse(R"(
base: bismo
parameters:
  post_processing_lanes: [16]
objectives: [area]
)");
  auto added = serial.instantiate(serial.getPoint(0), "added");
  ASSERT_TRUE(bool(added)) << llvm::toString(added.takeError());
  EXPECT_EQ(added->postProcessing.lanes, 16);
  EXPECT_TRUE(added->postProcessing.has(hw::VectorOp::Compare));
}

TEST(DesignSpaceTest, InvalidCombinationNamesThePoint) {
  // Supported widths above the MAC's width do not make a valid target.
  DesignSpace space = parse(R"(
base: eyeriss
parameters:
  bits: [8, 16]
  supported_bits: [[8], [16]]
objectives: [area]
)");
  EXPECT_EQ(space.prefer, Metric::Area);
  EXPECT_TRUE(bool(space.instantiate(space.getPoint(0), "ok")));
  auto bad = space.instantiate(space.getPoint(1), "bad");
  ASSERT_FALSE(bool(bad));
  EXPECT_EQ(llvm::toString(bad.takeError()),
            "the point (bits=8, supported_bits=16) is not a valid target: "
            "'array.supported_bits[0]' is 16; it must be between 1 and "
            "array.bits (8)");
}

Candidate make(uint64_t id, double latency, double energy, double violation = 0,
               std::string invalid = "") {
  Candidate c;
  c.id = id;
  c.metrics.values[unsigned(Metric::Latency)] = latency;
  c.metrics.values[unsigned(Metric::Energy)] = energy;
  c.metrics.violation = violation;
  c.metrics.invalid = std::move(invalid);
  return c;
}

TEST(ParetoTest, FrontOfHandPickedPoints) {
  const Metric objectives[] = {Metric::Latency, Metric::Energy};
  std::vector<Candidate> all = {
      make(0, 1, 5),             // front: fastest
      make(1, 2, 3),             // front
      make(2, 3, 4),             // dominated by 1
      make(3, 4, 1),             // front: least energy
      make(4, 2, 3),             // equal to 1: neither dominates, both stay
      make(5, 0.5, 0.5, 0.2),    // would dominate all, but over budget
      make(6, 0.1, 0.1, 0, "x"), // cannot run the workload
  };
  std::vector<unsigned> front = getParetoFront(all, objectives);
  EXPECT_EQ(front, (std::vector<unsigned>{0, 1, 4, 3}));

  // Constrained domination: feasible > over budget > invalid; smaller
  // violations first.
  EXPECT_TRUE(dominates(all[2].metrics, all[5].metrics, objectives));
  EXPECT_TRUE(dominates(all[5].metrics, all[6].metrics, objectives));
  EXPECT_TRUE(
      dominates(make(7, 9, 9, 0.1).metrics, all[5].metrics, objectives));
  EXPECT_FALSE(dominates(all[1].metrics, all[4].metrics, objectives));
  EXPECT_FALSE(dominates(all[6].metrics, all[6].metrics, objectives));
}

/// A 40 x 40 space scored without models: latency = x, energy = (1 - x)^2
/// + y, so the front is y = 0 for every x.
struct Synthetic {
  DesignSpace space;
  Synthetic() {
    space = parse(R"(
base: eyeriss
parameters:
  rows: {min: 1, max: 40, step: 1}
  cols: {min: 1, max: 40, step: 1}
objectives: [latency, energy]
)");
  }
  Metrics score(uint64_t id) const {
    Point p = space.getPoint(id);
    double x = p[0] / 39.0, y = p[1] / 39.0;
    return make(id, x, (1 - x) * (1 - x) + y).metrics;
  }
  /// Runs `kind`; `stopAfter` > 0 interrupts after that many batches and
  /// resumes (from the same archive and state, as a checkpoint would).
  Archive run(SearchKind kind, unsigned stopAfter = 0) {
    ExploreOptions options;
    options.kind = kind;
    options.evaluations = 400;
    options.population = 20;
    options.batch = 100;
    options.seed = 5;
    Archive archive;
    ExploreState state;
    unsigned batches = 0;
    auto evaluate = [&](llvm::ArrayRef<uint64_t> ids) {
      for (uint64_t id : ids)
        archive.add({id, score(id)});
    };
    auto afterBatch = [&] { return !stopAfter || ++batches % stopAfter; };
    Explorer explorer(space, options, evaluate, afterBatch);
    while (!explorer.run(archive, state)) {
    }
    return archive;
  }
};

std::vector<uint64_t> ids(const Archive &archive) {
  std::vector<uint64_t> out;
  for (const Candidate &c : archive.getCandidates())
    out.push_back(c.id);
  return out;
}

TEST(ExplorerTest, SearchesAreDeterministicResumableAndDistinct) {
  Synthetic s;
  for (SearchKind kind :
       {SearchKind::Exhaustive, SearchKind::Random, SearchKind::NSGA2}) {
    Archive whole = s.run(kind);
    EXPECT_EQ(whole.size(), kind == SearchKind::Exhaustive ? 1600u : 400u)
        << stringifySearchKind(kind).str();
    EXPECT_EQ(ids(whole), ids(s.run(kind))) << stringifySearchKind(kind).str();
    EXPECT_EQ(ids(whole), ids(s.run(kind, 3)))
        << stringifySearchKind(kind).str();
    std::vector<uint64_t> sorted = ids(whole);
    llvm::sort(sorted);
    EXPECT_EQ(std::unique(sorted.begin(), sorted.end()), sorted.end());
  }
}

TEST(ExplorerTest, NSGA2ConvergesOnTheFront) {
  // The true front: the 40 points with y = 0. NSGA-II with a quarter of
  // the evaluations finds most of them; random sampling far fewer.
  Synthetic s;
  const Metric objectives[] = {Metric::Latency, Metric::Energy};
  auto onTrueFront = [&](const Archive &archive) {
    unsigned n = 0;
    for (unsigned i : getParetoFront(archive.getCandidates(), objectives))
      n += s.space.getPoint(archive.getCandidates()[i].id)[1] == 0;
    return n;
  };
  EXPECT_EQ(onTrueFront(s.run(SearchKind::Exhaustive)), 40u);
  unsigned nsga = onTrueFront(s.run(SearchKind::NSGA2));
  unsigned random = onTrueFront(s.run(SearchKind::Random));
  EXPECT_GE(nsga, 30u);
  EXPECT_GT(nsga, random);
}

/// A stem, a depthwise and a pointwise convolution, and a classifier.
std::vector<NetworkLayer> getFourLayers() {
  std::vector<NetworkLayer> layers(4);
  layers[0] = {"stem", "conv2d", false, false, 432};
  layers[1] = {"dw", "conv2d", true, false, 288};
  layers[2] = {"pw", "conv2d", false, true, 1024};
  layers[3] = {"fc", "matmul", false, false, 640};
  return layers;
}

/// The four layers bound to a space of 2 x 2 hardware designs.
DesignSpace joint() {
  DesignSpace space = parse(R"(
base: eyeriss
parameters:
  rows: [8, 16]
  cols: [8, 16]
network:
  - layers: all
    weight_bits: [2, 4, 8]
    activation_bits: [4, 8]
  - layers: [first, last]
    weight_bits: [8]
    activation_bits: [4, 8]
  - layers: depthwise
    encodings: [multiply, pot]
    weight_bits: [8]
    activation_bits: [4, 8]
constraints:
  max_accuracy_loss: 0
objectives: [latency, accuracy_loss]
)");
  std::vector<NetworkLayer> layers = getFourLayers();
  EXPECT_FALSE(bool(space.bindNetwork(layers, "m")));
  return space;
}

TEST(DesignSpaceTest, NetworkGroupsBindToLayers) {
  DesignSpace space = joint();
  EXPECT_EQ(space.maxAccuracyLoss, 0.0);
  // first and last: W8 at A4 or A8; dw: W8 or PoT-5 at A4 or A8; pw: 3 x 2.
  ASSERT_EQ(space.numHardwareParameters, 2u);
  ASSERT_EQ(space.parameters.size(), 6u);
  std::vector<std::string> names, labels;
  for (const Parameter &p : space.parameters)
    names.push_back(p.name);
  EXPECT_EQ(names, (std::vector<std::string>{"rows", "cols", "network.stem",
                                             "network.dw", "network.pw",
                                             "network.fc"}));
  for (size_t i = 0; i < space.parameters[3].size(); ++i)
    labels.push_back(space.parameters[3].getLabel(i));
  EXPECT_EQ(labels, (std::vector<std::string>{"W8/A4", "PoT-5/A4", "W8/A8",
                                              "PoT-5/A8"}));
  EXPECT_EQ(space.parameters[4].size(), 6u);
  EXPECT_EQ(space.getHardwareSize(), 4u);
  EXPECT_EQ(space.size(), 4u * 2 * 4 * 6 * 2);
  // A point's policy and back, for every point; hardware digits first.
  for (uint64_t id = 0; id < space.size(); ++id) {
    Point point = space.getPoint(id);
    uint64_t hardware = point[0] * 2 + point[1];
    EXPECT_EQ(space.getPointId(hardware, space.getLayerBits(point)), id);
  }
  // A choice a layer does not offer is no point.
  std::vector<quant::LayerBits> bits(4, quant::LayerBits{8, 8});
  bits[0] = {4, 8};
  EXPECT_FALSE(space.getPointId(0, bits).has_value());
  // A hardware point instantiates whatever its network digits.
  auto target = space.instantiate(space.getPoint(space.size() - 1), "last");
  ASSERT_TRUE(bool(target)) << llvm::toString(target.takeError());
  EXPECT_EQ(target->array.rows, 16);
  // A group that selects nothing is an error naming it.
  std::vector<NetworkLayer> convs(1);
  convs[0] = {"c", "conv2d", false, false, 10};
  DesignSpace other = parse(R"(
base: eyeriss
parameters:
  rows: [8, 16]
network:
  - layers: attention
    weight_bits: [4, 8]
objectives: [latency, accuracy_loss]
)");
  llvm::Error err = other.bindNetwork(convs, "m");
  ASSERT_TRUE(bool(err));
  EXPECT_NE(llvm::toString(std::move(err))
                .find("network[0]: layers: 'attention' selects no compute "
                      "layer of model 'm'"),
            std::string::npos);
}

TEST(DesignSpaceTest, SharedGroupsAreOneParameter) {
  DesignSpace space = parse(R"(
base: eyeriss
parameters:
  rows: [8, 16]
network:
  - layers: all
    weight_bits: [4, 8]
    shared: true
  - layers: last
    weight_bits: [2, 8]
objectives: [latency, accuracy_loss]
)");
  std::vector<NetworkLayer> layers = getFourLayers();
  ASSERT_FALSE(bool(space.bindNetwork(layers, "m")));
  std::vector<std::string> names;
  for (const Parameter &p : space.parameters)
    names.push_back(p.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"rows", "network.all", "network.fc"}));
  EXPECT_EQ(space.size(), 2u * 2 * 2);
  for (uint64_t id = 0; id < space.size(); ++id) {
    Point point = space.getPoint(id);
    std::vector<quant::LayerBits> bits = space.getLayerBits(point);
    EXPECT_EQ(bits[0], bits[1]);
    EXPECT_EQ(bits[1], bits[2]);
    EXPECT_EQ(space.getPointId(point[0], bits), id);
  }
  // A name for the column; two groups of one name are an error.
  DesignSpace named = parse(R"(
base: eyeriss
parameters:
  rows: [8, 16]
network:
  - layers: [stem, dw]
    weight_bits: [4, 8]
    shared: true
    name: front
  - layers: [pw, fc]
    weight_bits: [4, 8]
    shared: true
    name: front
objectives: [latency, accuracy_loss]
)");
  llvm::Error twice = named.bindNetwork(layers, "m");
  ASSERT_TRUE(bool(twice));
  EXPECT_NE(
      llvm::toString(std::move(twice))
          .find(
              "space.yaml: network[1]: its parameter 'network.front' "
              "is another's as well: give a shared group a `name` of its own"),
      std::string::npos);
  named.networkGroups[1].name = "back";
  ASSERT_FALSE(bool(named.bindNetwork(layers, "m")));
  EXPECT_EQ(named.parameters[1].name, "network.front");
  EXPECT_EQ(named.parameters[2].name, "network.back");
  // Layers of one group at different widths are no point.
  std::vector<quant::LayerBits> bits(4, quant::LayerBits{8, 8});
  bits[1] = {4, 8};
  EXPECT_FALSE(space.getPointId(0, bits).has_value());
  auto bad = parseDesignSpace(R"(
base: eyeriss
parameters:
  rows: [8, 16]
network:
  - layers: all
    weight_bits: [4, 8]
    shared: yes please
objectives: [latency, accuracy_loss]
)",
                              "space.yaml");
  ASSERT_FALSE(bool(bad));
  std::string error = llvm::toString(bad.takeError());
  EXPECT_NE(error.find("network[0].shared: 'yes please' is not true or false"),
            std::string::npos)
      << error;
}

// Tests the nested and sequential searches' use of their proposer: nested
// evaluates exactly the proposals of each hardware design, sequential
// first searches the hardware with the network at W8A8, then evaluates the
// proposals of the design it prefers; both resume to the same archive.
TEST(ExplorerTest, NestedAndSequentialEvaluateTheProposals) {
  DesignSpace space = joint();
  auto score = [&](uint64_t id) {
    Point p = space.getPoint(id);
    Metrics m;
    // Larger arrays are faster; narrower weights faster and less accurate.
    double work = 0, loss = 0;
    for (const quant::LayerBits &b : space.getLayerBits(p)) {
      work += b.weightBits * b.activationBits;
      loss += 8 - b.weightBits;
    }
    m.set(Metric::Latency, work / ((p[0] + 1) * (p[1] + 1)));
    m.set(Metric::AccuracyLoss, loss);
    return m;
  };
  // Two policies per hardware design: all W8A8, and pw at W2A4.
  std::vector<uint64_t> proposedFor;
  Proposer propose = [&](uint64_t hardware) {
    proposedFor.push_back(hardware);
    std::vector<quant::LayerBits> bits(4, quant::LayerBits{8, 8});
    std::vector<uint64_t> ids = {*space.getPointId(hardware, bits)};
    bits[2] = {2, 4};
    ids.push_back(*space.getPointId(hardware, bits));
    return ids;
  };
  auto run = [&](SearchKind kind, unsigned stopAfter) {
    ExploreOptions options;
    options.kind = kind;
    options.evaluations = 8;
    options.population = 4;
    options.policiesPerDesign = 2;
    options.prefer = Metric::Latency;
    Archive archive;
    ExploreState state;
    unsigned batches = 0;
    Explorer explorer(
        space, options,
        [&](llvm::ArrayRef<uint64_t> ids) {
          for (uint64_t id : ids)
            archive.add({id, score(id)});
        },
        [&] { return !stopAfter || ++batches % stopAfter; }, propose);
    while (!explorer.run(archive, state)) {
    }
    return archive;
  };
  proposedFor.clear();
  Archive nested = run(SearchKind::Nested, 0);
  // 8 evaluations, 2 per design: every one of the 4 designs, in order.
  EXPECT_EQ(proposedFor, (std::vector<uint64_t>{0, 1, 2, 3}));
  ASSERT_EQ(nested.size(), 8u);
  for (const Candidate &c : nested.getCandidates()) {
    auto bits = space.getLayerBits(space.getPoint(c.id));
    EXPECT_TRUE(bits[2] == (quant::LayerBits{8, 8}) ||
                bits[2] == (quant::LayerBits{2, 4}));
  }
  Archive sequential = run(SearchKind::Sequential, 0);
  // Phase 1: the 4 designs at W8A8 (6 allowed, 4 exist); phase 2: the W2A4
  // policy on the fastest design (rows 16, cols 16: hardware 3).
  ASSERT_EQ(sequential.size(), 5u);
  for (unsigned i = 0; i < 4; ++i)
    for (const quant::LayerBits &b :
         space.getLayerBits(space.getPoint(sequential.getCandidates()[i].id)))
      EXPECT_EQ(b, (quant::LayerBits{8, 8}));
  Point last = space.getPoint(sequential.getCandidates()[4].id);
  EXPECT_EQ(last[0] * 2 + last[1], 3u);
  EXPECT_EQ(space.getLayerBits(last)[2], (quant::LayerBits{2, 4}));
  EXPECT_EQ(ids(run(SearchKind::Nested, 1)), ids(nested));
  EXPECT_EQ(ids(run(SearchKind::Sequential, 1)), ids(sequential));
}

} // namespace
