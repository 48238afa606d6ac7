#include "twilio/WebhookSignature.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "common/ConstantTime.h"
#include "common/Sha256.h"

namespace callwarden::twilio {
namespace {

std::string base64(const unsigned char* data, size_t n) {
  std::string out(4 * ((n + 2) / 3), '\0');
  int written =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(n));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::string hmacSha1Base64(const std::string& key, const std::string& message) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
       &mac_len);
  return base64(mac.data(), mac_len);
}

/// The parts of "scheme://[userinfo@]host[:port]rest", split without normalising anything
/// (the same split twilio-node uses, so IPv6 literals and user info survive).
struct UrlParts {
  std::string scheme;     // "https://"
  std::string user_info;  // "user:pass@" or ""
  std::string host;
  std::string port;  // ":8443" or ""
  std::string rest;  // path, query
};

std::optional<UrlParts> splitUrl(std::string_view url) {
  size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) return std::nullopt;
  UrlParts p;
  p.scheme = std::string(url.substr(0, sep + 3));
  size_t authority_end = url.find_first_of("/?#", sep + 3);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view authority = url.substr(sep + 3, authority_end - sep - 3);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    p.user_info = std::string(authority.substr(0, at + 1));
    authority.remove_prefix(at + 1);
  }
  size_t bracket = authority.rfind(']');
  size_t colon = authority.find(':', bracket == std::string_view::npos ? 0 : bracket + 1);
  p.host = std::string(authority.substr(0, colon));
  if (colon != std::string_view::npos) p.port = std::string(authority.substr(colon));
  p.rest = std::string(url.substr(authority_end));
  return p;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

WebhookSignature::WebhookSignature(std::string auth_token) : auth_token_(std::move(auth_token)) {}

std::string WebhookSignature::compute(std::string_view url, const FormParams& params) const {
  // Sort by name, then value, bytewise; equal pairs collapse to one (the SDKs use a set).
  std::vector<std::pair<std::string_view, std::string_view>> sorted;
  sorted.reserve(params.size());
  for (const auto& [name, value] : params) sorted.emplace_back(name, value);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  std::string message(url);
  for (const auto& [name, value] : sorted) {
    message += name;
    message += value;
  }
  return hmacSha1Base64(auth_token_, message);
}

std::pair<std::string, std::string> WebhookSignature::portVariants(std::string_view url) {
  auto parts = splitUrl(url);
  if (!parts) return {std::string(url), std::string(url)};
  std::string without = parts->scheme + parts->user_info + parts->host + parts->rest;
  std::string with(url);
  if (parts->port.empty()) {
    std::string port = lower(parts->scheme) == "https://" ? ":443" : ":80";
    with = parts->scheme + parts->user_info + parts->host + port + parts->rest;
  }
  return {std::move(without), std::move(with)};
}

bool WebhookSignature::validate(std::string_view url, const FormParams& params,
                                std::string_view signature) const {
  if (auth_token_.empty() || signature.empty()) return false;
  auto [without_port, with_port] = portVariants(url);
  // Evaluate both candidates so the time taken does not depend on which one matched.
  bool a = constantTimeEquals(compute(without_port, params), signature);
  bool b = constantTimeEquals(compute(with_port, params), signature);
  return a || b;
}

bool WebhookSignature::validateWithBody(std::string_view url, std::string_view raw_body,
                                        std::string_view signature) const {
  size_t query = url.find('?');
  if (query == std::string_view::npos) return false;
  auto params = parseFormUrlEncoded(url.substr(query + 1));
  if (!params) return false;
  auto hash = formValue(*params, "bodySHA256");
  if (!hash) return false;
  bool body_ok = constantTimeEquals(lower(*hash), sha256Hex(raw_body));
  bool signature_ok = validate(url, {}, signature);
  return body_ok && signature_ok;
}

}  // namespace callwarden::twilio
