#include "store/redis_inbox_store.hpp"

#include <hiredis/hiredis.h>

#include <charconv>
#include <chrono>
#include <iterator>
#include <stdexcept>

namespace sb::store {

namespace {

// What every script shares: removing one row everywhere, forgetting a user
// with no rows left, and one row as a flat list (id user event data
// created_at read delivered deliver_missed).
constexpr const char* kCommon = R"lua(
local p = ARGV[1]
local function drop(id, u)
  redis.call('DEL', p .. 'n:' .. id)
  redis.call('ZREM', p .. 'u:' .. u, id)
  redis.call('ZREM', p .. 'r:' .. u, id)
  redis.call('ZREM', p .. 'm:' .. u, id)
  redis.call('ZREM', p .. 'age', id)
end
local function gone(u)
  if redis.call('EXISTS', p .. 'u:' .. u) == 0 then redis.call('SREM', p .. 'users', u) end
end
local function row(out, id)
  local h = redis.call('HMGET', p .. 'n:' .. id, 'user', 'event', 'data', 'created_at', 'read',
                       'delivered', 'deliver_missed')
  out[#out + 1] = id
  for i = 1, 7 do out[#out + 1] = h[i] or '' end
end
)lua";

// ARGV: p user event data created_at read delivered deliver_missed by
constexpr const char* kInsert = R"lua(
local u = ARGV[2]
local id = string.format('%d', redis.call('INCR', p .. 'next_id'))
redis.call('HSET', p .. 'n:' .. id, 'user', u, 'event', ARGV[3], 'data', ARGV[4],
           'created_at', ARGV[5], 'read', ARGV[6], 'delivered', ARGV[7],
           'deliver_missed', ARGV[8], 'by', ARGV[9])
redis.call('ZADD', p .. 'u:' .. u, id, id)
if ARGV[6] == '0' then
  redis.call('ZADD', p .. 'r:' .. u, id, id)
  if ARGV[7] == '0' and ARGV[8] == '1' then redis.call('ZADD', p .. 'm:' .. u, id, id) end
end
redis.call('ZADD', p .. 'age', ARGV[5], id)
redis.call('SADD', p .. 'users', u)
return id
)lua";

// ARGV: p user max-score limit unread_only -> total unread more rows...
constexpr const char* kPage = R"lua(
local u, lim = ARGV[2], tonumber(ARGV[4])
local key = p .. (ARGV[5] == '1' and 'r:' or 'u:') .. u
local ids = redis.call('ZREVRANGEBYSCORE', key, ARGV[3], '-inf', 'LIMIT', 0, lim + 1)
local out = {redis.call('ZCARD', p .. 'u:' .. u), redis.call('ZCARD', p .. 'r:' .. u), 0}
if #ids > lim then out[3] = 1 end
for i = 1, math.min(#ids, lim) do row(out, ids[i]) end
return out
)lua";

// ARGV: p user id... -> how many changed
constexpr const char* kMarkRead = R"lua(
local u, n = ARGV[2], 0
for i = 3, #ARGV do
  if redis.call('ZREM', p .. 'r:' .. u, ARGV[i]) == 1 then
    redis.call('HSET', p .. 'n:' .. ARGV[i], 'read', '1')
    redis.call('ZREM', p .. 'm:' .. u, ARGV[i])
    n = n + 1
  end
end
return n
)lua";

// ARGV: p user
constexpr const char* kMarkAll = R"lua(
local u = ARGV[2]
local ids = redis.call('ZRANGE', p .. 'r:' .. u, 0, -1)
for _, id in ipairs(ids) do redis.call('HSET', p .. 'n:' .. id, 'read', '1') end
redis.call('DEL', p .. 'r:' .. u, p .. 'm:' .. u)
return #ids
)lua";

// ARGV: p user id... -> the ids that are the user's
constexpr const char* kExisting = R"lua(
local out = {}
for i = 3, #ARGV do
  if redis.call('ZSCORE', p .. 'u:' .. ARGV[2], ARGV[i]) then out[#out + 1] = ARGV[i] end
end
return out
)lua";

// ARGV: p user limit node -> rows, oldest first, now delivered by `node`
constexpr const char* kTake = R"lua(
local u = ARGV[2]
local ids = redis.call('ZRANGE', p .. 'm:' .. u, 0, tonumber(ARGV[3]) - 1)
local out = {}
for _, id in ipairs(ids) do
  redis.call('HSET', p .. 'n:' .. id, 'delivered', '1', 'by', ',' .. ARGV[4] .. ',')
  redis.call('ZREM', p .. 'm:' .. u, id)
  row(out, id)
end
return out
)lua";

// ARGV: p user id node -> 0 missing | 1 claimed | 2 delivered (by others;
// this node added) | 3 mine (this node had it)
constexpr const char* kClaim = R"lua(
local u, id, me = ARGV[2], ARGV[3], ',' .. ARGV[4] .. ','
local k = p .. 'n:' .. id
local h = redis.call('HMGET', k, 'user', 'by')
if h[1] ~= u then return 0 end
local by = h[2] or ''
if string.find(by, me, 1, true) then return 3 end
if by ~= '' then
  redis.call('HSET', k, 'by', by .. ARGV[4] .. ',')
  return 2
end
redis.call('HSET', k, 'delivered', '1', 'by', me)
redis.call('ZREM', p .. 'm:' .. u, id)
return 1
)lua";

// ARGV: p user id node -> 1 when no node holds it any more (pending again)
constexpr const char* kUnclaim = R"lua(
local u, id, me = ARGV[2], ARGV[3], ',' .. ARGV[4] .. ','
local k = p .. 'n:' .. id
local h = redis.call('HMGET', k, 'user', 'by', 'read', 'deliver_missed')
if h[1] ~= u then return 0 end
local by = h[2] or ''
local s, e = string.find(by, me, 1, true)
if not s then return 0 end
by = string.sub(by, 1, s) .. string.sub(by, e + 1)
if by ~= ',' then
  redis.call('HSET', k, 'by', by)
  return 0
end
redis.call('HSET', k, 'delivered', '0', 'by', '')
if h[3] == '0' and h[4] == '1' then redis.call('ZADD', p .. 'm:' .. u, id, id) end
return 1
)lua";

// ARGV: p user -> how many
constexpr const char* kDeleteUser = R"lua(
local u = ARGV[2]
local ids = redis.call('ZRANGE', p .. 'u:' .. u, 0, -1)
for _, id in ipairs(ids) do
  redis.call('DEL', p .. 'n:' .. id)
  redis.call('ZREM', p .. 'age', id)
end
redis.call('DEL', p .. 'u:' .. u, p .. 'r:' .. u, p .. 'm:' .. u)
redis.call('SREM', p .. 'users', u)
return #ids
)lua";

// ARGV: p user max_per_user cutoff -> how many went. By count: all but the
// newest max. By age: from the oldest id on, while created_at < cutoff (ids
// follow time on one clock; the periodic prune by `age` is exact).
constexpr const char* kPruneUser = R"lua(
local u, n = ARGV[2], 0
local max = tonumber(ARGV[3])
if max > 0 then
  local extra = redis.call('ZCARD', p .. 'u:' .. u) - max
  if extra > 0 then
    for _, id in ipairs(redis.call('ZRANGE', p .. 'u:' .. u, 0, extra - 1)) do
      drop(id, u)
      n = n + 1
    end
  end
end
if ARGV[4] ~= '' then
  local cutoff = tonumber(ARGV[4])
  local young = false
  while not young do
    local ids = redis.call('ZRANGE', p .. 'u:' .. u, 0, 99)
    for _, id in ipairs(ids) do
      local at = tonumber(redis.call('HGET', p .. 'n:' .. id, 'created_at'))
      if at and at >= cutoff then
        young = true
        break
      end
      drop(id, u)
      n = n + 1
    end
    if #ids < 100 then break end
  end
end
gone(u)
return n
)lua";

// ARGV: p cutoff batch -> how many went (at most batch)
constexpr const char* kPruneAge = R"lua(
local ids = redis.call('ZRANGEBYSCORE', p .. 'age', '-inf', '(' .. ARGV[2], 'LIMIT', 0,
                       tonumber(ARGV[3]))
for _, id in ipairs(ids) do
  local u = redis.call('HGET', p .. 'n:' .. id, 'user')
  if u then
    drop(id, u)
    gone(u)
  else
    redis.call('ZREM', p .. 'age', id)
  end
end
return #ids
)lua";

// In the order of RedisInboxStore::Script.
const char* const kScripts[] = {kInsert, kPage,    kMarkRead,   kMarkAll,   kExisting, kTake,
                                kClaim,  kUnclaim, kDeleteUser, kPruneUser, kPruneAge};

int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

timeval to_timeval(uint32_t ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms % 1000) * 1000);
  return tv;
}

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("inbox: redis: " + what);
}

std::string text(const redisReply* r) {
  if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS)) return {};
  return std::string(r->str, r->len);
}

uint64_t number(const redisReply* r) {
  if (r && r->type == REDIS_REPLY_INTEGER)
    return r->integer < 0 ? 0 : static_cast<uint64_t>(r->integer);
  const std::string s = text(r);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) fail("unexpected reply \"" + s + "\"");
  return v;
}

int64_t signed_number(const redisReply* r) {
  const std::string s = text(r);
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Rows of 8 elements from `first` on (see row() in kCommon).
std::vector<Notification> rows(const redisReply* r, size_t first) {
  std::vector<Notification> out;
  if (!r || r->type != REDIS_REPLY_ARRAY) fail("unexpected reply to a script");
  for (size_t i = first; i + 8 <= r->elements; i += 8) {
    auto* e = r->element + i;
    Notification n;
    n.id = number(e[0]);
    n.user = text(e[1]);
    n.event = text(e[2]);
    n.data = text(e[3]);
    n.created_at = signed_number(e[4]);
    n.read = text(e[5]) == "1";
    n.delivered = text(e[6]) == "1";
    n.deliver_missed = text(e[7]) == "1";
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<std::string> with_ids(std::vector<std::string> args, const std::vector<uint64_t>& ids) {
  for (uint64_t id : ids) args.push_back(std::to_string(id));
  return args;
}

}  // namespace

enum RedisInboxStore::Script : int {
  insert_s,
  page_s,
  mark_read_s,
  mark_all_s,
  existing_s,
  take_s,
  claim_s,
  unclaim_s,
  delete_user_s,
  prune_user_s,
  prune_age_s,
  script_count
};

struct RedisInboxStore::Reply {
  std::unique_ptr<redisReply, void (*)(void*)> r{nullptr, freeReplyObject};
  const redisReply* operator->() const { return r.get(); }
  const redisReply* get() const { return r.get(); }
};

RedisInboxStore::RedisInboxStore(RedisInboxOptions options) : o_(std::move(options)) {}

RedisInboxStore::~RedisInboxStore() {
  drop_connection();
}

void RedisInboxStore::drop_connection() {
  if (ctx_) redisFree(ctx_);
  ctx_ = nullptr;
}

void RedisInboxStore::connect() {
  if (ctx_) return;
  if (steady_ms() < retry_after_ms_) fail("not connected (retrying shortly)");
  const timeval ct = to_timeval(o_.connect_timeout_ms);
  redisContext* c = redisConnectWithTimeout(o_.host.c_str(), o_.port, ct);
  if (!c || c->err) {
    std::string why = c ? c->errstr : "out of memory";
    if (c) redisFree(c);
    retry_after_ms_ = steady_ms() + o_.retry_ms;
    fail("cannot connect to " + o_.host + ":" + std::to_string(o_.port) + ": " + why);
  }
  const timeval cmd = to_timeval(o_.command_timeout_ms);
  redisSetTimeout(c, cmd);
  ctx_ = c;
  try {
    if (!o_.password.empty()) {
      if (o_.user.empty())
        command({"AUTH", o_.password});
      else
        command({"AUTH", o_.user, o_.password});
    }
    if (o_.db != 0) command({"SELECT", std::to_string(o_.db)});
    load_scripts();
  } catch (...) {
    drop_connection();
    retry_after_ms_ = steady_ms() + o_.retry_ms;
    throw;
  }
}

void RedisInboxStore::load_scripts() {
  static_assert(std::size(kScripts) == script_count, "one script per Script");
  shas_.clear();
  for (const char* body : kScripts) {
    auto r = command({"SCRIPT", "LOAD", std::string(kCommon) + body});
    shas_.push_back(text(r.get()));
  }
}

RedisInboxStore::Reply RedisInboxStore::command(const std::vector<std::string>& args) {
  connect();
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  Reply r;
  r.r.reset(static_cast<redisReply*>(
      redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data())));
  if (!r.r) {
    std::string why = ctx_->errstr;
    drop_connection();  // broken or timed out: the next call reconnects
    fail(why.empty() ? "connection lost" : why);
  }
  if (r->type == REDIS_REPLY_ERROR) fail(std::string(r->str, r->len));
  return r;
}

RedisInboxStore::Reply RedisInboxStore::eval(Script s, const std::vector<std::string>& args) {
  connect();
  std::vector<std::string> cmd{"EVALSHA", shas_.at(s), "0", o_.key_prefix};
  cmd.insert(cmd.end(), args.begin(), args.end());
  try {
    return command(cmd);
  } catch (const std::runtime_error& e) {
    // A server restarted without its script cache: load them again, once.
    if (std::string_view(e.what()).find("NOSCRIPT") == std::string_view::npos) throw;
    load_scripts();
    cmd[1] = shas_.at(s);
    return command(cmd);
  }
}

uint64_t RedisInboxStore::insert(const Notification& n) {
  auto r = eval(insert_s, {n.user, n.event, n.data, std::to_string(n.created_at),
                           n.read ? "1" : "0", n.delivered ? "1" : "0",
                           n.deliver_missed ? "1" : "0", n.delivered ? "," + o_.node + "," : ""});
  return number(r.get());
}

Page RedisInboxStore::page(const PageQuery& q) {
  const std::string max = q.before ? "(" + std::to_string(*q.before) : "+inf";
  auto r = eval(page_s, {q.user, max, std::to_string(q.limit), q.unread_only ? "1" : "0"});
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) fail("unexpected reply to page");
  Page p;
  p.total = number(r->element[0]);
  p.unread = number(r->element[1]);
  p.more = number(r->element[2]) != 0;
  p.items = rows(r.get(), 3);
  return p;
}

uint64_t RedisInboxStore::unread_count(const std::string& user) {
  auto r = command({"ZCARD", o_.key_prefix + "r:" + user});
  return number(r.get());
}

uint64_t RedisInboxStore::mark_read(const std::string& user, const std::vector<uint64_t>& ids) {
  if (ids.empty()) return 0;
  return number(eval(mark_read_s, with_ids({user}, ids)).get());
}

uint64_t RedisInboxStore::mark_all_read(const std::string& user) {
  return number(eval(mark_all_s, {user}).get());
}

std::vector<uint64_t> RedisInboxStore::existing(const std::string& user,
                                                const std::vector<uint64_t>& ids) {
  std::vector<uint64_t> out;
  if (ids.empty()) return out;
  auto r = eval(existing_s, with_ids({user}, ids));
  for (size_t i = 0; i < r->elements; ++i) out.push_back(number(r->element[i]));
  return out;
}

std::vector<Notification> RedisInboxStore::take_undelivered(const std::string& user,
                                                            uint32_t limit) {
  if (limit == 0) return {};
  auto r = eval(take_s, {user, std::to_string(limit), o_.node});
  auto out = rows(r.get(), 0);
  for (auto& n : out) n.delivered = true;
  return out;
}

Claim RedisInboxStore::claim(const std::string& user, uint64_t id) {
  Claim c;
  switch (number(eval(claim_s, {user, std::to_string(id), o_.node}).get())) {
    case 1:
      c.state = Claim::State::claimed;
      break;
    case 2:
      c.state = Claim::State::delivered;
      break;
    case 3:
      c.state = Claim::State::mine;
      break;
    default:
      c.state = Claim::State::missing;
      break;
  }
  return c;
}

bool RedisInboxStore::unclaim(const std::string& user, uint64_t id) {
  return number(eval(unclaim_s, {user, std::to_string(id), o_.node}).get()) == 1;
}

uint64_t RedisInboxStore::delete_user(const std::string& user) {
  return number(eval(delete_user_s, {user}).get());
}

uint64_t RedisInboxStore::prune_user(const std::string& user, const Retention& r, int64_t now_ms) {
  if (r.max_age_ms <= 0 && r.max_per_user == 0) return 0;
  const std::string cutoff = r.max_age_ms > 0 ? std::to_string(now_ms - r.max_age_ms) : "";
  return number(eval(prune_user_s, {user, std::to_string(r.max_per_user), cutoff}).get());
}

uint64_t RedisInboxStore::prune(const Retention& r, int64_t now_ms) {
  uint64_t n = 0;
  constexpr uint64_t kBatch = 500;  // per script call: Redis serves others in between
  if (r.max_age_ms > 0) {
    const std::string cutoff = std::to_string(now_ms - r.max_age_ms);
    for (;;) {
      const uint64_t k = number(eval(prune_age_s, {cutoff, std::to_string(kBatch)}).get());
      n += k;
      if (k < kBatch) break;
    }
  }
  // By count: inserts prune their user (prune_user), so the limit holds once
  // every user was walked with it; walked again only when the limit changes.
  if (r.max_per_user > 0 && r.max_per_user != walked_max_per_user_) {
    // The users set, walked with SSCAN: no command holds Redis for long.
    std::string cursor = "0";
    do {
      auto rep = command({"SSCAN", o_.key_prefix + "users", cursor, "COUNT", "100"});
      if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) fail("unexpected reply to SSCAN");
      cursor = text(rep->element[0]);
      const redisReply* users = rep->element[1];
      for (size_t i = 0; i < users->elements; ++i)
        n += prune_user(text(users->element[i]), Retention{0, r.max_per_user}, now_ms);
    } while (cursor != "0");
    walked_max_per_user_ = r.max_per_user;
  }
  return n;
}

}  // namespace sb::store
