// The election model of the documents' application: each state (and DC) goes to candidate A
// with its own probability and gives the winner all its electoral votes. One simulated
// election draws every state and sums A's votes: a win at a majority (270 of 538), a tie at
// exactly half, a loss below. Beside the Monte Carlo, the exact distribution of A's votes by
// dynamic programming over vote totals, the truth the simulations are checked against.
#pragma once

#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <vector>

namespace ipcmeter::election {

struct State {
  std::string code;  // "OH"
  std::string name;  // "Ohio"
  unsigned votes = 0;
};

struct Map {
  std::vector<State> states;
  unsigned total_votes = 0;
  unsigned majority() const { return total_votes / 2 + 1; }  // 270 of 538
  bool can_tie() const { return total_votes % 2 == 0; }
  // The index of a state by its code (case-insensitive); -1 if there is none.
  int find(const std::string& code) const;
};

// The shipped apportionment (2004 and 2008, 538 votes), compiled in from
// electoral_votes_2008.csv.
const Map& map_2008();
// The illustrative scenario the workloads start from (scenario_2008.csv), per state of
// map_2008() in its order.
const std::vector<double>& scenario_2008();

// Reads "code,name,votes" lines ('#' starts a comment). ElectionInputError naming the file
// and line for a malformed line, a duplicated state or a bad vote count; the total must be
// `expected_total` unless that is 0.
Map parse_map(const std::string& text, const std::string& origin, unsigned expected_total = 538);
Map load_map(const std::string& path, unsigned expected_total = 538);
// Reads "code,probability" lines for every state of the map: ElectionInputError for an
// unknown, duplicated or missing state, or a probability outside [0, 1].
std::vector<double> parse_probabilities(const std::string& text, const std::string& origin,
                                        const Map& map);
std::vector<double> load_probabilities(const std::string& path, const Map& map);

class ElectionInputError : public std::exception {
 public:
  explicit ElectionInputError(std::string message) : message_(std::move(message)) {}
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::string message_;
};

// How many simulated elections gave A each vote total (index 0 .. total_votes).
struct Tally {
  std::vector<std::uint64_t> counts;
  std::uint64_t sims = 0;

  Tally() = default;
  explicit Tally(unsigned total_votes) : counts(total_votes + 1, 0) {}
  void add(const Tally& other);  // exact: counts and sims summed
  bool operator==(const Tally&) const = default;
};

// What a projection tells the user, from a tally or from the exact distribution.
struct Projection {
  double win = 0;   // P(votes >= majority)
  double tie = 0;   // P(votes == total / 2)
  double loss = 0;  // the rest
  double expected_votes = 0;
  std::vector<double> distribution;  // P(votes == v)
};

Projection project(const Map& map, const Tally& tally);
// The exact distribution of A's votes: O(states x total votes).
Projection exact(const Map& map, std::span<const double> probabilities);

// What a kernel works from: the states whose outcome is uncertain, each as an integer
// threshold (a 32-bit draw below it means A carries the state), and the votes that are
// certain either way.
struct Plan {
  unsigned total_votes = 0;
  unsigned certain_votes = 0;  // of states A carries with probability 1
  std::vector<std::uint32_t> thresholds;
  std::vector<std::uint32_t> votes;
  std::vector<double> probabilities;  // of the uncertain states, for the textbook kernel
};

Plan make_plan(const Map& map, std::span<const double> probabilities);

}  // namespace ipcmeter::election
