#pragma once
// Bearer-token authentication. The configuration holds only SHA-256 digests of tokens, so a
// leaked config file does not leak credentials; digests are compared in constant time.

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace callwarden::server {

enum class Scope { kDialer, kAgent, kAuditor, kAdmin };
std::optional<Scope> parseScope(std::string_view name);
std::string_view scopeName(Scope scope);

struct ApiKey {
  std::string name;    // shown in logs and audit records; never the token
  std::string sha256;  // lower-case hex SHA-256 of the bearer token
  std::set<Scope> scopes;
};

struct Principal {
  std::string key_name;
  std::set<Scope> scopes;
  bool has(Scope s) const { return scopes.count(s) != 0; }
};

/// Immutable after construction; thread-safe.
class Authenticator {
 public:
  explicit Authenticator(std::vector<ApiKey> keys);
  /// The principal for an "Authorization" header value, or nullopt when it is missing,
  /// malformed or matches no key.
  std::optional<Principal> authenticate(std::string_view authorization_header) const;

 private:
  std::vector<ApiKey> keys_;
};

}  // namespace callwarden::server
