#include "server/Auth.h"

#include <cctype>

#include "common/ConstantTime.h"
#include "common/Sha256.h"

namespace callwarden::server {

std::optional<Scope> parseScope(std::string_view name) {
  if (name == "dialer") return Scope::kDialer;
  if (name == "agent") return Scope::kAgent;
  if (name == "auditor") return Scope::kAuditor;
  if (name == "admin") return Scope::kAdmin;
  return std::nullopt;
}

std::string_view scopeName(Scope scope) {
  switch (scope) {
    case Scope::kDialer:
      return "dialer";
    case Scope::kAgent:
      return "agent";
    case Scope::kAuditor:
      return "auditor";
    case Scope::kAdmin:
      return "admin";
  }
  return "unknown";
}

Authenticator::Authenticator(std::vector<ApiKey> keys) : keys_(std::move(keys)) {
  for (auto& k : keys_) {
    for (auto& c : k.sha256) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
}

std::optional<Principal> Authenticator::authenticate(std::string_view header) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (header.size() <= kBearer.size() || header.substr(0, kBearer.size()) != kBearer)
    return std::nullopt;
  std::string_view token = header.substr(kBearer.size());
  if (token.size() > 4096) return std::nullopt;
  const std::string digest = sha256Hex(token);
  // Visit every key without an early exit, so timing does not tell which key matched.
  const ApiKey* match = nullptr;
  for (const auto& k : keys_) {
    if (constantTimeEquals(digest, k.sha256) && match == nullptr) match = &k;
  }
  if (match == nullptr) return std::nullopt;
  return Principal{match->name, match->scopes};
}

}  // namespace callwarden::server
