#pragma once
// Typed, bounded access to a JSON request object. Every accessor enforces a size limit and
// throws ApiError(422) naming the field, so handlers read input in one line per field and a
// client mistake can never surface as a 500.

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

namespace callwarden::server {

class JsonFields {
 public:
  /// `prefix` names nested objects in errors, e.g. "locations[0]." gives "locations[0].tz".
  explicit JsonFields(Poco::JSON::Object::Ptr object, std::string prefix = {});

  static constexpr size_t kDefaultMaxString = 256;

  std::string requiredString(const std::string& name, size_t max_len = kDefaultMaxString) const;
  std::optional<std::string> optionalString(const std::string& name,
                                            size_t max_len = kDefaultMaxString) const;
  bool optionalBool(const std::string& name, bool fallback) const;
  std::optional<long long> optionalInt(const std::string& name, long long min, long long max) const;
  std::vector<std::string> stringArray(const std::string& name, size_t max_items,
                                       size_t max_len = kDefaultMaxString) const;
  /// Each element of an array of objects, wrapped with the right prefix.
  std::vector<JsonFields> objectArray(const std::string& name, size_t max_items) const;
  bool has(const std::string& name) const;
  /// 422 MISSING_FIELD unless the field is there and not null. For a field that replaces a
  /// stored list: only an explicit [] may clear it, never a forgotten or null field.
  void require(const std::string& name) const;
  /// Rejects fields the endpoint does not know: a misspelt "subject_id" must not be ignored.
  /// `also` lets an endpoint extend a shared list (place = check fields + Twilio fields).
  void rejectUnknown(std::initializer_list<const char*> known,
                     std::initializer_list<const char*> also = {}) const;

  std::string path(const std::string& name) const { return prefix_ + name; }

 private:
  Poco::JSON::Object::Ptr object_;
  std::string prefix_;
};

}  // namespace callwarden::server
