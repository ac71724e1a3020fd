#include "hub/route_table.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "gateways/inter_service/topic_pattern.hpp"
#include "hub/topic_pattern.hpp"

namespace sb::hub {

RouteTable::Route RouteTable::build(const RouteSpec& spec) {
  Route r;
  std::string_view from = spec.from;
  r.source = "bus";
  if (auto colon = from.find(':'); colon != std::string_view::npos) {
    r.source = std::string(from.substr(0, colon));
    from.remove_prefix(colon + 1);
    if (r.source != "bus" && r.source != "broker" && r.source != "client")
      throw std::invalid_argument("from: unknown source \"" + r.source +
                                  "\" (expected bus:<event>, broker:<topic> or client:<event>)");
  }
  std::string why;
  if (r.source == "broker") {
    if (!inter_service::topic_pattern::valid_pattern(from, &why))
      throw std::invalid_argument("from: \"" + spec.from + "\" is not a broker topic or pattern (" +
                                  why + "; wildcards: * for one token, > for the rest)");
    // A `**` token is a literal to a broker; here it is surely a bus habit.
    const std::string dotted = "." + std::string(from) + ".";
    if (dotted.find(".**.") != std::string::npos)
      throw std::invalid_argument("from: \"" + spec.from +
                                  "\": broker patterns use > for the rest, not **");
    r.origin = spec.broker;
  } else if (r.source == "client") {
    if (from.empty() || from.size() > 200 || from.find('*') != std::string_view::npos)
      throw std::invalid_argument("from: \"" + spec.from +
                                  "\" must name one client event (no wildcards)");
    r.origin = spec.nsp;
  } else if (!valid_pattern(from)) {
    throw std::invalid_argument("from: \"" + spec.from +
                                "\" is not an event name or pattern (dotted segments, * or **)");
  }
  r.pattern = std::string(from);
  r.reply = spec.reply;
  r.broker = spec.broker;
  r.include_sender = spec.include_sender;
  r.to = spec.to;
  if (spec.reply && r.source != "client")
    throw std::invalid_argument("reply: only client:<event> routes can ask for a reply");
  if (spec.include_sender && r.source != "client")
    throw std::invalid_argument("include_sender: only client:<event> routes have a sender");
  if (spec.reply && (spec.to.size() != 1 || spec.to[0].rfind("broker:", 0) != 0))
    throw std::invalid_argument("reply: a reply route has exactly one target, broker:<topic>");
  if (spec.to.empty()) throw std::invalid_argument("to: at least one target is needed");
  for (size_t i = 0; i < spec.to.size(); ++i) {
    const std::string where = "to[" + std::to_string(i) + "]";
    const std::string& t = spec.to[i];
    const auto colon = t.find(':');
    if (colon == std::string::npos)
      throw std::invalid_argument(where + ": expected <scheme>:<name>, e.g. \"room:lobby\"");
    Target target;
    target.scheme = t.substr(0, colon);
    bool known = false;
    for (auto* s : kSchemes) known = known || target.scheme == s;
    if (!known)
      throw std::invalid_argument(where + ": unknown target scheme \"" + target.scheme +
                                  "\" (expected sse, room, user or broker)");
    try {
      target.name = RouteTemplate::parse(std::string_view(t).substr(colon + 1));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + ": " + e.what());
    }
    if (target.name.text().empty()) throw std::invalid_argument(where + ": empty target name");
    r.targets.push_back(std::move(target));
  }
  if (!spec.event.empty()) {
    try {
      r.event = RouteTemplate::parse(spec.event);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("event: ") + e.what());
    }
  }
  if (spec.nsp.empty() || spec.nsp[0] != '/')
    throw std::invalid_argument("namespace: must start with '/'");
  r.nsp = spec.nsp;
  r.store = spec.store;
  r.deliver_missed = spec.deliver_missed;
  return r;
}

void RouteTable::check(const RouteSpec& spec) {
  (void)build(spec);
}

auto RouteTable::build_all(const std::vector<RouteSpec>& specs) -> std::shared_ptr<const Routes> {
  auto routes = std::make_shared<Routes>();
  routes->reserve(specs.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    try {
      routes->push_back(build(specs[i]));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("routes[" + std::to_string(i) + "]." + e.what());
    }
  }
  return routes;
}

RouteTable::RouteTable(const std::vector<RouteSpec>& specs) : routes_(build_all(specs)) {}

// What the owner subscribed for: every source but the bus (which asks the table
// on each event), as one comparable key per route.
static std::vector<std::string> subscribed(const std::vector<RouteSource>& sources) {
  std::vector<std::string> keys;
  for (auto& s : sources) {
    if (s.source == "bus") continue;
    std::string k = s.source + '\n' + s.pattern + '\n' + s.origin + '\n' + s.broker + '\n' +
                    (s.reply ? "r" : "-") + (s.include_sender ? "s" : "-");
    if (s.reply)
      for (auto& t : s.to) k += '\n' + t;  // a reply route's target is its request topic
    keys.push_back(std::move(k));
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void RouteTable::replace(const std::vector<RouteSpec>& specs) {
  auto fresh = build_all(specs);
  RouteTable probe;
  probe.routes_ = fresh;
  if (subscribed(probe.sources()) != subscribed(sources()))
    throw std::invalid_argument(
        "routes: broker and client sources can change only with a restart (bus routes reload)");
  std::lock_guard lk(mu_);
  routes_ = std::move(fresh);
}

RouteTable::~RouteTable() = default;

void RouteTable::set_sink(const std::string& scheme, std::shared_ptr<RouteSink> sink) {
  sinks_[scheme] = std::move(sink);
}

void RouteTable::report_failure(const Route& r, const Target& t, std::string_view name,
                                const std::string& error) {
  counters_.failed.fetch_add(1, std::memory_order_relaxed);
  if (!log_limiter_.allow()) return;
  spdlog::warn("routes: cannot route {} event \"{}\" (from \"{}\") to {}:{}: {}", r.source, name,
               r.pattern, t.scheme, t.name.text(), error);
}

std::vector<RouteSource> RouteTable::sources() const {
  std::vector<RouteSource> out;
  for (auto& r : *snapshot())
    out.push_back(
        RouteSource{r.source, r.pattern, r.origin, r.broker, r.reply, r.include_sender, r.to});
  return out;
}

bool RouteTable::matches(const Route& r, std::string_view source, std::string_view name,
                         std::string_view origin) {
  if (r.source != source || r.reply) return false;
  if (!origin.empty() && !r.origin.empty() && origin != r.origin) return false;
  if (r.source == "broker") return inter_service::topic_pattern::matches(r.pattern, name);
  if (r.source == "client") return r.pattern == name;
  return topic_matches(r.pattern, name);
}

size_t RouteTable::apply(std::string_view source, std::string_view name,
                         const boost::json::value& data, std::string_view origin) {
  size_t made = 0;
  bool any = false;
  std::string target, event, error;
  const auto routes = snapshot();
  for (auto& r : *routes) {
    if (!matches(r, source, name, origin)) continue;
    any = true;
    if (r.event) {
      if (!r.event->expand(name, data, event, error)) {
        for (auto& t : r.targets) report_failure(r, t, name, "event " + error);
        continue;
      }
    } else {
      event.assign(name);
    }
    for (auto& t : r.targets) {
      if (!t.name.expand(name, data, target, error)) {
        report_failure(r, t, name, error);
        continue;
      }
      auto sink_it = sinks_.find(t.scheme);
      RouteSink* sink = sink_it == sinks_.end() ? nullptr : sink_it->second.get();
      if (!sink) {
        report_failure(r, t, name,
                       t.scheme == "broker" ? "no broker is configured"
                                            : "no sink for \"" + t.scheme + "\" targets");
        continue;
      }
      error.clear();
      bool ok = false;
      try {
        ok = sink->deliver(
            Delivery{target, event, r.nsp, r.broker, data, name, r.store, r.deliver_missed}, error);
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!ok) {
        report_failure(r, t, name, error.empty() ? "refused" : error);
        continue;
      }
      ++made;
      counters_.delivered.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (any) counters_.matched.fetch_add(1, std::memory_order_relaxed);
  return made;
}

}  // namespace sb::hub
