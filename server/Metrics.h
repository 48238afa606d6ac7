#pragma once
// Prometheus text exposition (version 0.0.4) for /metrics. Counters and one latency
// histogram; label values are route patterns and enum names, never user input, so the
// series count stays bounded.

#include <array>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace callwarden::server {

/// Thread-safe.
class Metrics {
 public:
  void observeRequest(const std::string& route, int status, double seconds);
  /// One decision with its result ("allow"/"deny") and each reason code it carried
  /// ("" for an allow with no reasons).
  void countDecision(const std::string& result, const std::string& reason);
  /// A free-form counter, e.g. ("callwarden_recording_resume_failed_total", "").
  void increment(const std::string& name, const std::string& labels = {});
  std::string render() const;

 private:
  static constexpr std::array<double, 12> kBuckets = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                                      0.01,   0.025,   0.05,   0.1,   0.5,    2.5};
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, unsigned long long> requests_;  // guarded by mutex_
  std::array<unsigned long long, kBuckets.size()> bucket_counts_{};     // guarded by mutex_
  unsigned long long latency_count_ = 0;                                // guarded by mutex_
  double latency_sum_ = 0;                                              // guarded by mutex_
  std::map<std::pair<std::string, std::string>, unsigned long long>
      decisions_;                                                            // guarded by mutex_
  std::map<std::pair<std::string, std::string>, unsigned long long> other_;  // guarded by mutex_
};

}  // namespace callwarden::server
