#include "twilio/TwilioClient.h"

#include <Poco/DateTimeFormat.h>
#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPBasicCredentials.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SSLException.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Timespan.h>
#include <Poco/URI.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <istream>
#include <mutex>
#include <optional>
#include <ostream>

#include "common/Random.h"
#include "twilio/TwilioJson.h"

namespace callwarden::twilio {

struct TwilioClient::Tls {
  Poco::Net::Context::Ptr context;
};

namespace {

using std::chrono::milliseconds;

// Twilio list and resource bodies are small; anything larger is not a Twilio answer.
constexpr size_t kMaxBodyBytes = 8 * 1024 * 1024;

constexpr std::array<std::string_view, 4> kStatusCallbackEvents{"initiated", "ringing", "answered",
                                                                "completed"};
constexpr std::array<std::string_view, 3> kRecordingCallbackEvents{"in-progress", "completed",
                                                                   "absent"};

void initializeSslOnce() {
  static std::once_flag once;
  // Never uninitialised: the client may live until exit, and OpenSSL 3 cleans up by itself.
  std::call_once(once, [] { Poco::Net::initializeSSL(); });
}

bool isLoopbackHost(const std::string& host) {
  return host == "127.0.0.1" || host == "localhost" || host == "::1" || host == "[::1]";
}

TwilioError invalidRequest(std::string message) {
  TwilioError e;
  e.failure = TwilioFailure::kInvalidRequest;
  e.message = std::move(message);
  return e;
}

template <size_t N>
std::optional<std::string> firstUnknown(const std::vector<std::string>& values,
                                        const std::array<std::string_view, N>& allowed) {
  for (const auto& v : values) {
    if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) return v;
  }
  return std::nullopt;
}

/// Retry-After is either delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
std::optional<milliseconds> parseRetryAfter(const std::string& value) {
  if (value.empty()) return std::nullopt;
  long long seconds = 0;
  auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec == std::errc() && ptr == value.data() + value.size() && seconds >= 0) {
    return milliseconds(seconds * 1000);
  }
  Poco::DateTime when;
  int tzd = 0;
  if (Poco::DateTimeParser::tryParse(Poco::DateTimeFormat::HTTP_FORMAT, value, when, tzd)) {
    when.makeUTC(tzd);
    Poco::Timespan delta = when.timestamp() - Poco::Timestamp();
    return milliseconds(std::max<long long>(0, delta.totalMilliseconds()));
  }
  return std::nullopt;
}

bool isRetryableStatus(int status) {
  return status == 408 || status == 429 || status >= 500;
}

/// Where one HTTP attempt ended. The split between kNotSent and kNoAnswer is what lets a create
/// be retried after "connection refused" but never after "sent, then timed out".
enum class Phase { kNotSent, kTlsFailure, kNoAnswer, kAnswered };

struct Attempt {
  Phase phase = Phase::kNotSent;
  int status = 0;
  std::string body;
  std::optional<milliseconds> retry_after;
  std::string error;
};

TwilioError errorFromAnswer(TwilioFailure failure, const Attempt& a, int attempts) {
  TwilioError e;
  e.failure = failure;
  e.http_status = a.status;
  e.retry_after = a.retry_after;
  e.attempts = attempts;
  if (auto body = parseErrorBody(a.body)) {
    e.code = body->code;
    e.message = body->message;
    e.more_info = body->more_info;
  } else {
    // Not Twilio's JSON (a proxy's HTML page, an empty 503): keep the status and a snippet.
    e.message =
        "HTTP " + std::to_string(a.status) + (a.body.empty() ? "" : ": " + a.body.substr(0, 200));
  }
  return e;
}

TwilioError errorWithoutAnswer(TwilioFailure failure, const Attempt& a, int attempts) {
  TwilioError e;
  e.failure = failure;
  e.message = a.error;
  e.attempts = attempts;
  return e;
}

TwilioError badResponse(const Status& status, int http_status) {
  TwilioError e;
  e.failure = TwilioFailure::kBadResponse;
  e.http_status = http_status;
  e.message = status.message();
  e.attempts = 1;
  return e;
}

}  // namespace

TwilioCredentials TwilioCredentials::authToken(std::string account_sid, std::string auth_token) {
  TwilioCredentials c;
  c.username = account_sid;
  c.account_sid = std::move(account_sid);
  c.secret = std::move(auth_token);
  return c;
}

TwilioCredentials TwilioCredentials::apiKey(std::string account_sid, std::string key_sid,
                                            std::string key_secret) {
  TwilioCredentials c;
  c.account_sid = std::move(account_sid);
  c.username = std::move(key_sid);
  c.secret = std::move(key_secret);
  return c;
}

Result<std::unique_ptr<TwilioClient>> TwilioClient::create(TwilioClientOptions options) {
  const auto& creds = options.credentials;
  if (!isValidSid(creds.account_sid, "AC")) {
    return Status::invalidArgument("account SID must be AC followed by 32 hex digits",
                                   "account_sid");
  }
  if (creds.username.empty() || creds.secret.empty()) {
    return Status::invalidArgument("Twilio credentials are incomplete", "credentials");
  }
  if (options.connect_timeout.count() <= 0 || options.read_timeout.count() <= 0) {
    return Status::invalidArgument("timeouts must be positive", "timeout");
  }
  if (options.retry.max_attempts < 1) {
    return Status::invalidArgument("retry.max_attempts must be at least 1", "retry");
  }
  Poco::URI uri;
  try {
    uri = Poco::URI(options.base_url);
  } catch (const Poco::Exception& e) {
    return Status::invalidArgument("base_url: " + e.displayText(), "base_url");
  }
  if (uri.getScheme() != "https" && uri.getScheme() != "http") {
    return Status::invalidArgument("base_url must be https:// (or http:// for loopback)",
                                   "base_url");
  }
  if (uri.getHost().empty() || !uri.getQuery().empty() || !uri.getFragment().empty()) {
    return Status::invalidArgument("base_url must be scheme://host[:port][/prefix]", "base_url");
  }
  if (uri.getScheme() == "http" && !isLoopbackHost(uri.getHost()) && !options.allow_insecure_http) {
    return Status::invalidArgument("plain http:// is only allowed for loopback hosts", "base_url");
  }

  std::unique_ptr<TwilioClient> client(new TwilioClient(std::move(options)));
  client->https_ = uri.getScheme() == "https";
  client->host_ = uri.getHost();
  client->port_ = uri.getPort();
  client->base_path_ = uri.getPath();
  while (!client->base_path_.empty() && client->base_path_.back() == '/')
    client->base_path_.pop_back();
  if (client->https_) {
    initializeSslOnce();
    try {
      Poco::Net::Context::Params params;
      params.verificationMode = Poco::Net::Context::VERIFY_STRICT;
      params.verificationDepth = 9;
      params.loadDefaultCAs = client->options_.ca_location.empty();
      params.caLocation = client->options_.ca_location;
      params.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4";
      auto tls = std::make_unique<Tls>();
      tls->context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params);
      tls->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
      client->tls_ = std::move(tls);
    } catch (const Poco::Exception& e) {
      return Status::invalidArgument("TLS context: " + e.displayText(), "ca_location");
    }
  }
  Poco::Net::HTTPRequest probe;
  Poco::Net::HTTPBasicCredentials(client->options_.credentials.username,
                                  client->options_.credentials.secret)
      .authenticate(probe);
  client->authorization_ = probe.get(Poco::Net::HTTPRequest::AUTHORIZATION);
  return client;
}

TwilioClient::TwilioClient(TwilioClientOptions options)
    : options_(std::move(options)),
      sleeper_(options_.sleeper ? options_.sleeper : std::make_shared<ThreadSleeper>()) {
  uint64_t seed = 0;
  randomBytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
  jitter_.seed(seed);
}

TwilioClient::~TwilioClient() = default;

std::string TwilioClient::accountPath(std::string_view rest) const {
  return "/2010-04-01/Accounts/" + options_.credentials.account_sid + std::string(rest);
}

milliseconds TwilioClient::backoff(int attempt) {
  // "Equal jitter": half the exponential step is fixed, half random, so waits still grow
  // while concurrent clients spread out.
  long long step = options_.retry.initial_backoff.count();
  for (int i = 1; i < attempt && step < options_.retry.max_backoff.count(); ++i) step *= 2;
  step = std::min<long long>(step, options_.retry.max_backoff.count());
  std::lock_guard<std::mutex> lock(jitter_mutex_);
  std::uniform_int_distribution<long long> half(0, step / 2);
  return milliseconds(step - step / 2 + half(jitter_));
}

TwilioResult<TwilioClient::Response> TwilioClient::execute(const std::string& method,
                                                           const std::string& path,
                                                           const FormParams* form, Repeat repeat) {
  const std::string body = form ? formUrlEncode(*form) : std::string();
  for (int attempt = 1;; ++attempt) {
    Attempt a;
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (https_) {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(host_, port_, tls_->context);
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(host_, port_);
    }
    session->setTimeout(Poco::Timespan(options_.connect_timeout.count() * 1000),
                        Poco::Timespan(options_.read_timeout.count() * 1000),
                        Poco::Timespan(options_.read_timeout.count() * 1000));
    session->setKeepAlive(false);

    Poco::Net::HTTPRequest request(method, base_path_ + path, Poco::Net::HTTPMessage::HTTP_1_1);
    request.set("Accept", "application/json");
    request.set("User-Agent", options_.user_agent);
    request.set(Poco::Net::HTTPRequest::AUTHORIZATION, authorization_);
    if (form) {
      request.setContentType("application/x-www-form-urlencoded");
      request.setContentLength(static_cast<std::streamsize>(body.size()));
    }

    a.phase = Phase::kNotSent;
    try {
      std::ostream& out = session->sendRequest(request);
      out << body;
      out.flush();
      if (!out.good()) throw Poco::Net::NetException("request body could not be written");
      a.phase = Phase::kNoAnswer;
      Poco::Net::HTTPResponse response;
      std::istream& in = session->receiveResponse(response);
      a.status = static_cast<int>(response.getStatus());
      a.retry_after = parseRetryAfter(response.get("Retry-After", ""));
      std::array<char, 8192> buffer{};
      while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0) {
        a.body.append(buffer.data(), static_cast<size_t>(in.gcount()));
        if (a.body.size() > kMaxBodyBytes)
          throw Poco::Net::MessageException("response body too large");
      }
      if (in.bad()) throw Poco::Net::NetException("response body could not be read");
      a.phase = Phase::kAnswered;
    } catch (const Poco::Net::SSLException& e) {
      // Certificate or handshake failure: a configuration problem, not worth retrying.
      if (a.phase == Phase::kNotSent) a.phase = Phase::kTlsFailure;
      a.error = e.displayText();
    } catch (const Poco::Exception& e) {
      a.error = e.displayText();
    } catch (const std::exception& e) {
      a.error = e.what();
    }

    const bool can_retry = attempt < options_.retry.max_attempts;
    std::optional<milliseconds> wait;
    switch (a.phase) {
      case Phase::kTlsFailure:
        return errorWithoutAnswer(TwilioFailure::kUnavailable, a, attempt);
      case Phase::kNotSent:
        // Nothing reached Twilio, so even a create may be sent again.
        if (!can_retry) return errorWithoutAnswer(TwilioFailure::kUnavailable, a, attempt);
        wait = backoff(attempt);
        break;
      case Phase::kNoAnswer:
        if (repeat == Repeat::kNever)
          return errorWithoutAnswer(TwilioFailure::kOutcomeUnknown, a, attempt);
        if (!can_retry) return errorWithoutAnswer(TwilioFailure::kUnavailable, a, attempt);
        wait = backoff(attempt);
        break;
      case Phase::kAnswered:
        if (a.status >= 200 && a.status < 300) return Response{a.status, std::move(a.body)};
        if (!isRetryableStatus(a.status))
          return errorFromAnswer(TwilioFailure::kRefused, a, attempt);
        if (repeat == Repeat::kNever) {
          // 429 is a refusal before any work; a 5xx or 408 may come after the call was created.
          return errorFromAnswer(
              a.status == 429 ? TwilioFailure::kRefused : TwilioFailure::kOutcomeUnknown, a,
              attempt);
        }
        if (!can_retry || (a.retry_after && *a.retry_after > options_.retry.max_retry_after)) {
          return errorFromAnswer(TwilioFailure::kUnavailable, a, attempt);
        }
        wait = std::max(backoff(attempt), a.retry_after.value_or(milliseconds(0)));
        break;
    }
    sleeper_->sleepFor(*wait);
  }
}

TwilioResult<Call> TwilioClient::createCall(const CreateCallRequest& r) {
  if (r.to.empty() || r.from.empty()) return invalidRequest("To and From are required");
  int targets =
      (r.url.empty() ? 0 : 1) + (r.twiml.empty() ? 0 : 1) + (r.application_sid.empty() ? 0 : 1);
  if (targets != 1) return invalidRequest("exactly one of Url, Twiml, ApplicationSid is required");
  if (r.twiml.size() > 4000) return invalidRequest("Twiml is longer than 4000 characters");
  if (!r.application_sid.empty() && !isValidSid(r.application_sid, "AP")) {
    return invalidRequest("ApplicationSid is not an AP SID");
  }
  // Twilio only warns (13621) about unknown events and then never sends them: catch typos here.
  if (auto bad = firstUnknown(r.status_callback_events, kStatusCallbackEvents)) {
    return invalidRequest("unknown StatusCallbackEvent '" + *bad + "'");
  }
  if (auto bad = firstUnknown(r.recording_status_callback_events, kRecordingCallbackEvents)) {
    return invalidRequest("unknown RecordingStatusCallbackEvent '" + *bad + "'");
  }
  const FormParams form = toFormParams(r);
  auto response = execute("POST", accountPath("/Calls.json"), &form, Repeat::kNever);
  if (!response) return response.error();
  auto call = parseCall(response->body);
  if (!call) {
    // A 2xx means Twilio accepted the call: it exists even though we cannot read its SID.
    TwilioError e = badResponse(call.status(), response->status);
    e.failure = TwilioFailure::kOutcomeUnknown;
    return e;
  }
  return std::move(call).value();
}

TwilioResult<Call> TwilioClient::fetchCall(std::string_view call_sid) {
  if (!isValidSid(call_sid, "CA")) return invalidRequest("not a call SID");
  auto response = execute("GET", accountPath("/Calls/" + std::string(call_sid) + ".json"), nullptr,
                          Repeat::kSafe);
  if (!response) return response.error();
  auto call = parseCall(response->body);
  if (!call) return badResponse(call.status(), response->status);
  return std::move(call).value();
}

template <typename T>
TwilioResult<std::vector<T>> TwilioClient::listPages(std::string path, int max_pages) {
  std::vector<T> all;
  const std::string own_prefix = accountPath("/");
  for (int page = 0; page < max_pages && !path.empty(); ++page) {
    // next_page_uri is relative to the API host. Follow it only within our own account, so a
    // malformed or hostile page cannot send our credentials elsewhere.
    if (page > 0 && path.rfind(own_prefix, 0) != 0) {
      return badResponse(
          Status::corruption("next_page_uri outside the account: " + path.substr(0, 200)), 200);
    }
    auto response = execute("GET", path, nullptr, Repeat::kSafe);
    if (!response) return response.error();
    Result<Page<T>> parsed = [&] {
      if constexpr (std::is_same_v<T, Call>) {
        return parseCallPage(response->body);
      } else {
        return parseRecordingPage(response->body);
      }
    }();
    if (!parsed) return badResponse(parsed.status(), response->status);
    for (auto& item : parsed->items) all.push_back(std::move(item));
    path = parsed->next_page_uri;
  }
  return all;
}

TwilioResult<std::vector<Call>> TwilioClient::listCalls(const CallFilter& f) {
  FormParams query;
  if (!f.to.empty()) query.emplace_back("To", f.to);
  if (!f.from.empty()) query.emplace_back("From", f.from);
  if (!f.status.empty()) query.emplace_back("Status", f.status);
  if (!f.parent_call_sid.empty()) query.emplace_back("ParentCallSid", f.parent_call_sid);
  if (!f.start_time_after.empty()) query.emplace_back("StartTime>", f.start_time_after);
  query.emplace_back("PageSize", std::to_string(std::clamp(f.page_size, 1, 1000)));
  return listPages<Call>(accountPath("/Calls.json?") + formUrlEncode(query),
                         std::max(1, f.max_pages));
}

TwilioResult<std::vector<Call>> TwilioClient::findCallsForAttempt(const CreateCallRequest& request,
                                                                  Timestamp sent_at,
                                                                  std::chrono::seconds slack) {
  CallFilter filter;
  filter.to = request.to;
  filter.from = request.from;
  filter.page_size = 50;
  filter.max_pages = 2;
  // Not filtered by StartTime: a call still queued has no start_time yet.
  auto calls = listCalls(filter);
  if (!calls) return calls.error();
  std::vector<Call> candidates;
  const Timestamp earliest = sent_at - slack;
  for (auto& call : *calls) {
    if (!call.date_created || *call.date_created >= earliest) candidates.push_back(std::move(call));
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Call& a, const Call& b) {
    return a.date_created.value_or(Timestamp::max()) > b.date_created.value_or(Timestamp::max());
  });
  return candidates;
}

TwilioResult<Call> TwilioClient::endCall(std::string_view call_sid, EndCallStatus status) {
  if (!isValidSid(call_sid, "CA")) return invalidRequest("not a call SID");
  const FormParams form{{"Status", status == EndCallStatus::kCanceled ? "canceled" : "completed"}};
  auto response = execute("POST", accountPath("/Calls/" + std::string(call_sid) + ".json"), &form,
                          Repeat::kSafe);
  if (!response) return response.error();
  auto call = parseCall(response->body);
  if (!call) return badResponse(call.status(), response->status);
  return std::move(call).value();
}

TwilioResult<Recording> TwilioClient::createCallRecording(const StartRecordingRequest& r) {
  if (!isValidSid(r.call_sid, "CA")) return invalidRequest("not a call SID");
  if (auto bad = firstUnknown(r.recording_status_callback_events, kRecordingCallbackEvents)) {
    return invalidRequest("unknown RecordingStatusCallbackEvent '" + *bad + "'");
  }
  const FormParams form = toFormParams(r);
  auto response = execute("POST", accountPath("/Calls/" + r.call_sid + "/Recordings.json"), &form,
                          Repeat::kNever);
  if (!response) return response.error();
  auto recording = parseRecording(response->body);
  if (!recording) {
    TwilioError e = badResponse(recording.status(), response->status);
    e.failure = TwilioFailure::kOutcomeUnknown;
    return e;
  }
  return std::move(recording).value();
}

TwilioResult<Recording> TwilioClient::updateCallRecording(std::string_view call_sid,
                                                          std::string_view recording_sid,
                                                          RecordingAction action,
                                                          PauseBehavior pause_behavior) {
  if (!isValidSid(call_sid, "CA")) return invalidRequest("not a call SID");
  if (recording_sid != kCurrentRecording && !isValidSid(recording_sid, "RE")) {
    return invalidRequest("not a recording SID or Twilio.CURRENT");
  }
  FormParams form;
  switch (action) {
    case RecordingAction::kPause:
      form.emplace_back("Status", "paused");
      break;
    case RecordingAction::kResume:
      form.emplace_back("Status", "in-progress");
      break;
    case RecordingAction::kStop:
      form.emplace_back("Status", "stopped");
      break;
  }
  if (action == RecordingAction::kPause && pause_behavior != PauseBehavior::kTwilioDefault) {
    form.emplace_back("PauseBehavior", pause_behavior == PauseBehavior::kSkip ? "skip" : "silence");
  }
  auto response = execute("POST",
                          accountPath("/Calls/" + std::string(call_sid) + "/Recordings/" +
                                      std::string(recording_sid) + ".json"),
                          &form, Repeat::kSafe);
  if (!response) return response.error();
  auto recording = parseRecording(response->body);
  if (!recording) return badResponse(recording.status(), response->status);
  // A pause that Twilio did not apply must not be taken as applied: card numbers could be
  // recorded. A stopped recording may already be processing or completed.
  const RecordingStatus got = recording->status;
  bool matches = false;
  switch (action) {
    case RecordingAction::kPause:
      matches = got == RecordingStatus::kPaused;
      break;
    case RecordingAction::kResume:
      matches = got == RecordingStatus::kInProgress;
      break;
    case RecordingAction::kStop:
      matches = got == RecordingStatus::kStopped || got == RecordingStatus::kProcessing ||
                got == RecordingStatus::kCompleted;
      break;
  }
  if (!matches) {
    return badResponse(
        Status::conflict("Twilio answered recording status '" + recording->status_text + "' to " +
                         formValue(form, "Status").value_or("")),
        response->status);
  }
  return std::move(recording).value();
}

TwilioResult<std::vector<Recording>> TwilioClient::listCallRecordings(std::string_view call_sid) {
  if (!isValidSid(call_sid, "CA")) return invalidRequest("not a call SID");
  return listPages<Recording>(
      accountPath("/Calls/" + std::string(call_sid) + "/Recordings.json?PageSize=1000"), 1);
}

TwilioResult<DeleteOutcome> TwilioClient::deleteRecording(std::string_view recording_sid) {
  if (!isValidSid(recording_sid, "RE")) return invalidRequest("not a recording SID");
  auto response =
      execute("DELETE", accountPath("/Recordings/" + std::string(recording_sid) + ".json"), nullptr,
              Repeat::kSafe);
  if (!response) {
    if (response.error().isRefused() && response.error().http_status == 404)
      return DeleteOutcome::kAlreadyAbsent;
    return response.error();
  }
  return DeleteOutcome::kDeleted;
}

TwilioResult<DeleteOutcome> TwilioClient::deleteTranscription(std::string_view transcription_sid) {
  if (!isValidSid(transcription_sid, "TR")) return invalidRequest("not a transcription SID");
  auto response =
      execute("DELETE", accountPath("/Transcriptions/" + std::string(transcription_sid) + ".json"),
              nullptr, Repeat::kSafe);
  if (!response) {
    if (response.error().isRefused() && response.error().http_status == 404)
      return DeleteOutcome::kAlreadyAbsent;
    return response.error();
  }
  return DeleteOutcome::kDeleted;
}

}  // namespace callwarden::twilio
