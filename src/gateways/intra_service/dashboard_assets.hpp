#pragma once
// The dashboard's files (web/dashboard/), embedded into the binary at build
// time: cmake/embed_assets.cmake generates the definition of find_asset().
#include <string_view>

namespace sb::intra {

struct EmbeddedAsset {
  std::string_view name;          // "index.html"
  std::string_view content_type;  // "text/html; charset=utf-8"
  std::string_view bytes;
};

// nullptr when there is no such file.
const EmbeddedAsset* find_dashboard_asset(std::string_view name);

}  // namespace sb::intra
