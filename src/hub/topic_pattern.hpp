#pragma once
// Dotted event names and wildcard patterns, as in EventEmitter2 (NestJS's
// event emitter): segments split on '.', "*" matches exactly one segment,
// "**" matches zero or more segments. "inbox.*" matches "inbox.stored" but
// not "inbox" nor "inbox.a.b"; "inbox.**" matches all three.
#include <string_view>

namespace sb::hub {

bool is_pattern(std::string_view p);  // contains a "*" or "**" segment
bool topic_matches(std::string_view pattern, std::string_view name);
// Non-empty, no empty segment, '*' only as a whole segment ("*" or "**").
bool valid_pattern(std::string_view p);

}  // namespace sb::hub
