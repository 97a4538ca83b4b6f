#include "harness/workloads/election/model.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <sstream>

#include "election_data.hpp"  // generated from the two CSV files beside this one

namespace ipcmeter::election {
namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// The data lines of a CSV text: (line number, fields), comments and blank lines skipped.
std::vector<std::pair<int, std::vector<std::string>>> rows(const std::string& text) {
  std::vector<std::pair<int, std::vector<std::string>>> out;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (trim(line).empty()) continue;
    std::vector<std::string> fields;
    std::istringstream parts(line);
    for (std::string field; std::getline(parts, field, ',');) fields.push_back(trim(field));
    out.emplace_back(number, std::move(fields));
  }
  return out;
}

[[noreturn]] void fail(const std::string& origin, int line, const std::string& what) {
  throw ElectionInputError(fmt::format("{}:{}: {}", origin, line, what));
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ElectionInputError(fmt::format("{}: cannot be read", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ElectionInputError(fmt::format("{}: cannot be read", path));
  return text.str();
}

}  // namespace

int Map::find(const std::string& code) const {
  std::string wanted = upper(code);
  for (std::size_t i = 0; i < states.size(); ++i)
    if (states[i].code == wanted) return static_cast<int>(i);
  return -1;
}

Map parse_map(const std::string& text, const std::string& origin, unsigned expected_total) {
  Map map;
  int last_line = 0;
  for (const auto& [line, fields] : rows(text)) {
    last_line = line;
    if (fields.size() != 3) fail(origin, line, "expected 'code,name,votes'");
    State state{upper(fields[0]), fields[1], 0};
    if (state.code.empty()) fail(origin, line, "empty state code");
    if (map.find(state.code) >= 0)
      fail(origin, line, fmt::format("state {} is listed twice", state.code));
    const std::string& votes = fields[2];
    if (votes.empty() || votes.size() > 4 ||
        !std::all_of(votes.begin(), votes.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        std::stoul(votes) == 0)
      fail(origin, line,
           fmt::format("votes '{}' for {} are not a whole number from 1 to 9999", votes,
                       state.code));
    state.votes = static_cast<unsigned>(std::stoul(votes));
    map.total_votes += state.votes;
    map.states.push_back(std::move(state));
  }
  if (map.states.empty()) throw ElectionInputError(fmt::format("{}: no states", origin));
  if (expected_total != 0 && map.total_votes != expected_total)
    fail(origin, last_line,
         fmt::format("the votes sum to {}, not {} (allow another total explicitly)",
                     map.total_votes, expected_total));
  if (map.total_votes > 100000)
    throw ElectionInputError(fmt::format("{}: more than 100000 votes in all", origin));
  return map;
}

Map load_map(const std::string& path, unsigned expected_total) {
  return parse_map(read_file(path), path, expected_total);
}

std::vector<double> parse_probabilities(const std::string& text, const std::string& origin,
                                        const Map& map) {
  std::vector<double> probabilities(map.states.size(), 0.0);
  std::vector<int> seen_at(map.states.size(), 0);
  for (const auto& [line, fields] : rows(text)) {
    if (fields.size() != 2) fail(origin, line, "expected 'code,probability'");
    int index = map.find(fields[0]);
    if (index < 0) fail(origin, line, fmt::format("unknown state '{}'", fields[0]));
    auto i = static_cast<std::size_t>(index);
    if (seen_at[i] != 0)
      fail(origin, line,
           fmt::format("state {} is listed twice (first on line {})", map.states[i].code,
                       seen_at[i]));
    seen_at[i] = line;
    const std::string& value = fields[1];
    std::size_t used = 0;
    double p = -1;
    try {
      p = std::stod(value, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != value.size() || value.empty() || !(p >= 0.0 && p <= 1.0))
      fail(origin, line,
           fmt::format("probability '{}' for {} is not in [0, 1]", value, map.states[i].code));
    probabilities[i] = p;
  }
  for (std::size_t i = 0; i < map.states.size(); ++i)
    if (seen_at[i] == 0)
      throw ElectionInputError(fmt::format("{}: state {} ({}) has no probability", origin,
                                           map.states[i].code, map.states[i].name));
  return probabilities;
}

std::vector<double> load_probabilities(const std::string& path, const Map& map) {
  return parse_probabilities(read_file(path), path, map);
}

const Map& map_2008() {
  static const Map map = parse_map(kElectoralVotes2008, "electoral_votes_2008.csv");
  return map;
}

const std::vector<double>& scenario_2008() {
  static const std::vector<double> scenario =
      parse_probabilities(kScenario2008, "scenario_2008.csv", map_2008());
  return scenario;
}

void Tally::add(const Tally& other) {
  if (counts.size() < other.counts.size()) counts.resize(other.counts.size(), 0);
  for (std::size_t v = 0; v < other.counts.size(); ++v) counts[v] += other.counts[v];
  sims += other.sims;
}

namespace {

Projection summarize(const Map& map, std::vector<double> distribution) {
  Projection out;
  for (std::size_t v = 0; v < distribution.size(); ++v) {
    double p = distribution[v];
    if (v >= map.majority()) out.win += p;
    else if (map.can_tie() && v == map.total_votes / 2) out.tie += p;
    else out.loss += p;
    out.expected_votes += p * static_cast<double>(v);
  }
  out.distribution = std::move(distribution);
  return out;
}

}  // namespace

Projection project(const Map& map, const Tally& tally) {
  std::vector<double> distribution(map.total_votes + 1, 0.0);
  if (tally.sims == 0) return summarize(map, std::move(distribution));
  for (std::size_t v = 0; v < tally.counts.size() && v < distribution.size(); ++v)
    distribution[v] = static_cast<double>(tally.counts[v]) / static_cast<double>(tally.sims);
  return summarize(map, std::move(distribution));
}

Projection exact(const Map& map, std::span<const double> probabilities) {
  // P(A has v votes after the first k states), one state at a time.
  std::vector<double> distribution(map.total_votes + 1, 0.0);
  distribution[0] = 1.0;
  unsigned reach = 0;
  for (std::size_t i = 0; i < map.states.size(); ++i) {
    unsigned votes = map.states[i].votes;
    double p = probabilities[i];
    reach += votes;
    for (unsigned v = reach + 1; v-- > 0;) {
      double carried = v >= votes ? distribution[v - votes] * p : 0.0;
      distribution[v] = distribution[v] * (1.0 - p) + carried;
    }
  }
  return summarize(map, std::move(distribution));
}

Plan make_plan(const Map& map, std::span<const double> probabilities) {
  Plan plan;
  plan.total_votes = map.total_votes;
  for (std::size_t i = 0; i < map.states.size(); ++i) {
    double p = probabilities[i];
    if (p <= 0.0) continue;  // A never carries it
    if (p >= 1.0) {
      plan.certain_votes += map.states[i].votes;
      continue;
    }
    // P(draw < threshold) = threshold / 2^32, within 2^-33 of p.
    double scaled = std::nearbyint(p * 4294967296.0);
    plan.thresholds.push_back(static_cast<std::uint32_t>(std::clamp(scaled, 1.0, 4294967295.0)));
    plan.votes.push_back(map.states[i].votes);
    plan.probabilities.push_back(p);
  }
  return plan;
}

}  // namespace ipcmeter::election
