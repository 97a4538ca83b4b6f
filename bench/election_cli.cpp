// ipcmeter-election: projects an election from a file of per-state probabilities, as the
// documents' application did, and prints the simulated answer beside the exact one.
#include <fmt/core.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/workloads/election/kernel.hpp"
#include "harness/workloads/election/model.hpp"

namespace {

using namespace ipcmeter::election;

constexpr const char* kUsage =
    "usage: ipcmeter-election [options] [PROBABILITIES]\n"
    "Projects candidate A's chance of winning from per-state probabilities.\n"
    "  PROBABILITIES    'code,probability' lines, one per state ('#' comments); default: the\n"
    "                   built-in illustrative 2008 scenario\n"
    "  --votes FILE     'code,name,votes' lines; default: the 2004/2008 apportionment (538)\n"
    "  --any-total      accept votes that do not sum to 538\n"
    "  --sims N         simulated elections (default 10M; K, M, G suffixes)\n"
    "  --seed N         generator seed (default 1): the same seed gives the same answer\n"
    "  --kernel K       textbook, scalar or simd (default simd)\n"
    "  --help           this text\n";

struct BadUsage {
  std::string message;
};

std::uint64_t parse_count(const std::string& text, const char* flag, std::uint64_t max) {
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string suffix = text.substr(digits);
  std::uint64_t scale = suffix.empty() ? 1 : suffix == "K" || suffix == "k" ? 1000
                        : suffix == "M" ? 1'000'000 : suffix == "G" ? 1'000'000'000 : 0;
  if (digits == 0 || digits > 12 || scale == 0)
    throw BadUsage{fmt::format("{} '{}' is not a count (digits, then K, M or G)", flag, text)};
  std::uint64_t value = std::stoull(text.substr(0, digits)) * scale;
  if (value > max) throw BadUsage{fmt::format("{} {} is above {}", flag, text, max)};
  return value;
}

struct Options {
  std::string probabilities;
  std::string votes;
  bool any_total = false;
  std::uint64_t sims = 10'000'000;
  std::uint64_t seed = 1;
  Kernel kernel = Kernel::simd;
};

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    auto next = [&]() -> std::string {
      if (has_value) return value;
      if (i + 1 >= argc) throw BadUsage{fmt::format("{} needs a value", arg)};
      return argv[++i];
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--votes") {
      options.votes = next();
    } else if (arg == "--any-total") {
      options.any_total = true;
    } else if (arg == "--sims") {
      options.sims = parse_count(next(), "--sims", 100'000'000'000ULL);
      if (options.sims == 0) throw BadUsage{"--sims must be at least 1"};
    } else if (arg == "--seed") {
      options.seed = parse_count(next(), "--seed", ~std::uint64_t{0} / 2);
    } else if (arg == "--kernel") {
      std::string name = next();
      try {
        options.kernel = parse_kernel(name);
      } catch (const std::invalid_argument& error) {
        throw BadUsage{error.what()};
      }
    } else if (arg.rfind("-", 0) == 0) {
      throw BadUsage{fmt::format("unknown option '{}' (see --help)", arg)};
    } else if (options.probabilities.empty()) {
      options.probabilities = arg;
    } else {
      throw BadUsage{fmt::format("one probabilities file only ('{}' is a second)", arg)};
    }
  }
  return options;
}

std::string percent(double p) { return fmt::format("{:.3f}%", 100.0 * p); }

void print_histogram(const Map& map, const Projection& simulated, const Projection& truth) {
  // Bins of 10 votes over the range that holds all but 0.01% of either distribution.
  const unsigned width = 10;
  std::size_t low = truth.distribution.size(), high = 0;
  for (std::size_t v = 0; v < truth.distribution.size(); ++v)
    if (truth.distribution[v] > 1e-5 || simulated.distribution[v] > 1e-5) {
      low = std::min(low, v);
      high = v;
    }
  if (low > high) return;
  low = low / width * width;
  std::vector<double> sim_bins, exact_bins;
  for (std::size_t start = low; start <= high; start += width) {
    double s = 0, e = 0;
    for (std::size_t v = start; v < start + width && v < truth.distribution.size(); ++v)
      s += simulated.distribution[v], e += truth.distribution[v];
    sim_bins.push_back(s);
    exact_bins.push_back(e);
  }
  double peak = *std::max_element(exact_bins.begin(), exact_bins.end());
  peak = std::max(peak, *std::max_element(sim_bins.begin(), sim_bins.end()));
  fmt::print("\nvotes for A: simulated (#, 50 = {:.1f}%) and exact [%], {} to win\n", 100 * peak,
             map.majority());
  bool straddled = false;
  for (std::size_t b = 0; b < sim_bins.size(); ++b) {
    std::size_t start = low + b * width;
    int bar = static_cast<int>(50.0 * sim_bins[b] / peak + 0.5);
    bool wins = start >= map.majority();
    bool straddles = !wins && start + width > map.majority();
    straddled = straddled || straddles;
    fmt::print("{:4}-{:<4} {} {:<50} {:6.2f}% [{:6.2f}%]\n", start, start + width - 1,
               wins        ? '>'
               : straddles ? '|'
                           : ' ',
               std::string(static_cast<std::size_t>(bar), '#'), 100 * sim_bins[b],
               100 * exact_bins[b]);
  }
  if (straddled)
    fmt::print("(> a range that wins; | the range holding {})\n", map.majority());
  else
    fmt::print("(> a range that wins)\n");
}

// A directory opens as a stream that reads nothing, which the loaders would take for a file
// with no lines ("state AL has no probability"): say what it is instead. Other files that are
// not regular (a pipe from a process substitution) are read as given.
void check_not_a_directory(const std::string& path, const char* what) {
  struct stat status {};
  if (!path.empty() && ::stat(path.c_str(), &status) == 0 && S_ISDIR(status.st_mode))
    throw BadUsage{fmt::format("{}: is a directory, not a {} file", path, what)};
}

int run(const Options& options) {
  check_not_a_directory(options.probabilities, "probabilities");
  check_not_a_directory(options.votes, "votes");
  Map map = options.votes.empty() ? map_2008()
                                  : load_map(options.votes, options.any_total ? 0 : 538);
  std::vector<double> probabilities;
  if (!options.probabilities.empty()) probabilities = load_probabilities(options.probabilities, map);
  else if (options.votes.empty()) probabilities = scenario_2008();
  else throw BadUsage{"with --votes, give a probabilities file for its states"};

  Plan plan = make_plan(map, probabilities);
  Tally tally(map.total_votes);
  std::uint64_t start = ipcmeter::now_ns();
  simulate(options.kernel, plan, options.sims, options.seed, tally);
  double seconds = static_cast<double>(ipcmeter::now_ns() - start) * 1e-9;
  Projection simulated = project(map, tally);
  Projection truth = exact(map, probabilities);

  fmt::print("{} states, {} electoral votes, {} to win; probabilities: {}\n", map.states.size(),
             map.total_votes, map.majority(),
             options.probabilities.empty() ? "built-in 2008 scenario" : options.probabilities);
  fmt::print("\n{:<16} {:>14} {:>14}\n", "", "simulated", "exact");
  fmt::print("{:<16} {:>14} {:>14}\n", "A wins", percent(simulated.win), percent(truth.win));
  if (map.can_tie())
    fmt::print("{:<16} {:>14} {:>14}\n", "tie", percent(simulated.tie), percent(truth.tie));
  fmt::print("{:<16} {:>14} {:>14}\n", "A loses", percent(simulated.loss), percent(truth.loss));
  fmt::print("{:<16} {:14.2f} {:14.2f}\n", "expected votes", simulated.expected_votes,
             truth.expected_votes);
  print_histogram(map, simulated, truth);
  fmt::print("\n{} simulations in {:.3f} s: {:.1f} million/s (kernel {}{}{}, seed {})\n",
             options.sims, seconds, static_cast<double>(options.sims) / seconds / 1e6,
             kernel_name(options.kernel), options.kernel == Kernel::simd ? ", " : "",
             options.kernel == Kernel::simd ? simd_isa() : "", options.seed);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const BadUsage& error) {
    fmt::print(stderr, "ipcmeter-election: {}\n", error.message);
  } catch (const ElectionInputError& error) {
    fmt::print(stderr, "ipcmeter-election: {}\n", error.what());
  } catch (const std::exception& error) {
    fmt::print(stderr, "ipcmeter-election: {}\n", error.what());
  }
  return 2;
}
