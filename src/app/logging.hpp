#pragma once
// One line per record on stderr: JSON when not on a terminal (or when asked),
// readable text otherwise.
#include <string>

namespace sb {

// `level`: trace|debug|info|warn|error|off; `format`: auto|json|text.
void setup_logging(const std::string& level, const std::string& format);

}  // namespace sb
