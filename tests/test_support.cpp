// Test-only axes and leftover checks.
#include "tests/test_support.hpp"

#include "harness/warm_up.hpp"

#include <dirent.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/ranks.hpp"
#include "harness/warm_up.hpp"
#include "harness/workloads/workload.hpp"
#include "transports/errors.hpp"
#include "transports/named_resources.hpp"
#include "transports/registry.hpp"

namespace ipcmeter::testing {
namespace {

std::string temp_dir;

// Message i of the exchange: a size from a schedule that crosses every boundary a transport
// might get wrong (1 byte, framing header sizes, pipe/packet/buffer sizes), capped at max.
std::size_t exchange_size(std::uint64_t i, std::size_t max) {
  static const std::size_t schedule[] = {1,     2,     3,     4,      5,      7,      8,
                                         9,     63,    64,    65,     4095,   4096,   4097,
                                         65531, 65532, 65535, 65536,  65537,  131072, 200000,
                                         262144, 1048575, 1048576};
  constexpr std::size_t n = sizeof schedule / sizeof schedule[0];
  std::size_t size = i % (n + 1) == n ? max : schedule[i % (n + 1)];
  return std::min(size, max);
}

std::byte exchange_byte(std::uint64_t i, std::size_t j) {
  return static_cast<std::byte>((i * 131 + j * 7 + (j >> 8)) & 0xff);
}

// How the exchange's leader waits for each echo.
enum class Waiting { receive, poll };

// Byte-exact round trips of arbitrary payloads, not the benchmark's message format. With
// Waiting::poll the leader never receives without polling first, and checks what poll says:
// nothing before a message was sent (the peer only ever answers), something once the echo
// is due, nothing again once it was taken.
class Exchange final : public Lead {
 public:
  Exchange(LeaderSide& side, Waiting waiting)
      : side_(side), waiting_(waiting), message_(side.spec.param("size")), echo_(message_.size()) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      std::size_t size = exchange_size(i, message_.size());
      for (std::size_t j = 0; j < size; ++j) message_[j] = exchange_byte(i, j);
      if (waiting_ == Waiting::poll && link.poll(std::chrono::nanoseconds::zero()))
        fail(i, "poll saw a message before any was sent");
      link.send(std::span(message_).first(size));
      std::span<const std::byte> got = waiting_ == Waiting::poll ? polled(link, i)
                                                                 : std::span(echo_).first(link.recv(echo_));
      if (got.size() != size)
        fail(i, "echo has " + std::to_string(got.size()) + " bytes, sent " + std::to_string(size));
      if (size > 0 && std::memcmp(got.data(), message_.data(), size) != 0) fail(i, "echo differs");
      if (waiting_ == Waiting::poll && link.poll(std::chrono::nanoseconds::zero()))
        fail(i, "poll saw a message after the only one was taken");
      ++side_.completed;
    }
  }

 private:
  // Even messages: the receive that returns at once, tried until the echo is there; odd
  // ones: a poll with a generous timeout, which must see it.
  std::span<const std::byte> polled(Endpoint& link, std::uint64_t i) {
    if (i % 2 == 0)
      for (;;)
        if (auto got = link.try_recv_view(echo_)) return *got;
    if (!link.poll(std::chrono::seconds(20))) fail(i, "poll timed out with the echo due");
    return link.recv_view(echo_);
  }

  [[noreturn]] static void fail(std::uint64_t i, const std::string& what) {
    throw IntegrityError("message " + std::to_string(i) + ": " + what);
  }

  LeaderSide& side_;
  Waiting waiting_;
  std::vector<std::byte> message_;
  std::vector<std::byte> echo_;
};

class Reflect final : public Follow {
 public:
  Reflect(PeerSide& side, Waiting waiting)
      : side_(side), waiting_(waiting), buffer_(side.run.param("size")) {}

  void run() override {
    Endpoint& link = side_.handle.endpoint();
    for (std::uint64_t i = 0; i < side_.count; ++i) {
      side_.tick();
      if (waiting_ == Waiting::poll)
        while (!link.poll(std::chrono::milliseconds(100))) {
        }
      std::size_t got = link.recv(buffer_);
      link.send(std::span(buffer_).first(got));
      ++side_.completed;
    }
  }

 private:
  PeerSide& side_;
  Waiting waiting_;
  std::vector<std::byte> buffer_;
};

Workload exchange_workload(const std::string& name, Waiting waiting) {
  Workload work;
  work.name = name;
  work.summary = "test: byte-exact echo of messages of many sizes";
  work.iteration = "round trip";
  work.segments = {size_segment()};
  work.segments[0].min = 1;
  work.alternating = true;
  work.lead = [waiting](LeaderSide& side) { return std::make_unique<Exchange>(side, waiting); };
  work.follow = [waiting](PeerSide& side) { return std::make_unique<Reflect>(side, waiting); };
  return work;
}

enum class Mischief { corrupt, drop, reorder };

// One side's sends misbehave at its message 5 of the timed section (after the run's warm-up
// messages: a pipe has no depth, so kWarmUpMessages of them); the other side is an honest pipe.
class MischievousEndpoint final : public Endpoint {
 public:
  MischievousEndpoint(std::unique_ptr<Endpoint> inner, Mischief mischief)
      : inner_(std::move(inner)), mischief_(mischief) {}
  void send(std::span<const std::byte> message) override {
    std::uint64_t index = sent_++;
    if (index != kVictim) {
      inner_->send(message);
      if (mischief_ == Mischief::reorder && index == kVictim + 1) inner_->send(held_);
      return;
    }
    held_.assign(message.begin(), message.end());
    switch (mischief_) {
      case Mischief::corrupt:
        held_.back() ^= std::byte{0x01};
        inner_->send(held_);
        return;
      case Mischief::drop: return;
      case Mischief::reorder: return;  // sent after the next one
    }
  }
  std::size_t recv(std::span<std::byte> buffer) override { return inner_->recv(buffer); }
  bool poll(std::chrono::nanoseconds timeout) override { return inner_->poll(timeout); }
  void close() override { inner_->close(); }

 private:
  static constexpr std::uint64_t kVictim = kWarmUpMessages + 5;
  std::unique_ptr<Endpoint> inner_;
  Mischief mischief_;
  std::uint64_t sent_ = 0;
  std::vector<std::byte> held_;
};

Transport mischievous_pipe(const std::string& name, Mischief mischief, Side culprit) {
  Transport pipe = find_transport("pipe");
  return {name, "test", "test: a pipe whose sender misbehaves at its message 5", true,
          pipe.create,
          [open = pipe.open, mischief, culprit](const std::string& address, Side side,
                                                Liveness other_side) {
            auto endpoint = open(address, side, std::move(other_side));
            if (side != culprit) return endpoint;
            return std::unique_ptr<Endpoint>(
                std::make_unique<MischievousEndpoint>(std::move(endpoint), mischief));
          }};
}

// A pipe whose every endpoint's first send takes kSlowFirstTouch longer: a medium whose first
// touch is slow (a cold connection, cold pages), for the warm-up's test.
class SlowStartEndpoint final : public Endpoint {
 public:
  explicit SlowStartEndpoint(std::unique_ptr<Endpoint> inner) : inner_(std::move(inner)) {}
  void send(std::span<const std::byte> message) override {
    if (!touched_) std::this_thread::sleep_for(kSlowFirstTouch);
    touched_ = true;
    inner_->send(message);
  }
  std::size_t recv(std::span<std::byte> buffer) override { return inner_->recv(buffer); }
  bool poll(std::chrono::nanoseconds timeout) override { return inner_->poll(timeout); }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<Endpoint> inner_;
  bool touched_ = false;
};

Transport slow_start_pipe() {
  Transport pipe = find_transport("pipe");
  return {"pipe-slow-start", "test", "test: a pipe whose endpoints' first send is slow", true,
          pipe.create,
          [open = pipe.open](const std::string& address, Side side, Liveness other_side) {
            return std::unique_ptr<Endpoint>(
                std::make_unique<SlowStartEndpoint>(open(address, side, std::move(other_side))));
          }};
}

}  // namespace

void register_test_axes() {
  Registry<Transport>::add_for_tests(slow_start_pipe());
  add_workload_for_tests(exchange_workload("exchange", Waiting::receive));
  add_workload_for_tests(exchange_workload("polled-exchange", Waiting::poll));
  // Side b is the peer: the stream producer and the pingpong responder.
  Registry<Transport>::add_for_tests(mischievous_pipe("pipe-corrupt", Mischief::corrupt, Side::b));
  Registry<Transport>::add_for_tests(mischievous_pipe("pipe-drop", Mischief::drop, Side::b));
  Registry<Transport>::add_for_tests(mischievous_pipe("pipe-reorder", Mischief::reorder, Side::b));
  // Side a is the leader: in pingpong the peer is then the first to see the damage.
  Registry<Transport>::add_for_tests(
      mischievous_pipe("pipe-corrupt-leader", Mischief::corrupt, Side::a));
}

RunSpec spec_of(const std::string& workload, const std::string& transport,
                const std::string& placement, std::map<std::string, std::uint64_t> params,
                std::uint64_t count) {
  RunSpec run;
  run.workload = workload;
  run.transport = transport;
  run.placement = placement;
  run.params = std::move(params);
  run.count = count;
  run.timeout = std::chrono::seconds(60);
  return run;
}

const std::string& test_temp_dir() { return temp_dir; }

bool opens_here(const Transport& transport) { return !transport.ranks_only || launched_ranks() > 0; }

void make_test_temp_dir() {
  std::string pattern = "/tmp/ipcmeter-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw SystemError("mkdtemp", pattern);
  temp_dir = pattern;
  // Registered like any run's directory, so an aborting test does not leave it behind.
  register_name(NameKind::directory, temp_dir);
  ::setenv("IPCMETER_TMPDIR", temp_dir.c_str(), 1);
}

void remove_test_temp_dir() {
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir);
}

std::string failure_of(const RunSpec& spec) {
  try {
    run(spec);
  } catch (const RunFailure& failure) {
    return failure.what();
  }
  return "(no failure)";
}

std::string usage_error_of(const RunSpec& spec) {
  try {
    spec.validate();
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(accepted)";
}

int open_fd_count() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd"))
    ++count;
  return count;
}

std::string leftover_files() {
  std::string names;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(temp_dir))
    names += entry.path().string() + " ";
  return names;
}

std::string leftover_shared_memory() {
  // Every shm name a link creates carries its creator's pid.
  std::string mine = "-" + std::to_string(::getpid()) + "-";
  std::string names;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    std::string name = entry.path().filename();
    if (name.rfind("ipcm-", 0) == 0 && name.find(mine) != std::string::npos) names += name + " ";
  }
  return names;
}

std::vector<std::string> shared_memory_names_of(const std::string& kind, pid_t creator) {
  std::string prefix = "ipcm-" + kind + "-" + std::to_string(creator) + "-";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator("/dev/shm")) {
    std::string name = entry.path().filename();
    if (name.rfind(prefix, 0) == 0) names.push_back(name);
  }
  return names;
}

pid_t fork_lock_taker(const std::function<bool()>& take) {
  pid_t pid = ::fork();
  if (pid < 0) throw SystemError("fork", "lock taker");
  if (pid > 0) return pid;
  for (int attempt = 0; attempt < 10000; ++attempt) {
    try {
      if (take()) ::_exit(0);
    } catch (const std::exception&) {
      // Not there yet (a name not made, a header not built): try again.
    }
    ::usleep(1000);
  }
  ::_exit(1);
}

bool has_children() {
  int status;
  pid_t pid = ::waitpid(-1, &status, WNOHANG);
  return !(pid < 0 && errno == ECHILD);
}

void NoLeftovers::SetUp() { fds_before_ = open_fd_count(); }

void NoLeftovers::TearDown() {
  EXPECT_FALSE(has_children()) << "a child process outlived the run";
  EXPECT_EQ(leftover_files(), "") << "files left in the private temp dir";
  EXPECT_EQ(leftover_shared_memory(), "") << "shared memory names left in /dev/shm";
  EXPECT_EQ(open_fd_count(), fds_before_) << "fds leaked";
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

Outcome run_program(const std::string& path, const std::vector<std::string>& args,
                    const std::string& temp_dir) {
  namespace fs = std::filesystem;
  fs::path out = fs::path(temp_dir) / "stdout.txt";
  fs::path err = fs::path(temp_dir) / "stderr.txt";
  pid_t pid = ::fork();
  if (pid == 0) {
    std::FILE* out_file = std::freopen(out.c_str(), "w", stdout);
    std::FILE* err_file = std::freopen(err.c_str(), "w", stderr);
    if (!out_file || !err_file) ::_exit(127);
    ::setenv("IPCMETER_TMPDIR", temp_dir.c_str(), 1);
    std::vector<char*> argv = {const_cast<char*>(path.c_str())};
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  Outcome outcome;
  if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  outcome.out = read_file(out);
  outcome.err = read_file(err);
  fs::remove(out);
  fs::remove(err);
  return outcome;
}

bool in_sanitizer_matrix(const std::string& placement, bool crosses_processes) {
  return !kSanitizerMatrix || !crosses_processes || placement == "fork";
}

bool in_sanitizer_matrix(WaitStrategy wait, std::size_t size) {
  if (!kSanitizerMatrix) return true;
  if (size != 64 && size != (std::size_t{1} << 20)) return false;
  return wait == WaitStrategy::block || (wait == WaitStrategy::spin && size == 64);
}

}  // namespace ipcmeter::testing
