#pragma once
// Topic patterns, one syntax for every broker (NATS's): tokens separated by
// '.'; a whole token `*` matches exactly one token, a last token `>` matches
// one or more tokens. `*` or `>` inside a longer token is a literal character.
//
//   pattern      Redis (PSUBSCRIBE glob)   Kafka (subscription regex)
//   a.b.c        a.b.c (SUBSCRIBE)         a.b.c (topic name)
//   a.*.c        a.*.c                     ^a\.[^.]+\.c$
//   a.>          a.*                       ^a\.[^.]+(\.[^.]+)*$
//
// A Redis glob `*` also matches dots, so the glob is a superset: the Redis
// broker filters what arrives with matches(). Literal characters special to
// globs or regexes are escaped. Pure functions, no I/O.
#include <cstddef>
#include <string>
#include <string_view>

namespace sb::inter_service::topic_pattern {

constexpr size_t kMaxLength = 1024;

// A concrete topic: 1..kMaxLength bytes, no spaces or control characters, no
// `*` or `>` token. Empty tokens are allowed (Redis channels and NestJS JSON
// patterns are free-form). `why` (optional) gets the reason on failure.
bool valid_topic(std::string_view topic, std::string* why = nullptr);

// A pattern: like a topic, but whole tokens may be `*`, and `>` as the last
// token; a wildcard pattern has no empty tokens.
bool valid_pattern(std::string_view pattern, std::string* why = nullptr);

// True when the pattern has no wildcard token (it names one topic).
bool is_literal(std::string_view pattern);

// Whether `topic` matches `pattern` (both assumed valid). `*` and `>` never
// match an empty token.
bool matches(std::string_view pattern, std::string_view topic);

// Redis PSUBSCRIBE glob for a wildcard pattern (superset, see above).
std::string to_redis_glob(std::string_view pattern);

// Kafka regex subscription ("^...$", POSIX extended syntax as librdkafka
// uses) for a wildcard pattern; literal patterns stay topic names.
std::string to_kafka_regex(std::string_view pattern);

}  // namespace sb::inter_service::topic_pattern
