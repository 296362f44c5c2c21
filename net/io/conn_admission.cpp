#include "net/io/conn_admission.hpp"

namespace sy {

boost::asio::ip::address conn_admission::canonical(const boost::asio::ip::address& addr) {
  if (addr.is_v6() && addr.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, addr.to_v6());
  return addr;
}

conn_admission::decision conn_admission::admit(const boost::asio::ip::address& raw) {
  const auto addr = canonical(raw);
  auto it = per_address_.find(addr);
  const std::size_t from = it == per_address_.end() ? 0 : it->second;
  const bool over_total = served_ >= limits_.max_connections;
  const bool over_address = from >= limits_.max_per_address;
  if (!over_total && !over_address) {
    ++served_;
    if (it == per_address_.end())
      per_address_.emplace(addr, 1);
    else
      ++it->second;
    return {admission::served, false};
  }
  if (!addr.is_loopback() || limits_.loopback_reserve == 0)
    return {over_total ? admission::refused_total : admission::refused_address, false};
  ++reserved_;
  return {over_total ? admission::reserve_total : admission::reserve_address,
          reserved_ > limits_.loopback_reserve};
}

void conn_admission::release(const boost::asio::ip::address& raw, admission kind) {
  if (is_refused(kind))
    return;
  if (is_reserve(kind)) {
    if (reserved_ > 0)
      --reserved_;
    return;
  }
  const auto addr = canonical(raw);
  if (served_ > 0)
    --served_;
  auto it = per_address_.find(addr);
  if (it != per_address_.end() && --it->second == 0)
    per_address_.erase(it);
}

std::size_t conn_admission::served_from(const boost::asio::ip::address& raw) const {
  auto it = per_address_.find(canonical(raw));
  return it == per_address_.end() ? 0 : it->second;
}

} // namespace sy
