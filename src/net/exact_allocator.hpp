#pragma once
// An allocator for the one asynchronous operation an idle connection keeps
// pending (its read wait). Without it Asio takes the operation's memory from
// its per-thread recycling cache, which hands out whatever block it holds
// (often one sized for a bigger operation, such as an accept) and that block
// then stays with the idle connection for its whole life. Bound to a handler
// with boost::asio::bind_allocator, this one asks for exactly the size needed.
#include <cstddef>
#include <new>

namespace sb::net {

template <class T>
struct ExactAllocator {
  using value_type = T;
  ExactAllocator() = default;
  template <class U>
  ExactAllocator(const ExactAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p); }
  template <class U>
  bool operator==(const ExactAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace sb::net
