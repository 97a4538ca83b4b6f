// "thread": the peer runs in a std::thread of this process.
#include <pthread.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "harness/placement.hpp"
#include "harness/process_guard.hpp"
#include "transports/interrupt.hpp"

namespace ipcmeter {
namespace {

class ThreadPeer final : public RunningPeer {
 public:
  explicit ThreadPeer(PeerLaunch launch) {
    thread_ = std::thread([this, spec = std::move(launch.spec),
                           control = std::move(launch.control)]() mutable {
      // run_peer closes the peer's end of the control channel as it returns: that hang-up
      // is how the run's links learn that this peer has gone.
      int code = run_peer(spec, std::move(control));
      std::lock_guard lock(mutex_);
      code_ = code;
      finished_ = true;
      ended_.notify_all();
    });
    handle_ = thread_.native_handle();
  }
  ~ThreadPeer() override {
    if (thread_.joinable()) wait(std::chrono::milliseconds(2000));
  }

  void stop() noexcept override {
    // A thread cannot be killed; it is woken from its blocking call and unwinds itself
    // (the caller has set the interrupt flag). The handle stays valid until joined, so a
    // signal to a thread that has just finished is harmless. No lock: this may run in a
    // signal handler.
    if (!joined_.load(std::memory_order_acquire)) ::pthread_kill(handle_, kInterruptSignal);
  }

  int wait(std::chrono::milliseconds grace) override {
    {
      std::unique_lock lock(mutex_);
      while (!ended_.wait_for(lock, grace, [&] { return finished_; })) {
        lock.unlock();
        request_interrupt();
        stop();
        lock.lock();
        grace = std::chrono::milliseconds(50);
      }
    }
    // The thread has finished its work; from here on nobody signals it.
    joined_.store(true, std::memory_order_release);
    thread_.join();
    return code_;
  }

 private:
  std::thread thread_;
  pthread_t handle_{};
  std::mutex mutex_;
  std::condition_variable ended_;
  bool finished_ = false;
  std::atomic<bool> joined_{false};
  int code_ = 0;
};

}  // namespace

std::unique_ptr<RunningPeer> start_thread_peer(PeerLaunch launch) {
  return std::make_unique<ThreadPeer>(std::move(launch));
}

}  // namespace ipcmeter
