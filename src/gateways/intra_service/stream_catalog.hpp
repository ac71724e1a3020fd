#pragma once
// Which SSE streams exist and who may read them. A rule names one stream
// ("news") or a family of streams by prefix ("user:*" covers "user:42").
// Access:
//   public         anyone
//   authenticated  a valid JWT (Authorization: Bearer, or ?token=)
//   user           a family whose suffix is a user id: only the JWT whose
//                  `sub` equals it ("user:42" for sub 42)
//   dashboard      the built-in `logs` and `metrics` streams: the dashboard's guard
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sb::intra {

enum class Access { Public, Authenticated, User, Dashboard };

std::optional<Access> parse_access(std::string_view s);
const char* to_string(Access a);

struct StreamRule {
  std::string name;  // "news", or "user:*" for a family
  Access access = Access::Public;
  size_t history_size = 0;  // events kept for resume

  bool family() const { return name.size() >= 2 && name.back() == '*'; }
  std::string_view prefix() const {
    return family() ? std::string_view(name).substr(0, name.size() - 1) : std::string_view(name);
  }
};

class StreamCatalog {
 public:
  // Throws std::invalid_argument for an invalid or duplicate rule.
  void add(StreamRule rule);
  // Exact rule first, else the family with the longest matching prefix.
  const StreamRule* find(std::string_view stream) const;
  const std::vector<StreamRule>& rules() const { return rules_; }

  // Stream names: 1..200 characters of [A-Za-z0-9] and . _ : @ - + = ~
  static bool valid_name(std::string_view s);
  // For a `user` family member, the user id ("42" of "user:42").
  static std::string_view user_of(const StreamRule& r, std::string_view stream) {
    return stream.substr(r.prefix().size());
  }

 private:
  std::vector<StreamRule> rules_;
};

}  // namespace sb::intra
