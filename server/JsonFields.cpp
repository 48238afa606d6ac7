#include "server/JsonFields.h"

#include <algorithm>
#include <cstring>
#include <typeinfo>

#include "server/ApiError.h"

namespace callwarden::server {
namespace {

ApiError invalid(const std::string& field, const std::string& message) {
  return ApiError(422, "INVALID_FIELD", message, field);
}

}  // namespace

JsonFields::JsonFields(Poco::JSON::Object::Ptr object, std::string prefix)
    : object_(std::move(object)), prefix_(std::move(prefix)) {
  if (object_.isNull())
    throw ApiError(400, "MALFORMED_JSON", "the request body must be a JSON object");
}

bool JsonFields::has(const std::string& name) const {
  return object_->has(name) && !object_->isNull(name);
}

void JsonFields::require(const std::string& name) const {
  if (!has(name)) throw ApiError(422, "MISSING_FIELD", name + " is required", path(name));
}

std::string JsonFields::requiredString(const std::string& name, size_t max_len) const {
  auto v = optionalString(name, max_len);
  if (!v) throw ApiError(422, "MISSING_FIELD", name + " is required", path(name));
  return *v;
}

std::optional<std::string> JsonFields::optionalString(const std::string& name,
                                                      size_t max_len) const {
  if (!has(name)) return std::nullopt;
  const auto& v = object_->get(name);
  if (!v.isString()) throw invalid(path(name), name + " must be a string");
  std::string s = v.extract<std::string>();
  if (s.size() > max_len)
    throw invalid(path(name), name + " is longer than " + std::to_string(max_len) + " bytes");
  return s;
}

bool JsonFields::optionalBool(const std::string& name, bool fallback) const {
  if (!has(name)) return fallback;
  const auto& v = object_->get(name);
  if (v.type() != typeid(bool)) throw invalid(path(name), name + " must be true or false");
  return v.extract<bool>();
}

std::optional<long long> JsonFields::optionalInt(const std::string& name, long long min,
                                                 long long max) const {
  if (!has(name)) return std::nullopt;
  const auto& v = object_->get(name);
  // Poco calls a JSON true an integer (1): "max_calls": false must not mean 0.
  if (!v.isInteger() || v.type() == typeid(bool))
    throw invalid(path(name), name + " must be an integer");
  long long n = 0;
  try {
    n = v.convert<long long>();
  } catch (const Poco::Exception&) {
    throw invalid(path(name), name + " is out of range");
  }
  if (n < min || n > max) {
    throw invalid(path(name),
                  name + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return n;
}

std::vector<std::string> JsonFields::stringArray(const std::string& name, size_t max_items,
                                                 size_t max_len) const {
  std::vector<std::string> out;
  if (!has(name)) return out;
  auto arr = object_->getArray(name);
  if (arr.isNull()) throw invalid(path(name), name + " must be an array of strings");
  if (arr->size() > max_items) {
    throw invalid(path(name), name + " has more than " + std::to_string(max_items) + " items");
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const auto& v = arr->get(static_cast<unsigned>(i));
    std::string field = path(name) + "[" + std::to_string(i) + "]";
    if (!v.isString()) throw invalid(field, field + " must be a string");
    std::string s = v.extract<std::string>();
    if (s.empty() || s.size() > max_len)
      throw invalid(field, field + " must be 1 to " + std::to_string(max_len) + " bytes");
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<JsonFields> JsonFields::objectArray(const std::string& name, size_t max_items) const {
  std::vector<JsonFields> out;
  if (!has(name)) return out;
  auto arr = object_->getArray(name);
  if (arr.isNull()) throw invalid(path(name), name + " must be an array of objects");
  if (arr->size() > max_items) {
    throw invalid(path(name), name + " has more than " + std::to_string(max_items) + " items");
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string field = path(name) + "[" + std::to_string(i) + "]";
    auto obj = arr->getObject(static_cast<unsigned>(i));
    if (obj.isNull()) throw invalid(field, field + " must be an object");
    out.emplace_back(obj, field + ".");
  }
  return out;
}

void JsonFields::rejectUnknown(std::initializer_list<const char*> known,
                               std::initializer_list<const char*> also) const {
  auto in = [](std::initializer_list<const char*> list, const std::string& key) {
    return std::any_of(list.begin(), list.end(), [&](const char* k) { return key == k; });
  };
  for (const auto& [key, value] : *object_) {
    bool ok = in(known, key) || in(also, key);
    if (!ok) throw ApiError(422, "UNKNOWN_FIELD", "unknown field " + key, path(key));
  }
}

}  // namespace callwarden::server
