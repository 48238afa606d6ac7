#include "twilio/TwilioJson.h"

#include <Poco/DateTime.h>
#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeFormatter.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Timestamp.h>

#include <charconv>

namespace callwarden::twilio {
namespace {

using Poco::JSON::Object;

Object::Ptr parseObject(std::string_view json) {
  Poco::JSON::Parser parser;
  Poco::Dynamic::Var root = parser.parse(std::string(json));
  if (root.type() != typeid(Object::Ptr)) return nullptr;
  return root.extract<Object::Ptr>();
}

/// A string field; "" for absent, null or a non-scalar.
std::string str(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key)) return {};
  Poco::Dynamic::Var v = o->get(key);
  if (v.isEmpty() || v.isArray() || v.isStruct()) return {};
  try {
    return v.convert<std::string>();
  } catch (const Poco::Exception&) {
    return {};
  }
}

/// An integer field sent either as a number or as a numeric string ("duration":"15").
std::optional<int> integer(const Object::Ptr& o, const std::string& key) {
  std::string s = str(o, key);
  if (s.empty()) return std::nullopt;
  int value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr != s.data() + s.size()) return std::nullopt;
  return value;
}

std::optional<Timestamp> time(const Object::Ptr& o, const std::string& key) {
  return parseRfc2822(str(o, key));
}

Result<Call> callFrom(const Object::Ptr& o) {
  Call c;
  c.sid = str(o, "sid");
  if (!isValidSid(c.sid, "CA")) return Status::corruption("call resource without a valid sid");
  c.account_sid = str(o, "account_sid");
  c.parent_call_sid = str(o, "parent_call_sid");
  c.to = str(o, "to");
  c.from = str(o, "from");
  c.status_text = str(o, "status");
  c.status = parseCallStatus(c.status_text);
  c.direction = str(o, "direction");
  c.answered_by = str(o, "answered_by");
  c.date_created = time(o, "date_created");
  c.start_time = time(o, "start_time");
  c.end_time = time(o, "end_time");
  c.duration_seconds = integer(o, "duration");
  c.price = str(o, "price");
  c.price_unit = str(o, "price_unit");
  c.uri = str(o, "uri");
  return c;
}

Result<Recording> recordingFrom(const Object::Ptr& o) {
  Recording r;
  r.sid = str(o, "sid");
  if (!isValidSid(r.sid, "RE")) return Status::corruption("recording resource without a valid sid");
  r.account_sid = str(o, "account_sid");
  r.call_sid = str(o, "call_sid");
  r.conference_sid = str(o, "conference_sid");
  r.status_text = str(o, "status");
  r.status = parseRecordingStatus(r.status_text);
  r.channels = integer(o, "channels").value_or(0);
  r.source = str(o, "source");
  r.track = str(o, "track");
  r.duration_seconds = integer(o, "duration");
  r.date_created = time(o, "date_created");
  r.start_time = time(o, "start_time");
  r.error_code = integer(o, "error_code");
  r.uri = str(o, "uri");
  return r;
}

template <typename T, typename F>
Result<Page<T>> pageFrom(std::string_view json, const std::string& key, F itemFrom) {
  try {
    Object::Ptr o = parseObject(json);
    if (!o) return Status::corruption("list body is not a JSON object");
    Poco::JSON::Array::Ptr arr = o->getArray(key);
    if (!arr) return Status::corruption("list body without \"" + key + "\" array");
    Page<T> page;
    for (size_t i = 0; i < arr->size(); ++i) {
      Object::Ptr item = arr->getObject(static_cast<unsigned>(i));
      if (!item) return Status::corruption("list item is not an object");
      auto parsed = itemFrom(item);
      if (!parsed) return parsed.status();
      page.items.push_back(std::move(parsed).value());
    }
    page.next_page_uri = str(o, "next_page_uri");
    return page;
  } catch (const Poco::Exception& e) {
    return Status::corruption("invalid JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return Status::corruption(std::string("invalid JSON: ") + e.what());
  }
}

template <typename T, typename F>
Result<T> resourceFrom(std::string_view json, F itemFrom) {
  try {
    Object::Ptr o = parseObject(json);
    if (!o) return Status::corruption("resource body is not a JSON object");
    return itemFrom(o);
  } catch (const Poco::Exception& e) {
    return Status::corruption("invalid JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return Status::corruption(std::string("invalid JSON: ") + e.what());
  }
}

}  // namespace

Result<Call> parseCall(std::string_view json) {
  return resourceFrom<Call>(json, callFrom);
}

Result<Recording> parseRecording(std::string_view json) {
  return resourceFrom<Recording>(json, recordingFrom);
}

Result<Page<Call>> parseCallPage(std::string_view json) {
  return pageFrom<Call>(json, "calls", callFrom);
}

Result<Page<Recording>> parseRecordingPage(std::string_view json) {
  return pageFrom<Recording>(json, "recordings", recordingFrom);
}

std::optional<ErrorBody> parseErrorBody(std::string_view json) {
  try {
    Object::Ptr o = parseObject(json);
    if (!o || !o->has("code") || !o->has("message")) return std::nullopt;
    ErrorBody e;
    e.code = integer(o, "code").value_or(0);
    e.message = str(o, "message");
    e.more_info = str(o, "more_info");
    e.status = integer(o, "status").value_or(0);
    return e;
  } catch (const std::exception&) {
    // Poco::Exception derives from std::exception: any parse failure means "not Twilio's JSON".
    return std::nullopt;
  }
}

std::optional<Timestamp> parseRfc2822(std::string_view text) {
  if (text.empty()) return std::nullopt;
  Poco::DateTime dt;
  int tzd = 0;
  if (!Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::RFC1123_FORMAT, std::string(text), dt,
                                      tzd)) {
    return std::nullopt;
  }
  dt.makeUTC(tzd);
  // Poco::Timestamp counts microseconds since the Unix epoch, like our Timestamp.
  return Timestamp{std::chrono::microseconds{dt.timestamp().epochMicroseconds()}};
}

std::string formatRfc2822(Timestamp t) {
  Poco::Timestamp ts(t.time_since_epoch().count());
  // RFC1123_FORMAT writes "GMT"; Twilio writes "+0000".
  return Poco::DateTimeFormatter::format(ts, "%w, %d %b %Y %H:%M:%S +0000");
}

}  // namespace callwarden::twilio
