#include "server/Metrics.h"

#include <cstdio>

namespace callwarden::server {

void Metrics::observeRequest(const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, status}];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++bucket_counts_[i];
  }
  ++latency_count_;
  latency_sum_ += seconds;
}

void Metrics::countDecision(const std::string& result, const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++decisions_[{result, reason}];
}

void Metrics::increment(const std::string& name, const std::string& labels) {
  std::lock_guard lock(mutex_);
  ++other_[{name, labels}];
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  char buf[64];
  out += "# HELP callwarden_http_requests_total HTTP requests by route pattern and status.\n";
  out += "# TYPE callwarden_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    out += "callwarden_http_requests_total{route=\"" + key.first + "\",status=\"" +
           std::to_string(key.second) + "\"} " + std::to_string(n) + "\n";
  }
  out += "# HELP callwarden_http_request_duration_seconds Time from request start to response.\n";
  out += "# TYPE callwarden_http_request_duration_seconds histogram\n";
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%g", kBuckets[i]);
    out += "callwarden_http_request_duration_seconds_bucket{le=\"" + std::string(buf) + "\"} " +
           std::to_string(bucket_counts_[i]) + "\n";
  }
  out += "callwarden_http_request_duration_seconds_bucket{le=\"+Inf\"} " +
         std::to_string(latency_count_) + "\n";
  std::snprintf(buf, sizeof buf, "%.9g", latency_sum_);
  out += "callwarden_http_request_duration_seconds_sum " + std::string(buf) + "\n";
  out += "callwarden_http_request_duration_seconds_count " + std::to_string(latency_count_) + "\n";
  out += "# HELP callwarden_decisions_total Gate decisions by result and reason code.\n";
  out += "# TYPE callwarden_decisions_total counter\n";
  for (const auto& [key, n] : decisions_) {
    out += "callwarden_decisions_total{result=\"" + key.first + "\",reason=\"" + key.second +
           "\"} " + std::to_string(n) + "\n";
  }
  for (const auto& [key, n] : other_) {
    out += key.first + (key.second.empty() ? "" : "{" + key.second + "}") + " " +
           std::to_string(n) + "\n";
  }
  return out;
}

}  // namespace callwarden::server
