#include "audit/Keys.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "audit/FileUtil.h"
#include "common/Hex.h"
#include "common/Random.h"

namespace callwarden::audit {

namespace {
constexpr const char* kKekPrefix = "callwarden-kek-v1 ";
constexpr const char* kPrivatePrefix = "PRIVATE+KEY+";

std::string trimLine(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string modeString(unsigned mode) {
  char b[8];
  std::snprintf(b, sizeof b, "%04o", mode & 07777);
  return b;
}

bool validKeyName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c == '+' || static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return true;
}
}  // namespace

Status checkKeyFile(const std::string& path) {
  if (path.empty()) return Status::invalidArgument("no key file configured");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return Status::notFound("key file " + path +
                              " does not exist; create the keys with `callwarden keys init`");
    }
    return errnoStatus("cannot stat key file", path);
  }
  if (!S_ISREG(st.st_mode))
    return Status::error(ErrorCode::kPermissionDenied,
                         "key file " + path + " is not a regular file");
  if ((st.st_mode & 077) != 0) {
    return Status::error(ErrorCode::kPermissionDenied,
                         "key file " + path + " has mode " + modeString(st.st_mode) +
                             ", which lets group or others read or write it; run `chmod 600 " +
                             path + "` (0600 or 0400 required)");
  }
  return Status::ok();
}

uint32_t noteKeyId(const std::string& name, const std::array<uint8_t, 32>& pub) {
  Sha256 h;
  const uint8_t sep[2] = {0x0a, 0x01};
  h.update(name.data(), name.size());
  h.update(sep, 2);
  h.update(pub.data(), pub.size());
  Hash d = h.finish();
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

namespace {
std::string keyIdHex(uint32_t id) {
  char b[9];
  std::snprintf(b, sizeof b, "%08x", id);
  return b;
}

std::string typedKey(const std::array<uint8_t, 32>& k) {
  std::string raw(1, '\x01');
  raw.append(asView(k));
  return base64Encode(raw);
}
}  // namespace

std::string verifierKeyString(const NoteKey& key) {
  return key.name + "+" + keyIdHex(key.key_id) + "+" + typedKey(key.key.publicKey());
}

Result<std::string> initKeys(const std::string& kek_file, const std::string& signing_key_file) {
  return initKeys(kek_file, signing_key_file, kDefaultKeyName);
}

Result<std::string> initKeys(const std::string& kek_file, const std::string& signing_key_file,
                             const std::string& key_name) {
  if (!validKeyName(key_name)) return Status::invalidArgument("bad key name " + key_name);
  for (const auto& p : {kek_file, signing_key_file}) {
    if (p.empty()) return Status::invalidArgument("key file path is empty");
    if (fileExists(p))
      return Status::conflict("key file " + p + " already exists; refusing to overwrite it");
  }
  Key32 kek;
  randomBytes(kek.data(), kek.size());
  auto signer = Ed25519Key::generate();
  if (!signer.isOk()) return signer.status();
  NoteKey nk{key_name, noteKeyId(key_name, signer->publicKey()), std::move(*signer)};
  auto seed = nk.key.seed();
  if (!seed) return Status::internal("cannot export the Ed25519 seed");
  const std::string kek_text = std::string(kKekPrefix) + toHex(kek.data(), kek.size()) + "\n";
  const std::string sk_text = std::string(kPrivatePrefix) + key_name + "+" + keyIdHex(nk.key_id) +
                              "+" + typedKey(*seed) + "\n";
  Status s = createFileExclusive(kek_file, kek_text, 0600);
  if (!s.isOk()) return s;
  s = createFileExclusive(signing_key_file, sk_text, 0600);
  if (!s.isOk()) return s;
  return verifierKeyString(nk);
}

Result<Key32> loadKek(const std::string& path) {
  Status s = checkKeyFile(path);
  if (!s.isOk()) return s;
  auto text = readFile(path);
  if (!text.isOk()) return text.status();
  std::string line = trimLine(*text);
  if (line.rfind(kKekPrefix, 0) != 0)
    return Status::invalidArgument("key file " + path + " is not a callwarden KEK file");
  auto raw = fromHex(std::string_view(line).substr(std::strlen(kKekPrefix)));
  if (!raw || raw->size() != 32)
    return Status::invalidArgument("key file " + path + " does not hold a 256-bit key");
  Key32 k;
  std::memcpy(k.data(), raw->data(), 32);
  return k;
}

Result<NoteKey> parseNoteKey(const std::string& text) {
  std::string line = trimLine(text);
  const bool is_private = line.rfind(kPrivatePrefix, 0) == 0;
  if (is_private) line = line.substr(std::strlen(kPrivatePrefix));
  // name+id+key; the name itself cannot contain '+'.
  auto p1 = line.find('+');
  auto p2 = p1 == std::string::npos ? p1 : line.find('+', p1 + 1);
  if (p2 == std::string::npos) return Status::invalidArgument("malformed note key");
  std::string name = line.substr(0, p1);
  std::string id_hex = line.substr(p1 + 1, p2 - p1 - 1);
  auto raw = base64Decode(line.substr(p2 + 1));
  if (!validKeyName(name) || id_hex.size() != 8 || !raw || raw->size() != 33 ||
      (*raw)[0] != '\x01') {
    return Status::invalidArgument("malformed Ed25519 note key");
  }
  auto id = fromHex(id_hex);
  if (!id) return Status::invalidArgument("malformed note key id");
  const auto* k = reinterpret_cast<const uint8_t*>(raw->data() + 1);
  auto key = is_private ? Ed25519Key::fromSeed(k) : Ed25519Key::fromPublic(k);
  if (!key.isOk()) return key.status();
  NoteKey nk{name, noteKeyId(name, key->publicKey()), std::move(*key)};
  uint32_t claimed = (uint32_t{(*id)[0]} << 24) | (uint32_t{(*id)[1]} << 16) |
                     (uint32_t{(*id)[2]} << 8) | (*id)[3];
  if (claimed != nk.key_id) return Status::invalidArgument("note key id does not match the key");
  return nk;
}

Result<NoteKey> loadSigningKey(const std::string& path) {
  Status s = checkKeyFile(path);
  if (!s.isOk()) return s;
  auto text = readFile(path);
  if (!text.isOk()) return text.status();
  if (text->rfind(kPrivatePrefix, 0) != 0)
    return Status::invalidArgument("key file " + path + " is not a signing key");
  auto k = parseNoteKey(*text);
  if (!k.isOk()) return Status::invalidArgument("key file " + path + ": " + k.status().message());
  return k;
}

Result<std::vector<NoteKey>> loadVerifierKeys(const std::string& path) {
  auto text = readFile(path);
  if (!text.isOk()) return text.status();
  if (text->find(kPrivatePrefix) != std::string::npos) {
    Status s = checkKeyFile(path);
    if (!s.isOk()) return s;
  }
  std::vector<NoteKey> keys;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t nl = text->find('\n', pos);
    if (nl == std::string::npos) nl = text->size();
    std::string line = trimLine(text->substr(pos, nl - pos));
    pos = nl + 1;
    if (line.empty() || line[0] == '#') continue;
    auto k = parseNoteKey(line);
    if (!k.isOk()) return Status::invalidArgument(path + ": " + k.status().message());
    keys.push_back(std::move(*k));
  }
  if (keys.empty()) return Status::invalidArgument(path + " holds no key");
  return keys;
}

}  // namespace callwarden::audit
