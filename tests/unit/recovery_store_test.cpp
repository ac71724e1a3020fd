#include "gateways/client/recovery_store.hpp"

#include <gtest/gtest.h>

#include "gateways/client/sio_server.hpp"

using namespace sb::sio;

namespace {

std::string last_offset;

std::shared_ptr<const Broadcast> record(RecoveryStore& store, std::vector<std::string> rooms,
                                        std::vector<std::string> except = {},
                                        std::string nsp = "/") {
  return store.record([&](const std::string& offset, uint64_t) {
    auto b = std::make_shared<Broadcast>();
    b->nsp = nsp;
    b->rooms = rooms;
    b->except = except;
    last_offset = offset;
    return b;
  });
}

SavedSession session(std::string pid, std::vector<std::string> rooms) {
  return SavedSession{pid, "sid-" + pid, "/", "", std::move(rooms), 0};
}

}  // namespace

TEST(RecoveryStore, ReplaysWhatTheSocketWouldHaveReceivedInOrder) {
  RecoveryStore store({true, 60000, 100});
  record(store, {"a"});
  const std::string seen = last_offset;
  store.save(session("p1", {"a", "b"}));
  auto m1 = record(store, {"a"});
  record(store, {"c"});                 // not a member
  auto m3 = record(store, {});          // whole namespace
  record(store, {"b"}, {"a"});          // excepted
  record(store, {}, {}, "/other");      // other namespace
  auto m6 = record(store, {"sid-p1"});  // its own id is a room
  auto r = store.restore("p1", seen, "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->session.sid, "sid-p1");
  ASSERT_EQ(r->missed.size(), 3u);
  EXPECT_EQ(r->missed[0], m1);
  EXPECT_EQ(r->missed[1], m3);
  EXPECT_EQ(r->missed[2], m6);
  EXPECT_EQ(r->upto_seq, m6->seq);
  EXPECT_FALSE(store.restore("p1", seen, "/")) << "a pid is good once";
}

TEST(RecoveryStore, RefusesUnknownForeignOrTooOldOffsets) {
  RecoveryStore store({true, 60000, 3});
  record(store, {});
  const std::string oldest = last_offset;
  for (int i = 0; i < 5; ++i) record(store, {});  // the history keeps 3: `oldest`+1.. are gone
  store.save(session("p", {}));
  EXPECT_FALSE(store.restore("p", oldest, "/"));
  store.save(session("p", {}));
  EXPECT_FALSE(store.restore("p", "zzzzzz-1", "/"));  // another process's epoch
  store.save(session("p", {}));
  EXPECT_FALSE(store.restore("p", last_offset + "0", "/"));  // not issued yet
  store.save(session("p", {}));
  EXPECT_FALSE(store.restore("p", "garbage", "/"));
  store.save(session("p", {}));
  EXPECT_FALSE(store.restore("p", last_offset, "/admin"));  // wrong namespace
  EXPECT_FALSE(store.restore("nobody", last_offset, "/"));
  store.save(session("p", {}));
  auto r = store.restore("p", last_offset, "/");  // nothing missed is fine
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->missed.empty());
  EXPECT_LE(store.history_size(), 3u);
}

TEST(RecoveryStore, DeliveryRule) {
  Broadcast b;
  b.rooms = {"r1", "r2"};
  b.except = {"x"};
  EXPECT_TRUE(broadcast_reaches(b, "s", {"r2"}));
  EXPECT_FALSE(broadcast_reaches(b, "s", {"r3"}));
  EXPECT_FALSE(broadcast_reaches(b, "s", {"r1", "x"}));
  b.rooms.clear();
  EXPECT_TRUE(broadcast_reaches(b, "s", {}));
  b.except = {"s"};
  EXPECT_FALSE(broadcast_reaches(b, "s", {}));
}
