// Link: ownership of a transport's shared resources on the creating side.
#include "transports/transport.hpp"

namespace ipcmeter {

Link::Link(std::string address, std::vector<Fd> fds, std::vector<int> peer_fds,
           std::vector<std::unique_ptr<Resource>> resources)
    : address_(std::move(address)),
      fds_(std::move(fds)),
      peer_fds_(std::move(peer_fds)),
      resources_(std::move(resources)) {}

Link::~Link() = default;

std::vector<int> Link::all_fds() const {
  std::vector<int> result;
  for (const auto& fd : fds_)
    if (fd.valid()) result.push_back(fd.get());
  return result;
}

void Link::close_fds() noexcept {
  for (auto& fd : fds_) fd.reset();
}

}  // namespace ipcmeter
