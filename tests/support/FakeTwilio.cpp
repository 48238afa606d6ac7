#include "tests/support/FakeTwilio.h"

#include <Poco/Base64Decoder.h>
#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <sstream>

#include "common/Hex.h"
#include "common/Random.h"
#include "twilio/TwilioJson.h"
#include "twilio/WebhookSignature.h"

namespace callwarden::testing {

using Poco::Dynamic::Var;
using Poco::JSON::Object;
using twilio::formUrlEncode;
using twilio::formValue;
using twilio::formValues;

namespace {

std::string newSid(const std::string& prefix) {
  return prefix + toHex(randomBytes(16));
}

/// A Twilio-generated answer: status, JSON body, optional Retry-After.
struct Answer {
  int status = 200;
  std::string body;
  std::optional<int> retry_after;
};

std::string stringify(const Object& o) {
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

Answer errorAnswer(int status, int code, const std::string& message) {
  Object o;
  o.set("code", code == 0 ? status : code);
  o.set("message", message);
  o.set("more_info",
        "https://www.twilio.com/docs/errors/" + std::to_string(code == 0 ? status : code));
  o.set("status", status);
  return Answer{status, stringify(o), std::nullopt};
}

bool isValidEndpointAddress(const std::string& to) {
  if (to.rfind("sip:", 0) == 0 || to.rfind("client:", 0) == 0) return true;
  // E.164: '+', a non-zero digit, 7 to 15 digits in all.
  if (to.size() < 8 || to.size() > 16 || to[0] != '+' || to[1] == '0') return false;
  return std::all_of(to.begin() + 1, to.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool isFinalCallStatus(const std::string& s) {
  return s == "completed" || s == "busy" || s == "failed" || s == "no-answer" || s == "canceled";
}

}  // namespace

class FakeTwilio::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)) {}

  // Everything below guarded by mutex_ unless noted.
  Options options_;  // immutable after construction
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::deque<std::pair<Endpoint, Fault>> faults_;
  std::vector<Request> requests_;
  std::vector<CallState> calls_;  // creation order
  std::vector<RecordingState> recordings_;
  std::map<std::string, std::string> transcriptions_;  // TR sid -> RE sid
  long long creation_counter_ = 0;

  // Not guarded: set once in the constructor, torn down in the destructor.
  Poco::ThreadPool pool_{2, 16};
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  unsigned short port_ = 0;

  Timestamp now() const {
    if (options_.clock) return options_.clock->now();
    return SystemClock().now();
  }
  std::string accountPrefix() const { return "/2010-04-01/Accounts/" + options_.account_sid; }

  CallState* findCall(const std::string& sid) {
    for (auto& c : calls_) {
      if (c.sid == sid) return &c;
    }
    return nullptr;
  }
  RecordingState* findRecording(const std::string& sid) {
    for (auto& r : recordings_) {
      if (r.sid == sid && !r.deleted) return &r;
    }
    return nullptr;
  }

  std::optional<Fault> takeFault(Endpoint endpoint) {
    for (auto it = faults_.begin(); it != faults_.end(); ++it) {
      if (it->first == endpoint || it->first == Endpoint::kAny) {
        Fault f = it->second;
        faults_.erase(it);
        return f;
      }
    }
    return std::nullopt;
  }

  Object callJson(const CallState& c) const {
    const std::string uri = accountPrefix() + "/Calls/" + c.sid;
    Object o;
    o.set("account_sid", options_.account_sid);
    o.set("annotation", Var());
    o.set("answered_by", Var());
    o.set("api_version", "2010-04-01");
    o.set("caller_name", Var());
    o.set("date_created", twilio::formatRfc2822(c.date_created));
    o.set("date_updated", twilio::formatRfc2822(c.date_created));
    o.set("direction", "outbound-api");
    o.set("duration", isFinalCallStatus(c.status) ? Var("0") : Var());
    o.set("end_time",
          isFinalCallStatus(c.status) ? Var(twilio::formatRfc2822(c.date_created)) : Var());
    o.set("forwarded_from", Var());
    o.set("from", c.from);
    o.set("from_formatted", c.from);
    o.set("group_sid", Var());
    o.set("parent_call_sid", Var());
    o.set("phone_number_sid", Var());
    o.set("price", Var());
    o.set("price_unit", "USD");
    o.set("sid", c.sid);
    o.set("start_time", c.status == "queued" ? Var() : Var(twilio::formatRfc2822(c.date_created)));
    o.set("status", c.status);
    Object sub;
    for (const char* name :
         {"notifications", "recordings", "payments", "events", "siprec", "streams",
          "transcriptions", "user_defined_message_subscriptions", "user_defined_messages"}) {
      std::string key = name;
      std::string seg =
          key == "user_defined_messages"                ? "UserDefinedMessages"
          : key == "user_defined_message_subscriptions" ? "UserDefinedMessageSubscriptions"
          : key == "siprec"
              ? "Siprec"
              : std::string(1, static_cast<char>(std::toupper(key[0]))) + key.substr(1);
      sub.set(key, uri + "/" + seg + ".json");
    }
    o.set("subresource_uris", sub);
    o.set("to", c.to);
    o.set("to_formatted", c.to);
    o.set("trunk_sid", Var());
    o.set("uri", uri + ".json");
    o.set("queue_time", "0");
    return o;
  }

  Object recordingJson(const RecordingState& r) const {
    Object o;
    o.set("account_sid", options_.account_sid);
    o.set("api_version", "2010-04-01");
    o.set("call_sid", r.call_sid);
    o.set("conference_sid", Var());
    o.set("channels", r.channels);
    o.set("date_created", twilio::formatRfc2822(now()));
    o.set("date_updated", twilio::formatRfc2822(now()));
    o.set("start_time", twilio::formatRfc2822(now()));
    o.set("price", Var());
    o.set("price_unit", Var());
    o.set("duration", r.status == "completed" ? Var("1") : Var());
    o.set("sid", r.sid);
    o.set("source", r.source);
    o.set("status", r.status);
    o.set("error_code", Var());
    o.set("encryption_details", Var());
    o.set("track", r.track);
    o.set("uri", accountPrefix() + "/Calls/" + r.call_sid + "/Recordings/" + r.sid + ".json");
    return o;
  }

  /// {key:[...], paging envelope}. `filters` are repeated into the page URIs.
  Answer page(const std::string& key, const std::string& path, const FormParams& filters,
              const std::vector<Object>& items, const FormParams& query) const {
    int page_size = 50;
    int page_no = 0;
    if (auto v = formValue(query, "PageSize"))
      page_size = std::clamp(std::atoi(v->c_str()), 1, 1000);
    if (auto v = formValue(query, "Page")) page_no = std::max(0, std::atoi(v->c_str()));
    auto uriFor = [&](int p) {
      FormParams q = filters;
      q.emplace_back("PageSize", std::to_string(page_size));
      q.emplace_back("Page", std::to_string(p));
      return path + "?" + formUrlEncode(q);
    };
    const size_t start = static_cast<size_t>(page_no) * static_cast<size_t>(page_size);
    Poco::JSON::Array arr;
    for (size_t i = start; i < items.size() && i < start + static_cast<size_t>(page_size); ++i)
      arr.add(items[i]);
    Object o;
    o.set(key, arr);
    o.set("end", start + arr.size() == 0 ? 0 : static_cast<int>(start + arr.size() - 1));
    o.set("first_page_uri", uriFor(0));
    bool more = start + static_cast<size_t>(page_size) < items.size();
    o.set("next_page_uri",
          more ? Var(uriFor(page_no + 1) + "&PageToken=PA" + std::to_string(page_no + 1)) : Var());
    o.set("page", page_no);
    o.set("page_size", page_size);
    o.set("previous_page_uri", page_no > 0 ? Var(uriFor(page_no - 1)) : Var());
    o.set("start", static_cast<int>(start));
    o.set("uri", uriFor(page_no));
    return Answer{200, stringify(o), std::nullopt};
  }

  bool authorized(const std::string& header) const {
    if (header.rfind("Basic ", 0) != 0) return false;
    std::istringstream in(header.substr(6));
    Poco::Base64Decoder decoder(in);
    std::string decoded;
    try {
      Poco::StreamCopier::copyToString(decoder, decoded);
    } catch (const Poco::Exception&) {
      return false;
    }
    auto colon = decoded.find(':');
    if (colon == std::string::npos) return false;
    std::string user = decoded.substr(0, colon);
    std::string pass = decoded.substr(colon + 1);
    return (user == options_.account_sid && pass == options_.auth_token) ||
           (!options_.api_key_sid.empty() && user == options_.api_key_sid &&
            pass == options_.api_key_secret);
  }

  /// Routes a request and collects the SIDs in its path into `ids` (account first).
  /// Hand-written rather than std::regex: g++ 12 -O2 with ASan warns inside <regex>.
  static Endpoint route(const std::string& method, const std::string& path,
                        std::vector<std::string>& ids) {
    std::vector<std::string> seg;
    for (size_t pos = 1; pos <= path.size();) {
      size_t next = path.find('/', pos);
      if (next == std::string::npos) next = path.size();
      seg.push_back(path.substr(pos, next - pos));
      pos = next + 1;
    }
    if (seg.size() < 4 || seg[0] != "2010-04-01" || seg[1] != "Accounts") return Endpoint::kOther;
    ids.push_back(seg[2]);
    seg.erase(seg.begin(), seg.begin() + 3);
    auto json = [](const std::string& s, std::string_view prefix) -> std::optional<std::string> {
      if (s.size() < 5 || s.compare(s.size() - 5, 5, ".json") != 0) return std::nullopt;
      std::string id = s.substr(0, s.size() - 5);
      if (prefix.empty() || twilio::isValidSid(id, prefix)) return id;
      return std::nullopt;
    };
    auto pick = [&](Endpoint get, Endpoint post, Endpoint del) {
      return method == "GET"      ? get
             : method == "POST"   ? post
             : method == "DELETE" ? del
                                  : Endpoint::kOther;
    };
    const size_t n = seg.size();
    if (n == 1 && seg[0] == "Calls.json")
      return pick(Endpoint::kListCalls, Endpoint::kCreateCall, Endpoint::kOther);
    if (n == 1 && seg[0] == "Recordings.json")
      return pick(Endpoint::kListRecordings, Endpoint::kOther, Endpoint::kOther);
    if (n == 2 && seg[0] == "Calls") {
      auto sid = json(seg[1], "CA");
      if (!sid) return Endpoint::kOther;
      ids.push_back(*sid);
      return pick(Endpoint::kFetchCall, Endpoint::kUpdateCall, Endpoint::kDeleteCall);
    }
    if (n == 2 && seg[0] == "Recordings") {
      auto sid = json(seg[1], "RE");
      if (!sid) return Endpoint::kOther;
      ids.push_back(*sid);
      return pick(Endpoint::kFetchRecording, Endpoint::kOther, Endpoint::kDeleteRecording);
    }
    if (n == 2 && seg[0] == "Transcriptions") {
      auto sid = json(seg[1], "TR");
      if (!sid) return Endpoint::kOther;
      ids.push_back(*sid);
      return pick(Endpoint::kOther, Endpoint::kOther, Endpoint::kDeleteTranscription);
    }
    if (n >= 3 && seg[0] == "Calls" && twilio::isValidSid(seg[1], "CA")) {
      ids.push_back(seg[1]);
      if (n == 3 && seg[2] == "Recordings.json") {
        return pick(Endpoint::kListCallRecordings, Endpoint::kCreateRecording, Endpoint::kOther);
      }
      if (n == 4 && seg[2] == "Recordings") {
        auto sid = json(seg[3], "");
        if (!sid || (*sid != twilio::kCurrentRecording && !twilio::isValidSid(*sid, "RE")))
          return Endpoint::kOther;
        ids.push_back(*sid);
        return pick(Endpoint::kFetchCallRecording, Endpoint::kUpdateRecording,
                    Endpoint::kDeleteCallRecording);
      }
    }
    return Endpoint::kOther;
  }

  // --- operations; mutex_ held --------------------------------------------------------------

  Answer createCall(const FormParams& form) {
    const std::string to = formValue(form, "To").value_or("");
    const std::string from = formValue(form, "From").value_or("");
    if (to.empty()) return errorAnswer(400, 21201, "No 'To' number is specified");
    if (from.empty()) return errorAnswer(400, 21213, "No 'From' number is specified");
    if (!formValue(form, "Url") && !formValue(form, "Twiml") &&
        !formValue(form, "ApplicationSid")) {
      return errorAnswer(400, 21205, "Url, Twiml or ApplicationSid is required");
    }
    static const std::map<std::string, std::pair<int, std::string>> kMagic{
        {"+15005550001", {21217, "Phone number does not appear to be valid"}},
        {"+15005550002", {21214, "'To' phone number cannot be reached"}},
        {"+15005550003", {21215, "Account not authorized to call this number"}},
        {"+15005550004", {21216, "Call blocked by Twilio blocklist"}},
    };
    if (auto it = kMagic.find(to); it != kMagic.end())
      return errorAnswer(400, it->second.first, it->second.second);
    if (!isValidEndpointAddress(to))
      return errorAnswer(400, 21211, "Invalid 'To' Phone Number: " + to);
    CallState c;
    c.sid = newSid("CA");
    c.to = to;
    c.from = from;
    c.status = "queued";
    c.create_params = form;
    c.status_callback = formValue(form, "StatusCallback").value_or("");
    c.status_callback_method = formValue(form, "StatusCallbackMethod").value_or("POST");
    c.status_callback_events = formValues(form, "StatusCallbackEvent");
    c.recording_status_callback = formValue(form, "RecordingStatusCallback").value_or("");
    c.date_created = now() + std::chrono::microseconds(creation_counter_++);
    calls_.push_back(c);
    if (formValue(form, "Record") == std::optional<std::string>("true")) {
      RecordingState r;
      r.sid = newSid("RE");
      r.call_sid = c.sid;
      r.status = "in-progress";
      r.channels =
          formValue(form, "RecordingChannels") == std::optional<std::string>("dual") ? 2 : 1;
      r.source = "OutboundAPI";
      r.recording_status_callback = c.recording_status_callback;
      r.recording_status_callback_method =
          formValue(form, "RecordingStatusCallbackMethod").value_or("POST");
      recordings_.push_back(r);
    }
    return Answer{201, stringify(callJson(c)), std::nullopt};
  }

  Answer listCalls(const std::string& path, const FormParams& query) {
    FormParams filters;
    std::vector<const CallState*> matched;
    for (const char* name : {"To", "From", "Status", "ParentCallSid"}) {
      if (auto v = formValue(query, name)) filters.emplace_back(name, *v);
    }
    for (const auto& c : calls_) {
      bool ok = true;
      for (const auto& [name, value] : filters) {
        const std::string& have = name == "To"       ? c.to
                                  : name == "From"   ? c.from
                                  : name == "Status" ? c.status
                                                     : "";
        if (name != "ParentCallSid" && have != value) ok = false;
        if (name == "ParentCallSid") ok = false;  // we only create parent legs
      }
      if (ok) matched.push_back(&c);
    }
    std::stable_sort(matched.begin(), matched.end(), [](const CallState* a, const CallState* b) {
      return a->date_created > b->date_created;
    });
    std::vector<Object> items;
    for (const auto* c : matched) items.push_back(callJson(*c));
    return page("calls", path, filters, items, query);
  }

  void finishRecordings(const std::string& call_sid) {
    for (auto& r : recordings_) {
      if (r.call_sid == call_sid && (r.status == "in-progress" || r.status == "paused"))
        r.status = "completed";
    }
  }

  Answer updateCall(CallState& c, const FormParams& form) {
    auto status = formValue(form, "Status");
    if (status) {
      if (*status != "canceled" && *status != "completed")
        return errorAnswer(400, 20001, "Invalid Status");
      if (!isFinalCallStatus(c.status)) {
        // canceled only applies to calls not yet answered (twilio.md §1.2).
        c.status = (*status == "canceled" && c.status == "in-progress") ? c.status : *status;
        if (isFinalCallStatus(c.status)) finishRecordings(c.sid);
      }
    }
    return Answer{200, stringify(callJson(c)), std::nullopt};
  }

  Answer createRecording(CallState& c, const FormParams& form) {
    if (c.status != "in-progress") {
      return errorAnswer(400, 21220, "Call is not in-progress. Cannot create recording.");
    }
    RecordingState r;
    r.sid = newSid("RE");
    r.call_sid = c.sid;
    r.status = "in-progress";
    r.channels = formValue(form, "RecordingChannels") == std::optional<std::string>("dual") ? 2 : 1;
    r.source = "StartCallRecordingAPI";
    r.track = formValue(form, "RecordingTrack").value_or("both");
    r.recording_status_callback = formValue(form, "RecordingStatusCallback").value_or("");
    r.recording_status_callback_method =
        formValue(form, "RecordingStatusCallbackMethod").value_or("POST");
    recordings_.push_back(r);
    return Answer{201, stringify(recordingJson(r)), std::nullopt};
  }

  RecordingState* resolveRecording(const std::string& call_sid, const std::string& sid) {
    if (sid == twilio::kCurrentRecording) {
      RecordingState* current = nullptr;
      for (auto& r : recordings_) {
        if (r.call_sid == call_sid && !r.deleted &&
            (r.status == "in-progress" || r.status == "paused"))
          current = &r;
      }
      return current;
    }
    RecordingState* r = findRecording(sid);
    return r && r->call_sid == call_sid ? r : nullptr;
  }

  Answer updateRecording(CallState& c, const std::string& rec_sid, const FormParams& form,
                         const std::optional<Fault>& fault) {
    auto status = formValue(form, "Status");
    if (!status || (*status != "paused" && *status != "in-progress" && *status != "stopped")) {
      return errorAnswer(400, 20001, "Status must be paused, in-progress or stopped");
    }
    if (c.status != "in-progress") {
      return errorAnswer(400, 21220, "Call is not in-progress. Cannot update recording.");
    }
    RecordingState* r = resolveRecording(c.sid, rec_sid);
    if (!r) return errorAnswer(404, 20404, "The requested resource was not found");
    if (fault && fault->kind == Fault::Kind::kWrongRecordingStatus) {
      RecordingState shown = *r;
      shown.status = fault->wrong_status;
      return Answer{200, stringify(recordingJson(shown)), std::nullopt};
    }
    if (r->status == "stopped" || r->status == "completed") {
      return errorAnswer(400, 20001, "Recording is stopped and cannot be updated");
    }
    r->status = *status;
    if (*status == "paused")
      r->pause_behavior = formValue(form, "PauseBehavior").value_or("silence");
    return Answer{200, stringify(recordingJson(*r)), std::nullopt};
  }

  Answer handle(Endpoint endpoint, const std::vector<std::string>& ids, const std::string& path,
                const FormParams& query, const FormParams& form,
                const std::optional<Fault>& fault) {
    auto notFound = [] { return errorAnswer(404, 20404, "The requested resource was not found"); };
    switch (endpoint) {
      case Endpoint::kCreateCall:
        return createCall(form);
      case Endpoint::kListCalls:
        return listCalls(path, query);
      case Endpoint::kFetchCall:
      case Endpoint::kUpdateCall:
      case Endpoint::kDeleteCall:
      case Endpoint::kCreateRecording:
      case Endpoint::kListCallRecordings:
      case Endpoint::kUpdateRecording:
      case Endpoint::kFetchCallRecording:
      case Endpoint::kDeleteCallRecording: {
        CallState* c = findCall(ids.at(1));
        if (!c) return notFound();
        if (endpoint == Endpoint::kFetchCall)
          return Answer{200, stringify(callJson(*c)), std::nullopt};
        if (endpoint == Endpoint::kUpdateCall) return updateCall(*c, form);
        if (endpoint == Endpoint::kDeleteCall) {
          calls_.erase(std::find_if(calls_.begin(), calls_.end(),
                                    [&](const CallState& x) { return x.sid == c->sid; }));
          return Answer{204, "", std::nullopt};
        }
        if (endpoint == Endpoint::kCreateRecording) return createRecording(*c, form);
        if (endpoint == Endpoint::kUpdateRecording)
          return updateRecording(*c, ids.at(2), form, fault);
        if (endpoint == Endpoint::kListCallRecordings) {
          std::vector<Object> items;
          for (const auto& r : recordings_) {
            if (r.call_sid == c->sid && !r.deleted) items.push_back(recordingJson(r));
          }
          return page("recordings", path, {}, items, query);
        }
        RecordingState* r = resolveRecording(c->sid, ids.at(2));
        if (!r) return notFound();
        if (endpoint == Endpoint::kFetchCallRecording)
          return Answer{200, stringify(recordingJson(*r)), std::nullopt};
        r->deleted = true;
        return Answer{204, "", std::nullopt};
      }
      case Endpoint::kListRecordings: {
        auto call_sid = formValue(query, "CallSid");
        FormParams filters;
        if (call_sid) filters.emplace_back("CallSid", *call_sid);
        std::vector<Object> items;
        for (const auto& r : recordings_) {
          if (!r.deleted && (!call_sid || r.call_sid == *call_sid))
            items.push_back(recordingJson(r));
        }
        return page("recordings", path, filters, items, query);
      }
      case Endpoint::kFetchRecording:
      case Endpoint::kDeleteRecording: {
        RecordingState* r = findRecording(ids.at(1));
        if (!r) return notFound();
        if (endpoint == Endpoint::kFetchRecording)
          return Answer{200, stringify(recordingJson(*r)), std::nullopt};
        r->deleted = true;
        return Answer{204, "", std::nullopt};
      }
      case Endpoint::kDeleteTranscription: {
        if (transcriptions_.erase(ids.at(1)) == 0) return notFound();
        return Answer{204, "", std::nullopt};
      }
      default:
        return notFound();
    }
  }

  /// Entry point for every request (runs on a server thread).
  void serve(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) {
    Request rec;
    rec.method = request.getMethod();
    Poco::URI uri(request.getURI());
    rec.path = uri.getPath();
    rec.query = twilio::parseFormUrlEncoded(uri.getRawQuery()).value_or(FormParams{});
    Poco::StreamCopier::copyToString(request.stream(), rec.body);
    rec.content_type = request.getContentType();
    if (rec.content_type.rfind("application/x-www-form-urlencoded", 0) == 0) {
      rec.form = twilio::parseFormUrlEncoded(rec.body).value_or(FormParams{});
    }
    rec.authorization = request.get("Authorization", "");
    std::vector<std::string> ids;
    rec.endpoint = route(rec.method, rec.path, ids);

    std::unique_lock<std::mutex> lock(mutex_);
    const size_t index = requests_.size();
    requests_.push_back(rec);
    std::optional<Fault> fault = takeFault(rec.endpoint);

    Answer answer;
    bool reset = false;
    if (!authorized(rec.authorization) || (!ids.empty() && ids[0] != options_.account_sid)) {
      answer = errorAnswer(401, 20003, "Authenticate");
    } else if (fault && fault->kind == Fault::Kind::kDelay) {
      // Wait without holding the state lock longer than needed; the destructor cuts it short.
      stop_cv_.wait_for(lock, fault->delay, [&] { return stopping_; });
      answer = handle(rec.endpoint, ids, rec.path, rec.query, rec.form, fault);
    } else if (fault && fault->kind == Fault::Kind::kWrongRecordingStatus) {
      answer = handle(rec.endpoint, ids, rec.path, rec.query, rec.form, fault);
    } else if (fault) {
      if (fault->perform_operation)
        (void)handle(rec.endpoint, ids, rec.path, rec.query, rec.form, std::nullopt);
      if (fault->kind == Fault::Kind::kReset) {
        reset = true;
      } else if (!fault->raw_body.empty()) {
        answer = Answer{fault->http_status, fault->raw_body, fault->retry_after_seconds};
      } else {
        answer = errorAnswer(fault->http_status, fault->code, fault->message);
        answer.retry_after = fault->retry_after_seconds;
      }
    } else {
      answer = handle(rec.endpoint, ids, rec.path, rec.query, rec.form, std::nullopt);
    }
    requests_[index].answered_status = reset ? 0 : answer.status;
    lock.unlock();

    if (reset) {
      // SO_LINGER 0 + close sends a TCP RST: the client sees "connection reset by peer".
      auto& impl = static_cast<Poco::Net::HTTPServerRequestImpl&>(request);
      impl.socket().setLinger(true, 0);
      impl.socket().close();
      return;
    }
    response.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status));
    if (answer.retry_after) response.set("Retry-After", std::to_string(*answer.retry_after));
    if (answer.status == 204) {
      response.setContentLength(0);
      response.send();
      return;
    }
    response.setContentType("application/json; charset=utf-8");
    response.setContentLength(static_cast<std::streamsize>(answer.body.size()));
    response.send() << answer.body;
  }

  Result<CallbackResponse> sendSigned(const std::string& url, const FormParams& params,
                                      const std::string& method,
                                      const CallbackOptions& options) const {
    try {
      const bool get = method == "GET";
      std::string full_url = url;
      if (get && !params.empty())
        full_url += (url.find('?') == std::string::npos ? "?" : "&") + formUrlEncode(params);
      std::string sign_url = options.sign_url.empty() ? full_url : options.sign_url;
      if (get && !options.sign_url.empty() && !params.empty()) {
        sign_url += (sign_url.find('?') == std::string::npos ? "?" : "&") + formUrlEncode(params);
      }
      twilio::WebhookSignature signer(options.auth_token.value_or(options_.auth_token));
      std::string signature =
          options.signature.value_or(signer.compute(sign_url, get ? FormParams{} : params));

      if (!options.deliver_to.empty()) {
        const size_t scheme = full_url.find("://");
        const size_t path = scheme == std::string::npos ? 0 : full_url.find('/', scheme + 3);
        full_url = options.deliver_to +
                   (path == std::string::npos ? std::string("/") : full_url.substr(path));
      }
      Poco::URI target(full_url);
      Poco::Net::HTTPClientSession session(target.getHost(), target.getPort());
      session.setTimeout(Poco::Timespan(10, 0));
      Poco::Net::HTTPRequest request(method, target.getPathAndQuery(),
                                     Poco::Net::HTTPMessage::HTTP_1_1);
      request.set("X-Twilio-Signature", signature);
      request.set("User-Agent", "TwilioProxy/1.1");
      request.set("I-Twilio-Idempotency-Token", newSid(""));
      const std::string body = get ? std::string() : formUrlEncode(params);
      if (!get) {
        request.setContentType("application/x-www-form-urlencoded");
        request.setContentLength(static_cast<std::streamsize>(body.size()));
      }
      session.sendRequest(request) << body;
      Poco::Net::HTTPResponse response;
      std::istream& in = session.receiveResponse(response);
      CallbackResponse out;
      out.status = static_cast<int>(response.getStatus());
      Poco::StreamCopier::copyToString(in, out.body);
      return out;
    } catch (const Poco::Exception& e) {
      return Status::unavailable("callback to " + url + " failed: " + e.displayText());
    }
  }
};

namespace {

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(FakeTwilio::Impl& impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    impl_.serve(request, response);
  }

 private:
  FakeTwilio::Impl& impl_;
};

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit HandlerFactory(FakeTwilio::Impl& impl) : impl_(impl) {}
  // Poco owns and deletes the handler (its contract); it holds no state of its own.
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  FakeTwilio::Impl& impl_;
};

}  // namespace

FakeTwilio::FakeTwilio() : FakeTwilio(Options{}) {}

FakeTwilio::FakeTwilio(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  impl_->port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(16);
  params->setKeepAlive(false);
  impl_->server_ = std::make_unique<Poco::Net::HTTPServer>(new HandlerFactory(*impl_), impl_->pool_,
                                                           socket, params);
  impl_->server_->start();
}

FakeTwilio::~FakeTwilio() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    impl_->stopping_ = true;
  }
  impl_->stop_cv_.notify_all();
  impl_->server_->stopAll(true);
  impl_->pool_.joinAll();
  impl_->server_.reset();
}

std::string FakeTwilio::baseUrl() const {
  return "http://127.0.0.1:" + std::to_string(impl_->port_);
}
unsigned short FakeTwilio::port() const {
  return impl_->port_;
}
const std::string& FakeTwilio::accountSid() const {
  return impl_->options_.account_sid;
}
const std::string& FakeTwilio::authToken() const {
  return impl_->options_.auth_token;
}

twilio::TwilioClientOptions FakeTwilio::clientOptions() const {
  twilio::TwilioClientOptions o;
  o.base_url = baseUrl();
  o.credentials = twilio::TwilioCredentials::authToken(accountSid(), authToken());
  o.connect_timeout = std::chrono::milliseconds(2000);
  o.read_timeout = std::chrono::milliseconds(2000);
  return o;
}

void FakeTwilio::addFault(Endpoint endpoint, Fault fault, int times) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  for (int i = 0; i < times; ++i) impl_->faults_.emplace_back(endpoint, fault);
}

void FakeTwilio::failNext(Endpoint endpoint, int http_status, int code, std::string message,
                          int times) {
  Fault f;
  f.kind = Fault::Kind::kError;
  f.http_status = http_status;
  f.code = code;
  f.message = std::move(message);
  addFault(endpoint, f, times);
}

void FakeTwilio::rateLimitNext(Endpoint endpoint, int retry_after_seconds, int times) {
  Fault f;
  f.kind = Fault::Kind::kError;
  f.http_status = 429;
  f.code = 20429;
  f.message = "Too Many Requests";
  f.retry_after_seconds = retry_after_seconds;
  addFault(endpoint, f, times);
}

void FakeTwilio::delayNext(Endpoint endpoint, std::chrono::milliseconds delay, int times) {
  Fault f;
  f.kind = Fault::Kind::kDelay;
  f.delay = delay;
  addFault(endpoint, f, times);
}

void FakeTwilio::resetNext(Endpoint endpoint, bool perform_operation, int times) {
  Fault f;
  f.kind = Fault::Kind::kReset;
  f.perform_operation = perform_operation;
  addFault(endpoint, f, times);
}

void FakeTwilio::answerWrongRecordingStatus(std::string status, int times) {
  Fault f;
  f.kind = Fault::Kind::kWrongRecordingStatus;
  f.wrong_status = std::move(status);
  addFault(Endpoint::kUpdateRecording, f, times);
}

void FakeTwilio::clearFaults() {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  impl_->faults_.clear();
}

std::vector<FakeTwilio::Request> FakeTwilio::requests(Endpoint endpoint) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  std::vector<Request> out;
  for (const auto& r : impl_->requests_) {
    if (endpoint == Endpoint::kAny || r.endpoint == endpoint) out.push_back(r);
  }
  return out;
}

void FakeTwilio::clearRequests() {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  impl_->requests_.clear();
}

std::optional<FakeTwilio::CallState> FakeTwilio::call(const std::string& sid) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  const CallState* c = impl_->findCall(sid);
  if (!c) return std::nullopt;
  return *c;
}

std::vector<FakeTwilio::CallState> FakeTwilio::calls() const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  return impl_->calls_;
}

std::optional<FakeTwilio::RecordingState> FakeTwilio::recording(const std::string& sid) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  for (const auto& r : impl_->recordings_) {
    if (r.sid == sid) return r;
  }
  return std::nullopt;
}

std::vector<FakeTwilio::RecordingState> FakeTwilio::recordings() const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  return impl_->recordings_;
}

std::string FakeTwilio::addCall(const std::string& to, const std::string& from,
                                const std::string& status) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  CallState c;
  c.sid = newSid("CA");
  c.to = to;
  c.from = from;
  c.status = status;
  c.date_created = impl_->now() + std::chrono::microseconds(impl_->creation_counter_++);
  impl_->calls_.push_back(c);
  return c.sid;
}

void FakeTwilio::setCallStatus(const std::string& sid, const std::string& status) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  CallState* c = impl_->findCall(sid);
  if (!c) return;
  c->status = status;
  if (isFinalCallStatus(status)) impl_->finishRecordings(sid);
}

std::string FakeTwilio::addTranscription(const std::string& recording_sid) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  std::string sid = newSid("TR");
  impl_->transcriptions_[sid] = recording_sid;
  return sid;
}

std::string FakeTwilio::addRecording(const std::string& call_sid,
                                     const std::string& recording_status_callback,
                                     const std::string& source) {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  RecordingState r;
  r.sid = newSid("RE");
  r.call_sid = call_sid;
  r.status = "in-progress";
  r.channels = 2;
  r.source = source;
  r.recording_status_callback = recording_status_callback;
  r.recording_status_callback_method = "POST";
  impl_->recordings_.push_back(r);
  return r.sid;
}

bool FakeTwilio::transcriptionExists(const std::string& sid) const {
  std::lock_guard<std::mutex> lock(impl_->mutex_);
  return impl_->transcriptions_.count(sid) != 0;
}

Result<FakeTwilio::CallbackResponse> FakeTwilio::sendStatusCallback(
    const std::string& call_sid, const std::string& event, const FormParams& extra,
    const CallbackOptions& options) {
  FormParams params;
  std::string url;
  std::string method;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    CallState* c = impl_->findCall(call_sid);
    if (!c) return Status::notFound("no call " + call_sid);
    if (c->status_callback.empty()) return Status::invalidArgument("call has no StatusCallback");
    std::string call_status;
    if (event == "initiated") {
      call_status = "initiated";
    } else if (event == "ringing") {
      call_status = c->status = "ringing";
    } else if (event == "answered") {
      call_status = c->status = "in-progress";
    } else if (event == "completed") {
      if (!isFinalCallStatus(c->status)) c->status = "completed";
      impl_->finishRecordings(c->sid);
      call_status = c->status;
    } else {
      return Status::invalidArgument("unknown status callback event " + event);
    }
    url = c->status_callback;
    method = c->status_callback_method.empty() ? "POST" : c->status_callback_method;
    params = {
        {"AccountSid", impl_->options_.account_sid},
        {"ApiVersion", "2010-04-01"},
        {"CallSid", c->sid},
        {"CallStatus", call_status},
        {"Called", c->to},
        {"Caller", c->from},
        {"CallbackSource", "call-progress-events"},
        {"Direction", "outbound-api"},
        {"From", c->from},
        {"SequenceNumber", std::to_string(c->next_sequence_number++)},
        {"Timestamp", twilio::formatRfc2822(impl_->now())},
        {"To", c->to},
    };
    if (event == "completed") {
      params.emplace_back("CallDuration", "0");
      params.emplace_back("Duration", "0");
    }
  }
  params.insert(params.end(), extra.begin(), extra.end());
  return impl_->sendSigned(url, params, method, options);
}

Result<FakeTwilio::CallbackResponse> FakeTwilio::sendRecordingCallback(
    const std::string& recording_sid, const std::string& status, const FormParams& extra,
    const CallbackOptions& options) {
  FormParams params;
  std::string url;
  std::string method;
  {
    std::lock_guard<std::mutex> lock(impl_->mutex_);
    RecordingState* r = nullptr;
    for (auto& x : impl_->recordings_) {
      if (x.sid == recording_sid) r = &x;
    }
    if (!r) return Status::notFound("no recording " + recording_sid);
    if (r->recording_status_callback.empty())
      return Status::invalidArgument("recording has no callback URL");
    if (status != "in-progress" && status != "completed" && status != "absent") {
      return Status::invalidArgument("unknown recording status " + status);
    }
    if (status != "in-progress") r->status = status;
    url = r->recording_status_callback;
    method =
        r->recording_status_callback_method.empty() ? "POST" : r->recording_status_callback_method;
    params = {
        {"AccountSid", impl_->options_.account_sid},
        {"CallSid", r->call_sid},
        {"ErrorCode", "0"},
        {"RecordingChannels", std::to_string(r->channels)},
        {"RecordingDuration", status == "completed" ? "1" : "0"},
        {"RecordingSid", r->sid},
        {"RecordingSource", r->source},
        {"RecordingStartTime", twilio::formatRfc2822(impl_->now())},
        {"RecordingStatus", status},
        {"RecordingTrack", r->track},
        {"RecordingUrl",
         "https://api.twilio.com" + impl_->accountPrefix() + "/Recordings/" + r->sid},
    };
  }
  params.insert(params.end(), extra.begin(), extra.end());
  return impl_->sendSigned(url, params, method, options);
}

Result<FakeTwilio::CallbackResponse> FakeTwilio::sendSignedRequest(const std::string& url,
                                                                   const FormParams& params,
                                                                   const std::string& method,
                                                                   const CallbackOptions& options) {
  return impl_->sendSigned(url, params, method, options);
}

}  // namespace callwarden::testing
