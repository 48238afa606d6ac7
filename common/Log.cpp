#include "common/Log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>

#include "common/JsonEscape.h"
#include "common/Rfc3339.h"

namespace callwarden {
namespace {

std::mutex g_mutex;
Log::Sink g_sink;  // guarded by g_mutex; empty means stderr
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};

const char* levelName(LogLevel l) {
  switch (l) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "error";
}

}  // namespace

void Log::setSink(Sink sink) {
  std::lock_guard lock(g_mutex);
  g_sink = std::move(sink);
}

void Log::setMinLevel(LogLevel level) {
  g_min_level = static_cast<int>(level);
}

void Log::write(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (static_cast<int>(level) < g_min_level.load()) return;
  // The log's own timestamp is operational metadata, not a policy input, so it reads the
  // system clock directly rather than an injected Clock.
  auto now =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now());
  std::string line = "{\"ts\":";
  appendJsonString(line, formatRfc3339(now));
  line += ",\"level\":\"";
  line += levelName(level);
  line += "\",\"msg\":";
  appendJsonString(line, message);
  for (const auto& [k, v] : fields) {
    line += ',';
    appendJsonString(line, k);
    line += ':';
    appendJsonString(line, v);
  }
  line += '}';
  std::lock_guard lock(g_mutex);
  if (g_sink) {
    g_sink(line);
  } else {
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

}  // namespace callwarden
