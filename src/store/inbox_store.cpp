#include "store/inbox_store.hpp"

#include <stdexcept>

namespace sb::store {

Claim InboxStore::claim(const std::string&, uint64_t) {
  throw std::logic_error("inbox: this store is not shared between nodes (no claims)");
}

bool InboxStore::unclaim(const std::string& user, uint64_t id) {
  claim(user, id);  // throws
  return false;
}

}  // namespace sb::store
