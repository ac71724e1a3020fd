#pragma once
// /api/inbox/<user>: the notification inbox over HTTP.
//   GET    ?limit=&before=&unread_only=true  -> {items, total, unread, next}
//   DELETE                                    -> {ok, deleted} (pushes unread_count 0)
// 404 inbox_disabled when the inbox is off.
#include <string_view>

#include "api/emit_endpoint.hpp"

namespace sb::sio {
class InboxService;
}

namespace sb::api {

void handle_inbox(const net::HttpRequest& req, std::string_view user, sio::InboxService* inbox,
                  Respond respond);

}  // namespace sb::api
