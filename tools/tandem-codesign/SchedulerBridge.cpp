//===- SchedulerBridge.cpp - tandem-codesign's link to Dask ---------------===//
//
// Part of Tandem: designs a neural network and its accelerator together.
//
//===----------------------------------------------------------------------===//

#include "SchedulerBridge.h"

#include "llvm/Support/Process.h"

#include <csignal>
#include <cstring>
#include <sys/wait.h>
#include <unistd.h>

using namespace llvm;
using namespace tandem;
using namespace tandem::codesign;

static Error bridgeError(const Twine &message) {
  return createStringError(inconvertibleErrorCode(), "--scheduler: " + message);
}

Expected<std::unique_ptr<SchedulerBridge>>
SchedulerBridge::start(json::Object request) {
  // A bridge that dies must give an error here, not kill the tool.
  signal(SIGPIPE, SIG_IGN);
  int down[2], up[2];
  if (pipe(down) != 0 || pipe(up) != 0)
    return bridgeError(Twine("cannot create pipes: ") + strerror(errno));
  // The child's environment, prepared here: after fork() only
  // async-signal-safe calls are allowed.
  std::string pythonPath = std::string("PYTHONPATH=") + TANDEM_PYTHON_DIR;
  if (auto existing = sys::Process::GetEnv("PYTHONPATH"))
    pythonPath += ":" + *existing;
  std::vector<std::string> environment = {pythonPath};
  for (char **e = environ; *e; ++e)
    if (!StringRef(*e).starts_with("PYTHONPATH="))
      environment.push_back(*e);
  std::vector<char *> envp;
  for (std::string &e : environment)
    envp.push_back(e.data());
  envp.push_back(nullptr);
  const char *argv[] = {TANDEM_PYTHON, "-m", "tandem.bridge", nullptr};
  pid_t pid = fork();
  if (pid < 0)
    return bridgeError(Twine("cannot start the bridge: ") + strerror(errno));
  if (pid == 0) {
    // The child: Ctrl-C is the tool's to handle (it finishes the batch).
    signal(SIGINT, SIG_IGN);
    dup2(down[0], STDIN_FILENO);
    dup2(up[1], STDOUT_FILENO);
    close(down[0]);
    close(down[1]);
    close(up[0]);
    close(up[1]);
    execve(TANDEM_PYTHON, const_cast<char **>(argv), envp.data());
    const char message[] = "tandem-codesign: error: --scheduler: cannot run "
                           "the Python interpreter " TANDEM_PYTHON "\n";
    (void)!write(STDERR_FILENO, message, sizeof(message) - 1);
    _exit(127);
  }
  close(down[0]);
  close(up[1]);
  std::unique_ptr<SchedulerBridge> bridge(new SchedulerBridge());
  bridge->pid = pid;
  bridge->toBridge = fdopen(down[1], "w");
  bridge->fromBridge = fdopen(up[0], "r");
  std::string line;
  raw_string_ostream os(line);
  os << json::Value(std::move(request)) << "\n";
  fputs(line.c_str(), bridge->toBridge);
  fflush(bridge->toBridge);
  auto reply = bridge->readReply();
  if (!reply)
    return reply.takeError();
  if (auto n = reply->getAsObject()->getInteger("workers"))
    bridge->workers = unsigned(*n);
  if (auto n = reply->getAsObject()->getInteger("batch"))
    bridge->batch = unsigned(std::max<int64_t>(1, *n));
  if (bridge->workers == 0)
    return bridgeError("the Dask cluster has no workers");
  return bridge;
}

SchedulerBridge::~SchedulerBridge() {
  if (toBridge) {
    fputs("\n", toBridge);
    fclose(toBridge);
  }
  if (fromBridge)
    fclose(fromBridge);
  if (pid > 0) {
    int status = 0;
    waitpid(pid, &status, 0);
  }
}

Expected<json::Value> SchedulerBridge::readReply() {
  char *buffer = nullptr;
  size_t capacity = 0;
  ssize_t length = getline(&buffer, &capacity, fromBridge);
  std::string line = length > 0 ? std::string(buffer, length) : std::string();
  free(buffer);
  if (length <= 0)
    return bridgeError("the bridge (python3 -m tandem.bridge) ended without "
                       "a reply; is the Python package built (build/python)?");
  auto value = json::parse(line);
  if (!value || !value->getAsObject())
    return bridgeError("the bridge replied '" + StringRef(line).trim() + "'");
  if (auto message = value->getAsObject()->getString("error"))
    return bridgeError(*message);
  return std::move(*value);
}

Expected<std::vector<Metrics>>
SchedulerBridge::evaluate(ArrayRef<uint64_t> ids) {
  json::Array list;
  for (uint64_t id : ids)
    list.push_back(int64_t(id));
  std::string line;
  raw_string_ostream os(line);
  os << json::Value(json::Object{{"ids", std::move(list)}}) << "\n";
  if (fputs(line.c_str(), toBridge) < 0 || fflush(toBridge) != 0)
    return bridgeError("the bridge is gone");
  auto reply = readReply();
  if (!reply)
    return reply.takeError();
  const json::Object &o = *reply->getAsObject();
  const json::Array *invalid = o.getArray("invalid");
  size_t n = ids.size();
  if (o.getInteger("n") != int64_t(n) || !invalid || invalid->size() != n)
    return bridgeError("the bridge's reply does not match the batch");
  std::vector<double> values(n * kNumMetrics), violation(n);
  std::vector<int64_t> hostOps(n);
  if (fread(values.data(), sizeof(double), values.size(), fromBridge) !=
          values.size() ||
      fread(violation.data(), sizeof(double), n, fromBridge) != n ||
      fread(hostOps.data(), sizeof(int64_t), n, fromBridge) != n)
    return bridgeError("the bridge's reply is cut short");
  std::vector<Metrics> metrics(n);
  for (size_t i = 0; i < n; ++i) {
    std::copy_n(values.begin() + i * kNumMetrics, kNumMetrics,
                metrics[i].values.begin());
    metrics[i].violation = violation[i];
    metrics[i].hostOps = unsigned(hostOps[i]);
    metrics[i].invalid = (*invalid)[i].getAsString().value_or("").str();
  }
  return metrics;
}
