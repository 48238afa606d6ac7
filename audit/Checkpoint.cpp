#include "audit/Checkpoint.h"

#include <charconv>
#include <cstring>

#include "audit/Bytes.h"

namespace callwarden::audit {

namespace {
constexpr std::string_view kDash = "\xe2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr uint32_t kMaxNote = 1u << 20;

bool parseDecimal(std::string_view s, uint64_t& v) {
  if (s.empty() || (s.size() > 1 && s[0] == '0')) return false;  // canonical form only
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

bool nextLine(std::string_view& text, std::string_view& line) {
  auto nl = text.find('\n');
  if (nl == std::string_view::npos) return false;
  line = text.substr(0, nl);
  text.remove_prefix(nl + 1);
  return true;
}
}  // namespace

std::string checkpointBody(const Checkpoint& cp) {
  return cp.origin + "\n" + std::to_string(cp.size) + "\n" + base64Encode(asView(cp.root)) +
         "\ntime " + std::to_string(cp.time_s) + "\n";
}

Result<std::string> signCheckpoint(const Checkpoint& cp, const NoteKey& signer) {
  const std::string body = checkpointBody(cp);
  auto sig = signer.key.sign(body);
  if (!sig.isOk()) return sig.status();
  std::string blob;
  putU32(blob, signer.key_id);
  blob.append(asView(*sig));
  return body + "\n" + std::string(kDash) + signer.name + " " + base64Encode(blob) + "\n";
}

NoteError openCheckpoint(std::string_view note, const std::vector<NoteKey>& trusted,
                         Checkpoint& out, std::string* why) {
  auto fail = [&](NoteError e, const char* reason) {
    if (why != nullptr) *why = reason;
    return e;
  };
  auto split = note.find("\n\n");
  if (split == std::string_view::npos)
    return fail(NoteError::kDecode, "note has no signature block");
  std::string_view body = note.substr(0, split + 1);
  std::string_view sigs = note.substr(split + 2);
  std::string_view rest = body, origin, size, root, time;
  if (!nextLine(rest, origin) || !nextLine(rest, size) || !nextLine(rest, root) ||
      !nextLine(rest, time) || !rest.empty()) {
    return fail(NoteError::kDecode, "checkpoint body is not four lines");
  }
  Checkpoint cp;
  cp.origin = std::string(origin);
  auto root_raw = base64Decode(root);
  uint64_t t = 0;
  if (origin.empty() || !parseDecimal(size, cp.size) || !root_raw || root_raw->size() != 32 ||
      time.substr(0, 5) != "time " || !parseDecimal(time.substr(5), t)) {
    return fail(NoteError::kDecode, "malformed checkpoint body");
  }
  std::memcpy(cp.root.data(), root_raw->data(), 32);
  cp.time_s = static_cast<int64_t>(t);
  if (sigs.empty()) return fail(NoteError::kDecode, "note has no signature line");
  bool verified = false;
  std::string_view line;
  while (!sigs.empty()) {
    if (!nextLine(sigs, line) || line.substr(0, kDash.size()) != kDash) {
      return fail(NoteError::kDecode, "malformed signature line");
    }
    line.remove_prefix(kDash.size());
    auto sp = line.find(' ');
    if (sp == std::string_view::npos) return fail(NoteError::kDecode, "malformed signature line");
    std::string_view name = line.substr(0, sp);
    auto blob = base64Decode(line.substr(sp + 1));
    if (!blob || blob->size() < 5) return fail(NoteError::kDecode, "malformed signature");
    const auto* b = reinterpret_cast<const uint8_t*>(blob->data());
    const uint32_t id = getU32(b);
    for (const auto& k : trusted) {
      if (k.name != name || k.key_id != id) continue;
      if (blob->size() != 68 || !k.key.verify(body, b + 4)) {
        return fail(NoteError::kBadSignature, "signature by a trusted key does not verify");
      }
      verified = true;
    }
  }
  if (!verified) return fail(NoteError::kBadSignature, "no trusted key signed the checkpoint");
  out = std::move(cp);
  return NoteError::kNone;
}

bool splitCheckpointFrames(std::string_view file, std::vector<std::string_view>& notes,
                           size_t& valid_prefix) {
  size_t pos = 0;
  valid_prefix = 0;
  while (pos < file.size()) {
    if (file.size() - pos < 4) return false;
    uint32_t len = getU32(reinterpret_cast<const uint8_t*>(file.data() + pos));
    if (len == 0 || len > kMaxNote || file.size() - pos - 4 < len) return false;
    notes.push_back(file.substr(pos + 4, len));
    pos += 4 + size_t{len};
    valid_prefix = pos;
  }
  return true;
}

std::string checkpointFrame(std::string_view note) {
  std::string out;
  putU32(out, static_cast<uint32_t>(note.size()));
  out.append(note);
  return out;
}

}  // namespace callwarden::audit
