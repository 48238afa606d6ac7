#pragma once
// Structured logs: one JSON object per line. Callers pass fields; the logger never formats
// request bodies, so a token or a full phone number can only reach a log if a caller puts it
// in a field by name. Use maskPhone() for numbers; never log secrets.

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace callwarden {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string_view>;

/// Process-wide logger. Thread-safe: lines are written whole under a mutex.
class Log {
 public:
  using Sink = std::function<void(const std::string& line)>;
  /// Replaces the sink (default: stderr). Tests capture lines with this.
  static void setSink(Sink sink);
  static void setMinLevel(LogLevel level);
  static void write(LogLevel level, std::string_view message,
                    std::initializer_list<LogField> fields = {});
  static void info(std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kInfo, m, f);
  }
  static void warn(std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kWarn, m, f);
  }
  static void error(std::string_view m, std::initializer_list<LogField> f = {}) {
    write(LogLevel::kError, m, f);
  }
};

}  // namespace callwarden
