// Shared memory that nobody else gets into: created 0600 whatever the umask, under a name with
// an unguessable part, and owned only once its exclusive create succeeded (a name someone
// else took first is left alone and another is tried).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/interprocess/shared_memory_object.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/test_support.hpp"
#include "transports/address.hpp"
#include "transports/creator_stamp.hpp"
#include "transports/dict.hpp"
#include "transports/errors.hpp"
#include "transports/named_resources.hpp"
#include "transports/registry.hpp"
#include "transports/shm_create.hpp"

namespace ipcmeter {
namespace {

namespace bip = boost::interprocess;

// This process's shm names now in /dev/shm.
std::vector<std::string> my_names() {
  std::vector<std::string> names;
  std::string listed = testing::leftover_shared_memory();
  for (std::size_t start = 0, end; (end = listed.find(' ', start)) != std::string::npos; start = end + 1)
    names.push_back(listed.substr(start, end - start));
  return names;
}

mode_t mode_of(const std::string& name) {
  struct stat st {};
  if (::stat(("/dev/shm/" + name).c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

class ShmNames : public testing::NoLeftovers {
 protected:
  void SetUp() override {
    testing::NoLeftovers::SetUp();
    old_umask_ = ::umask(0);  // the most permissive umask: the objects must still be 0600
  }
  void TearDown() override {
    ::umask(old_umask_);
    testing::NoLeftovers::TearDown();
  }
  mode_t old_umask_ = 0;
};

TEST_F(ShmNames, EverySharedMemoryTransportCreatesOwnerOnlyObjects) {
  // Every transport that opens here, so that one whose shm_kind (what the fault campaign and
  // the sweep rely on) misstates the names it makes is caught either way.
  for (const Transport& transport : all_transports()) {
    if (transport.family == "test" || !testing::opens_here(transport)) continue;
    TransportOptions options;
    options.max_message_size = 4096;
    Link link = transport.create(options);
    std::vector<std::string> names = my_names();
    EXPECT_EQ(names.empty(), transport.shm_kind.empty()) << transport.name;
    for (const auto& shm : names) {
      EXPECT_EQ(mode_of(shm), 0600u) << transport.name << ": /dev/shm/" << shm;
      EXPECT_EQ(shm.rfind("ipcm-" + transport.shm_kind + "-", 0), 0u) << transport.name << ": " << shm;
    }
    if (!transport.shm_first_suffix.empty()) {
      bool suffixed = false;
      for (const auto& shm : names) suffixed = suffixed || shm.ends_with(transport.shm_first_suffix);
      EXPECT_TRUE(suffixed) << transport.name << " names none ending in " << transport.shm_first_suffix;
    }
  }
  auto dict = find_dict("dict-shm").create(DictOptions{});
  std::vector<std::string> names = my_names();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(mode_of(names[0]), 0600u) << names[0];
}

TEST_F(ShmNames, NamesCarryTheCreatorsStampAndSixtyFourRandomBits) {
  // "ipcm-spsc-<pid>-ns<pid namespace>-t<start ticks>-" and 16 lower-case hex digits (no
  // std::regex: GCC 12's <regex> trips -Wmaybe-uninitialized in the sanitizer build).
  const CreatorStamp me = own_creator_stamp();
  const std::string prefix =
      fmt::format("ipcm-spsc-{}-ns{}-t{}-", ::getpid(), me.pid_namespace, me.start_ticks);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string name = unique_shared_memory_name("spsc");
    ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
    std::string random = name.substr(prefix.size());
    EXPECT_EQ(random.size(), 16u) << name;
    EXPECT_EQ(random.find_first_not_of("0123456789abcdef"), std::string::npos) << name;
    seen.insert(name);
  }
  EXPECT_EQ(seen.size(), 100u);
}

// Someone else's object under `name`: 4 KiB, mode 0600.
void pre_create(const std::string& name) {
  int fd = ::shm_open(("/" + name).c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  ASSERT_GE(fd, 0) << name;
  ASSERT_EQ(::ftruncate(fd, 4096), 0);
  ::close(fd);
}

off_t size_of(const std::string& name) {
  struct stat st {};
  return ::stat(("/dev/shm/" + name).c_str(), &st) == 0 ? st.st_size : -1;
}

void create_segment(const std::string& name) {
  bip::shared_memory_object(bip::create_only, name.c_str(), bip::read_write, owner_only());
}

TEST_F(ShmNames, ANameTakenFirstIsLeftAloneAndAnotherIsUsed) {
  const std::string taken = "ipcm-test-" + std::to_string(::getpid()) + "-taken";
  pre_create(taken);
  int calls = 0;
  auto names = [&](const std::string& kind) {
    return ++calls == 1 ? taken : unique_shared_memory_name(kind);
  };
  {
    auto owned = create_shared_memory("test", create_segment, "", names);
    EXPECT_EQ(calls, 2);
    EXPECT_NE(owned->name(), taken);
    EXPECT_EQ(mode_of(owned->name()), 0600u);
  }  // ours goes with its owner...
  EXPECT_EQ(size_of(taken), 4096);  // ...and the other one is untouched
  EXPECT_EQ(my_names(), std::vector<std::string>{taken});
  ::shm_unlink(("/" + taken).c_str());
}

TEST_F(ShmNames, WhenEveryFreshNameIsTakenTheCreateFailsAndRemovesNothing) {
  const std::string taken = "ipcm-test-" + std::to_string(::getpid()) + "-always";
  pre_create(taken);
  try {
    create_shared_memory("test", create_segment, "", [&](const std::string&) { return taken; });
    ADD_FAILURE() << "a taken name was used";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("were all taken by someone else"), std::string::npos) << error.what();
  }
  EXPECT_EQ(size_of(taken), 4096);
  ::shm_unlink(("/" + taken).c_str());
}

}  // namespace
}  // namespace ipcmeter

namespace ipcmeter {
namespace {

// An address is input (a spawned peer's command line): a pointer in it is honoured only if
// this process issued it, so a made-up or another process's pointer is refused, never read.
TEST(AddressPointers, OnlyThoseThisProcessIssuedAreHonoured) {
  int object = 7;
  Address issued = Address::parse("x:p=" + pointer_text(&object));
  EXPECT_EQ(issued.pointer("p"), &object);
  int other = 8;
  char text[32];
  std::snprintf(text, sizeof text, "%p", static_cast<void*>(&other));
  Address made_up = Address::parse(std::string("x:p=") + text);
  EXPECT_THROW(made_up.pointer("p"), UsageError);
}

}  // namespace
}  // namespace ipcmeter
