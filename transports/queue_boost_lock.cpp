// Finding a message_queue's lock in its header, as message_queue itself does.
#include "transports/queue_boost_lock.hpp"

#include <fmt/core.h>

#include <boost/interprocess/ipc/message_queue.hpp>
#include <boost/interprocess/shared_memory_object.hpp>
#include <stdexcept>
#include <type_traits>

namespace ipcmeter {
namespace {

namespace bip = boost::interprocess;

// message_queue's own types: the header at the start of its segment, after the few bytes
// its open-or-create wrapper keeps in front (the offset message_queue itself adds).
using QueueHeader = bip::ipcdetail::mq_hdr_t<bip::offset_ptr<void>>;
using QueueSegment =
    bip::ipcdetail::managed_open_or_create_impl<bip::shared_memory_object, 0, true, false>;
using BoostMutex = bip::interprocess_mutex::internal_mutex_type;

// The pthread mutex is the only member of Boost's POSIX mutex, so it sits at its address.
static_assert(std::is_same_v<BoostMutex, bip::ipcdetail::posix_mutex>,
              "Boost.Interprocess built without POSIX process-shared mutexes");
static_assert(std::is_standard_layout_v<BoostMutex> &&
              sizeof(BoostMutex) == sizeof(pthread_mutex_t));

// The kind glibc records for the mutex Boost 1.74 makes: default type, process-shared.
int boost_mutex_kind() {
  static const int kind = [] {
    pthread_mutexattr_t attributes;
    pthread_mutexattr_init(&attributes);
    pthread_mutexattr_setpshared(&attributes, PTHREAD_PROCESS_SHARED);
    pthread_mutex_t reference;
    pthread_mutex_init(&reference, &attributes);
    int recorded = reference.__data.__kind;
    pthread_mutex_destroy(&reference);
    pthread_mutexattr_destroy(&attributes);
    return recorded;
  }();
  return kind;
}

}  // namespace

MessageQueueLock::MessageQueueLock(const std::string& name) {
  try {
    bip::shared_memory_object object(bip::open_only, name.c_str(), bip::read_write);
    region_ = bip::mapped_region(object, bip::read_write, 0,
                                 QueueSegment::ManagedOpenOrCreateUserOffset + sizeof(QueueHeader));
  } catch (const bip::interprocess_exception& error) {
    throw std::runtime_error(
        fmt::format("queue-boost: cannot map the header of {}: {}", name, error.what()));
  }
  auto* header = reinterpret_cast<QueueHeader*>(static_cast<char*>(region_.get_address()) +
                                                QueueSegment::ManagedOpenOrCreateUserOffset);
  mutex_ = reinterpret_cast<pthread_mutex_t*>(&header->m_mutex.internal_mutex());
  if (mutex_->__data.__kind != boost_mutex_kind())
    throw std::runtime_error(
        fmt::format("queue-boost: {} has no lock where Boost 1.74 puts it", name));
}

}  // namespace ipcmeter
