//===- CoDesign.cpp - tandem._tandem.codesign: spaces and sessions --------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//
//
// Design spaces and co-design sessions: the object tandem-codesign drives,
// with the same options (by their flag names, dashes as underscores), its
// batch evaluation as numpy arrays, and a hook that sends every batch to
// another evaluator (tandem.distributed on a Dask cluster).
//
//===----------------------------------------------------------------------===//

#include "Bindings.h"

#include "tandem/CoDesign/Session.h"
#include "tandem/Support/Limits.h"

#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FormatVariadic.h"

#include <pybind11/functional.h>
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

using namespace tandem;
using namespace tandem::codesign;
using namespace tandem::python;

namespace {

py::list getParameters(const DesignSpace &space) {
  py::list result;
  for (auto [i, p] : llvm::enumerate(space.parameters)) {
    py::dict d;
    d["name"] = p.name;
    d["network"] = i >= space.numHardwareParameters;
    py::list values;
    for (size_t v = 0; v < p.size(); ++v)
      values.append(p.getLabel(v));
    d["values"] = values;
    result.append(d);
  }
  return result;
}

void checkId(const DesignSpace &space, uint64_t id) {
  if (id >= space.size())
    raise("point " + std::to_string(id) + " is outside the space (" +
          std::to_string(space.size()) + " points)");
}

py::dict describePoint(const DesignSpace &space, uint64_t id) {
  checkId(space, id);
  py::dict d;
  Point point = space.getPoint(id);
  for (auto [p, v] : llvm::zip(space.parameters, point))
    d[py::str(p.name)] = p.getLabel(v);
  return d;
}

/// Point ids from ids (1-D) or value indices (2-D, one column per
/// parameter), each checked against the space.
std::vector<uint64_t> getIds(const DesignSpace &space, const py::object &obj) {
  auto array = py::array::ensure(obj, py::array::c_style);
  if (!array)
    raise("points must be an array of ids or of value indices");
  std::vector<uint64_t> ids;
  if (array.ndim() == 1) {
    // Unsigned ids as they are (a joint space may pass 2^63).
    if (array.dtype().is(py::dtype::of<uint64_t>())) {
      auto a = py::array_t<uint64_t>::ensure(array);
      for (py::ssize_t i = 0; i < a.shape(0); ++i) {
        checkId(space, a.data()[i]);
        ids.push_back(a.data()[i]);
      }
      return ids;
    }
    auto a =
        py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
            array);
    for (py::ssize_t i = 0; i < a.shape(0); ++i) {
      int64_t id = a.data()[i];
      if (id < 0)
        raise("point " + std::to_string(id) + " is outside the space");
      checkId(space, id);
      ids.push_back(id);
    }
    return ids;
  }
  if (array.ndim() != 2 || size_t(array.shape(1)) != space.parameters.size())
    raise("points given as value indices need one column per parameter (" +
          std::to_string(space.parameters.size()) + ")");
  auto a =
      py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
          array);
  for (py::ssize_t r = 0; r < a.shape(0); ++r) {
    Point point;
    for (auto [c, p] : llvm::enumerate(space.parameters)) {
      int64_t v = a.data()[r * a.shape(1) + c];
      if (v < 0 || size_t(v) >= p.size())
        raise("point " + std::to_string(r) + ": value index " +
              std::to_string(v) + " of parameter '" + p.name +
              "' is out of range (it has " + std::to_string(p.size()) +
              " values)");
      point.push_back(unsigned(v));
    }
    ids.push_back(space.getId(point));
  }
  return ids;
}

/// (values [n, metrics], violation [n], host_ops [n], invalid [n]).
py::tuple toArrays(llvm::ArrayRef<Metrics> metrics) {
  py::array_t<double> values(
      {py::ssize_t(metrics.size()), py::ssize_t(kNumMetrics)});
  py::array_t<double> violation(metrics.size());
  py::array_t<int64_t> hostOps(metrics.size());
  py::list invalid;
  auto v = values.mutable_unchecked<2>();
  for (auto [i, m] : llvm::enumerate(metrics)) {
    for (unsigned k = 0; k < kNumMetrics; ++k)
      v(i, k) = m.values[k];
    violation.mutable_data()[i] = m.violation;
    hostOps.mutable_data()[i] = m.hostOps;
    invalid.append(m.invalid);
  }
  return py::make_tuple(values, violation, hostOps, invalid);
}

std::vector<Metrics> fromArrays(const py::tuple &t, size_t n) {
  if (t.size() != 4)
    raise("an evaluation returns (values, violation, host_ops, invalid)");
  auto values =
      py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
          t[0]);
  auto violation =
      py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(
          t[1]);
  auto hostOps =
      py::array_t<int64_t, py::array::c_style | py::array::forcecast>::ensure(
          t[2]);
  auto invalid = t[3].cast<std::vector<std::string>>();
  if (!values || values.ndim() != 2 || size_t(values.shape(0)) != n ||
      values.shape(1) != kNumMetrics || !violation ||
      size_t(violation.size()) != n || !hostOps ||
      size_t(hostOps.size()) != n || invalid.size() != n)
    raise("an evaluation of " + std::to_string(n) +
          " points returned arrays of other shapes");
  std::vector<Metrics> result(n);
  for (size_t i = 0; i < n; ++i) {
    for (unsigned k = 0; k < kNumMetrics; ++k)
      result[i].values[k] = values.data()[i * kNumMetrics + k];
    result[i].violation = violation.data()[i];
    result[i].hostOps = unsigned(hostOps.data()[i]);
    result[i].invalid = std::move(invalid[i]);
  }
  return result;
}

template <typename T>
T parseChoice(const py::handle &value, llvm::StringRef option,
              std::optional<T> (*parse)(llvm::StringRef)) {
  std::string text = py::str(value);
  if (auto parsed = parse(text))
    return *parsed;
  raise("option '" + option.str() + "': invalid value '" + text + "'");
}

std::optional<bool> parseDepthwiseInputs(llvm::StringRef text) {
  if (text == "per-tensor" || text == "per-channel")
    return text == "per-channel";
  return std::nullopt;
}
std::optional<quant::Clipping> parseClippingName(llvm::StringRef text) {
  return quant::parseClipping(text);
}
std::optional<Metric> parseMetricName(llvm::StringRef text) {
  return parseMetric(text);
}
std::optional<mapping::Strategy> parseStrategyName(llvm::StringRef text) {
  return mapping::parseStrategy(text);
}
std::optional<SearchKind> parseSearchName(llvm::StringRef text) {
  return parseSearchKind(text);
}

/// SessionOptions from tandem-codesign's flags as keyword arguments
/// (`--mapper-objective` is `mapper_objective`).
SessionOptions getSessionOptions(const py::dict &kwargs) {
  SessionOptions o;
  for (auto item : kwargs) {
    std::string key = py::str(item.first);
    py::handle v = item.second;
    if (v.is_none())
      continue;
    // Joint-space options, an error on a space without a network section.
    static const std::string kNetworkKeys[] = {
        "labels",          "calibration_samples", "validation_samples",
        "bias_correction", "depthwise_inputs",    "activation_clipping",
        "percentile",      "weight_rounding",     "max_measured_designs"};
    if (llvm::is_contained(kNetworkKeys, key))
      o.networkFlags.push_back(key);
    if (key == "models")
      o.modelPaths = v.cast<std::vector<std::string>>();
    else if (key == "space")
      o.spacePath = py::str(v);
    else if (key == "out")
      o.outDir = py::str(v);
    else if (key == "weights")
      o.weights = v.cast<std::vector<double>>();
    else if (key == "input_shapes")
      o.inputShapes = v.cast<std::vector<std::string>>();
    else if (key == "allow_unsupported")
      o.allowUnsupported = v.cast<bool>();
    else if (key == "search") {
      if (std::string(py::str(v)) != "auto")
        o.search = parseChoice<SearchKind>(v, key, parseSearchName);
    } else if (key == "exhaustive_limit")
      o.exhaustiveLimit = v.cast<uint64_t>();
    else if (key == "evaluations")
      o.evaluations = v.cast<uint64_t>();
    else if (key == "policies_per_design")
      o.policiesPerDesign = v.cast<unsigned>();
    else if (key == "population")
      o.population = v.cast<unsigned>();
    else if (key == "batch")
      o.batch = v.cast<unsigned>();
    else if (key == "seed")
      o.seed = v.cast<uint64_t>();
    else if (key == "jobs")
      o.jobs = v.cast<unsigned>();
    else if (key == "resume")
      o.resume = v.cast<bool>();
    else if (key == "stop_after_evaluations")
      o.stopAfter = v.cast<uint64_t>();
    else if (key == "mapper")
      o.mapper = parseChoice<mapping::Strategy>(v, key, parseStrategyName);
    else if (key == "mapper_objective")
      o.mapperObjective = parseChoice<Metric>(v, key, parseMetricName);
    else if (key == "float_bits")
      o.costOptions.floatBits = v.cast<int64_t>();
    else if (key == "fuse")
      o.costOptions.fuse = v.cast<bool>();
    else if (key == "prefer")
      o.prefer = parseChoice<Metric>(v, key, parseMetricName);
    else if (key == "plot_x")
      o.plotX = parseChoice<Metric>(v, key, parseMetricName);
    else if (key == "plot_y")
      o.plotY = parseChoice<Metric>(v, key, parseMetricName);
    else if (key == "dataset")
      o.network.dataPath = py::str(v);
    else if (key == "labels")
      o.network.labelsPath = py::str(v);
    else if (key == "calibration_samples")
      o.network.calibrationSamples = v.cast<int64_t>();
    else if (key == "validation_samples")
      o.network.validationSamples = v.cast<int64_t>();
    else if (key == "bias_correction")
      o.network.base.biasCorrection = v.cast<bool>();
    else if (key == "depthwise_inputs")
      o.network.base.depthwiseInputsPerChannel =
          parseChoice<bool>(v, key, parseDepthwiseInputs);
    else if (key == "activation_clipping")
      o.network.base.activationClipping =
          parseChoice<quant::Clipping>(v, key, parseClippingName);
    else if (key == "percentile")
      o.network.base.percentile = v.cast<double>();
    else if (key == "max_measured_designs")
      o.network.maxMeasuredDesigns = v.cast<uint64_t>();
    else if (key == "weight_rounding")
      o.network.base.weightRounding = parseChoice<quant::WeightRounding>(
          v, key, quant::parseWeightRounding);
    else
      raise("unknown co-design option '" + key +
            "' (the options are tandem-codesign's flags, dashes as "
            "underscores)");
  }
  return o;
}

/// A session and what it needs alive: the Python callables it calls, which
/// are released with the GIL held.
struct PySession {
  std::unique_ptr<Session> session;
  std::shared_ptr<py::object> remote, progress;
  std::atomic<bool> interrupted{false};
  std::string interruptMessage;

  ~PySession() {
    session.reset();
    py::gil_scoped_acquire gil;
    remote.reset();
    progress.reset();
  }
};

std::shared_ptr<py::object> holdObject(py::object obj) {
  return std::shared_ptr<py::object>(new py::object(std::move(obj)),
                                     [](py::object *o) {
                                       py::gil_scoped_acquire gil;
                                       delete o;
                                     });
}

std::unique_ptr<PySession> createSession(py::dict kwargs, py::object remote,
                                         py::object progress) {
  SessionOptions options = getSessionOptions(kwargs);
  auto result = std::make_unique<PySession>();
  PySession *self = result.get();
  options.interrupted = &self->interrupted;
  if (!remote.is_none()) {
    self->remote = holdObject(remote);
    std::weak_ptr<py::object> fn = self->remote;
    options.remoteEvaluate = [fn](llvm::ArrayRef<uint64_t> ids)
        -> llvm::Expected<std::vector<Metrics>> {
      py::gil_scoped_acquire gil;
      auto callable = fn.lock();
      try {
        py::array_t<uint64_t> array(ids.size(), ids.data());
        py::tuple t = (*callable)(array).cast<py::tuple>();
        return fromArrays(t, ids.size());
      } catch (py::error_already_set &e) {
        if (e.matches(PyExc_KeyboardInterrupt))
          return llvm::createStringError(
              llvm::inconvertibleErrorCode(),
              "interrupted during a batch on the cluster; continue from the "
              "last checkpoint with resume=True");
        // The message, without pybind11's Python stack ("\n\nAt:\n...").
        llvm::StringRef text(e.what());
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       text.split("\n\nAt:\n").first);
      } catch (std::exception &e) {
        return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                       e.what());
      }
    };
  }
  if (!progress.is_none())
    self->progress = holdObject(progress);
  // Ctrl-C in Python reaches the search between batches: the progress
  // callback checks for signals with the GIL held.
  options.onProgress = [self](uint64_t done, uint64_t total, size_t feasible) {
    py::gil_scoped_acquire gil;
    if (PyErr_CheckSignals() != 0) {
      PyErr_Clear();
      self->interrupted = true;
      return;
    }
    if (self->progress) {
      try {
        (*self->progress)(done, total, feasible);
      } catch (py::error_already_set &e) {
        self->interrupted = true;
        self->interruptMessage = e.what();
      }
    }
  };
  DiagnosticCapture diagnostics;
  llvm::Expected<std::unique_ptr<Session>> created = nullptr;
  {
    py::gil_scoped_release release;
    created = Session::create(std::move(options), getContext());
  }
  self->session = unwrap(std::move(created), &diagnostics);
  return result;
}

} // namespace

void tandem::python::bindCoDesign(py::module_ &m) {
  py::module_ c = m.def_submodule(
      "codesign", "Design spaces and co-design sessions (docs/codesign.md)");

  c.def("metric_names", []() {
    std::vector<std::string> names;
    for (unsigned k = 0; k < kNumMetrics; ++k)
      names.push_back(getMetricKey(Metric(k)).str());
    return names;
  });

  py::class_<DesignSpace, std::shared_ptr<DesignSpace>>(
      c, "Space", "A design space (YAML format in docs/codesign.md).")
      .def_static(
          "load",
          [](const std::string &path) {
            return std::make_shared<DesignSpace>(unwrap(loadDesignSpace(path)));
          },
          py::arg("path"))
      .def_static(
          "from_yaml",
          [](const std::string &text, const std::string &name) {
            return std::make_shared<DesignSpace>(
                unwrap(parseDesignSpace(text, name)));
          },
          py::arg("text"), py::arg("name") = "<yaml>",
          "A space from YAML text; `name` appears in errors and a relative "
          "`base` path is relative to it.")
      .def_readonly("file", &DesignSpace::file)
      .def_property_readonly("size", &DesignSpace::size,
                             "Number of points (network parameters count "
                             "once the space is bound to a model, as a "
                             "Session's is).")
      .def_property_readonly("hardware_size", &DesignSpace::getHardwareSize)
      .def_property_readonly("has_network", &DesignSpace::hasNetwork)
      .def_property_readonly("parameters", &getParameters,
                             "name, values (as labels) and whether it is a "
                             "network parameter, in point order.")
      .def_property_readonly("objectives",
                             [](const DesignSpace &s) {
                               std::vector<std::string> names;
                               for (Metric o : s.objectives)
                                 names.push_back(stringifyMetric(o).str());
                               return names;
                             })
      .def("point", &describePoint, py::arg("id"),
           "The parameters' values (labels) of point `id`.")
      .def(
          "ids",
          [](const DesignSpace &s, const py::object &points) {
            auto ids = getIds(s, points);
            return py::array_t<uint64_t>(ids.size(), ids.data());
          },
          py::arg("points"),
          "Point ids of a 2-D array of value indices (one column per "
          "parameter).")
      .def(
          "target",
          [](const DesignSpace &s, uint64_t id) {
            checkId(s, id);
            return unwrap(
                s.instantiate(s.getPoint(id), "design-" + std::to_string(id)));
          },
          py::arg("id"), "The target of point `id`.")
      .def(py::pickle(
          [](const DesignSpace &s) { return py::make_tuple(s.text, s.file); },
          [](py::tuple state) {
            return std::make_shared<DesignSpace>(unwrap(parseDesignSpace(
                state[0].cast<std::string>(), state[1].cast<std::string>())));
          }));

  py::class_<PySession>(c, "Session", R"(One co-design run (tandem-codesign as
an object). Use tandem.codesign.explore() or tandem.codesign.Evaluator
rather than this class.)")
      .def(py::init(
               [](py::dict options, py::object remote, py::object progress) {
                 return createSession(options, remote, progress);
               }),
           py::arg("options"), py::arg("remote") = py::none(),
           py::arg("progress") = py::none())
      .def(
          "explore",
          [](PySession &s) {
            llvm::Expected<bool> finished = false;
            {
              py::gil_scoped_release release;
              finished = s.session->explore();
            }
            bool done = unwrap(std::move(finished));
            if (!s.interruptMessage.empty())
              raise("the progress callback failed: " + s.interruptMessage);
            if (s.interrupted) {
              PyErr_SetNone(PyExc_KeyboardInterrupt);
              throw py::error_already_set();
            }
            return done;
          },
          "Runs (or continues) the search; False when stopped by "
          "stop_after_evaluations.")
      .def("write_outputs",
           [](PySession &s) {
             DiagnosticCapture diagnostics;
             llvm::Error err = llvm::Error::success();
             {
               py::gil_scoped_release release;
               err = s.session->writeOutputs();
             }
             check(std::move(err), &diagnostics);
           })
      .def(
          "evaluate",
          [](PySession &s, const py::object &points) {
            std::vector<uint64_t> ids = getIds(s.session->getSpace(), points);
            std::vector<Metrics> metrics;
            {
              py::gil_scoped_release release;
              metrics = s.session->evaluatePoints(ids);
            }
            return toArrays(metrics);
          },
          py::arg("points"),
          "Scores points (ids, or value indices one column per parameter) "
          "without adding them to the run: (values [n, metrics], violation "
          "[n], host_ops [n], invalid reasons [n]).")
      .def_property_readonly("space",
                             [](PySession &s) {
                               return std::make_shared<DesignSpace>(
                                   s.session->getSpace());
                             })
      .def_property_readonly(
          "search",
          [](PySession &s) {
            return stringifySearchKind(s.session->getSearchKind()).str();
          })
      .def_property_readonly(
          "budget", [](PySession &s) { return s.session->getBudget(); })
      .def_property_readonly(
          "new_evaluations",
          [](PySession &s) { return s.session->getNewEvaluations(); })
      .def_property_readonly("notes",
                             [](PySession &s) {
                               auto notes = s.session->getNotes();
                               return std::vector<std::string>(notes.begin(),
                                                               notes.end());
                             })
      .def_property_readonly(
          "archive",
          [](PySession &s) {
            const Archive &a = s.session->getArchive();
            std::vector<Metrics> metrics;
            py::array_t<uint64_t> ids(a.size());
            for (auto [i, c] : llvm::enumerate(a.getCandidates())) {
              ids.mutable_data()[i] = c.id;
              metrics.push_back(c.metrics);
            }
            return py::make_tuple(ids, toArrays(metrics));
          },
          "(ids, (values, violation, host_ops, invalid)) of every "
          "evaluated point, in evaluation order.")
      .def_property_readonly("checkpoint_path", [](PySession &s) {
        return s.session->getCheckpointPath();
      });
}
