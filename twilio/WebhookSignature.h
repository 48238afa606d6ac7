#pragma once
// X-Twilio-Signature validation (twilio.md §4), matching the official SDKs:
//   signature = Base64(HMAC-SHA1(auth_token, url + concat(sorted name+value)))
// where every POST parameter counts (names sorted bytewise; a repeated name contributes each
// distinct value, sorted), GET callbacks sign the URL alone, and JSON-body webhooks sign the URL
// carrying ?bodySHA256=<hex sha256 of the raw body>. Like twilio-node/-python, a signature is
// accepted for the URL with its port removed or with the scheme's default port added, because
// Twilio's own signing is inconsistent about ports.
//
// Thread-safe: immutable after construction. Never throws.

#include <string>
#include <string_view>

#include "twilio/FormParams.h"

namespace callwarden::twilio {

class WebhookSignature {
 public:
  /// `auth_token` is the account's primary auth token (never an API key secret).
  explicit WebhookSignature(std::string auth_token);

  /// The signature Twilio sends for `url` and these decoded form parameters (pass {} for GET
  /// and JSON-body requests). `url` is used exactly as given.
  std::string compute(std::string_view url, const FormParams& params) const;

  /// Form-encoded POST or GET: true iff `signature` matches `url` (as Twilio requested it,
  /// i.e. the public URL, query string byte-for-byte) with or without the port. Constant-time.
  bool validate(std::string_view url, const FormParams& params, std::string_view signature) const;

  /// JSON-body request: `url` must carry bodySHA256, its value must be the hex SHA-256 of
  /// `raw_body`, and `signature` must match the URL with no parameters appended.
  bool validateWithBody(std::string_view url, std::string_view raw_body,
                        std::string_view signature) const;

  /// The two URL variants accepted by validate(): {port removed, default port added}.
  static std::pair<std::string, std::string> portVariants(std::string_view url);

 private:
  std::string auth_token_;
};

}  // namespace callwarden::twilio
