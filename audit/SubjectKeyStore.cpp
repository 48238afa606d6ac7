#include "audit/SubjectKeyStore.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstring>

#include "audit/Bytes.h"
#include "audit/FileUtil.h"
#include "common/Random.h"

namespace callwarden::audit {

namespace {
constexpr uint8_t kActive = 1;
constexpr uint8_t kShredded = 2;
constexpr size_t kActiveBody = 1 + 16 + 4 + 8 + 32 + 12 + 32 + 16;
constexpr size_t kShreddedBody = 1 + 16 + 4 + 8 + 8;

std::string wrapAad(const SubjectId& id, uint32_t version) {
  std::string aad = "CWSK1";
  aad.append(asView(id));
  putU32(aad, version);
  return aad;
}

struct RawEntry {
  uint8_t kind = 0;
  SubjectId id{};
  uint32_t version = 0;
  int64_t created = 0;
  int64_t shredded = 0;
  Hash index{};
  std::string wrapped;
};

// Parses the entry at `pos`; its length on success, 0 if the bytes there are not a whole,
// valid entry.
size_t parseEntry(std::string_view file, size_t pos, Sha256& h, RawEntry& e) {
  ByteReader r(reinterpret_cast<const uint8_t*>(file.data() + pos), file.size() - pos);
  uint32_t len = 0;
  if (!r.u32(len) || (len != kActiveBody && len != kShreddedBody) || r.remaining() < len + 8) {
    return 0;
  }
  const uint8_t* body = r.take(len);
  const uint8_t* check = r.take(8);
  Hash d = h.digest(asView(reinterpret_cast<const uint8_t*>(file.data() + pos), 4 + len));
  if (std::memcmp(d.data(), check, 8) != 0) return 0;
  ByteReader b(body, len);
  uint64_t c = 0;
  b.u8(e.kind);
  std::memcpy(e.id.data(), b.take(16), 16);
  b.u32(e.version);
  b.u64(c);
  e.created = static_cast<int64_t>(c);
  if (e.kind == kActive && len == kActiveBody) {
    std::memcpy(e.index.data(), b.take(32), 32);
    e.wrapped.assign(reinterpret_cast<const char*>(b.take(60)), 60);
  } else if (e.kind == kShredded && len == kShreddedBody) {
    uint64_t sh = 0;
    b.u64(sh);
    e.shredded = static_cast<int64_t>(sh);
  } else {
    return 0;
  }
  return 4 + len + 8;
}

// Parses the file; `good` receives the length of the prefix made of whole, valid entries.
// Returns false if the file does not end there.
bool parseEntries(std::string_view file, std::vector<RawEntry>& out, size_t& good) {
  good = 0;
  Sha256 h;
  while (good < file.size()) {
    RawEntry e;
    const size_t n = parseEntry(file, good, h, e);
    if (n == 0) return false;
    out.push_back(std::move(e));
    good += n;
  }
  return true;
}

// Whether a whole, valid entry starts anywhere after `from`: then the damage at `from` is not
// a torn final append but something in the middle of the file, and cutting there would
// destroy the keys after it.
bool validEntryAfter(std::string_view file, size_t from) {
  Sha256 h;
  for (size_t pos = from + 1; pos < file.size(); ++pos) {
    RawEntry e;
    if (parseEntry(file, pos, h, e) != 0) return true;
  }
  return false;
}
}  // namespace

Result<SubjectStates> readSubjectStates(const std::string& path) {
  auto text = readFile(path);
  if (!text.isOk()) {
    if (text.status().code() == ErrorCode::kNotFound) return SubjectStates{};
    return text.status();
  }
  std::vector<RawEntry> entries;
  size_t good = 0;
  // A torn tail only ever holds a new, unused subject; reading stops there.
  parseEntries(*text, entries, good);
  SubjectStates out;
  for (const auto& e : entries) {
    auto& st = out[e.id];
    if (st.shredded) continue;  // a tombstone is final
    st.dek_version = e.version;
    st.created_us = e.created;
    st.shredded = e.kind == kShredded;
    st.shredded_us = e.shredded;
  }
  return out;
}

namespace {
// index key = HMAC-SHA256(KEK, label). Only the keyed HMAC context keeps it afterwards.
HmacSha256 indexMac(const Key32& kek) {
  static constexpr std::string_view kLabel = "callwarden/audit/subject-index/v1";
  Key32 index_key = hmacSha256(kek.data(), kek.size(), kLabel);
  HmacSha256 mac(index_key.data(), index_key.size());
  OPENSSL_cleanse(index_key.data(), index_key.size());
  return mac;
}
}  // namespace

SubjectKeyStore::SubjectKeyStore(std::string path, const Key32& kek)
    : path_(std::move(path)), kek_(kek), index_mac_(indexMac(kek)) {}

Result<std::unique_ptr<SubjectKeyStore>> SubjectKeyStore::open(const std::string& path,
                                                               const Key32& kek, bool repair,
                                                               std::string* repaired,
                                                               bool read_only) {
  std::unique_ptr<SubjectKeyStore> store(new SubjectKeyStore(path, kek));
  auto text = readFile(path);
  std::string data;
  if (text.isOk()) {
    data = std::move(*text);
  } else if (text.status().code() != ErrorCode::kNotFound) {
    return text.status();
  }
  std::vector<RawEntry> entries;
  size_t good = 0;
  if (!parseEntries(data, entries, good)) {
    // Entries are only ever appended by flush() (or replaced wholesale by rename), so damage
    // can only legitimately be a torn final append of subjects no record refers to yet.
    if (!repair || read_only || validEntryAfter(data, good))
      return Status::corruption(
          "subject key store " + path + " is damaged at byte " + std::to_string(good) +
          (repair && !read_only ? ", and whole entries follow the damage: not a torn "
                                  "append, so nothing is cut; restore the file from a backup"
                                : ""));
    if (::truncate(path.c_str(), static_cast<off_t>(good)) != 0)
      return errnoStatus("cannot truncate", path);
    if (repaired != nullptr) {
      *repaired = "subjects.log: cut " + std::to_string(data.size() - good) + " bytes at offset " +
                  std::to_string(good);
    }
  }
  for (auto& e : entries) {
    auto& cur = store->entries_[e.id];
    if (cur.st.shredded) continue;
    cur.st.dek_version = e.version;
    cur.st.created_us = e.created;
    if (e.kind == kShredded) {
      store->by_index_.erase(cur.index);
      cur = Entry{};
      cur.st = SubjectState{true, e.version, e.created, e.shredded};
      continue;
    }
    Nonce12 nonce;
    Tag16 tag;
    std::memcpy(nonce.data(), e.wrapped.data(), 12);
    std::memcpy(tag.data(), e.wrapped.data() + 44, 16);
    std::string dek;
    if (!aesGcmOpen(kek, nonce, wrapAad(e.id, e.version),
                    std::string_view(e.wrapped).substr(12, 32), tag, dek)) {
      return Status::error(
          ErrorCode::kPermissionDenied,
          "subject key store " + path + " was not written with this KEK (unwrap failed)");
    }
    std::memcpy(cur.dek.data(), dek.data(), 32);
    cur.index = e.index;
    cur.wrapped = e.wrapped;
    store->by_index_[e.index] = e.id;
  }
  if (!read_only) {
    store->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (store->fd_ < 0) return errnoStatus("cannot open", path);
  }
  return store;
}

SubjectKeyStore::~SubjectKeyStore() {
  if (fd_ >= 0) ::close(fd_);
  OPENSSL_cleanse(kek_.data(), kek_.size());
  for (auto& [id, e] : entries_) OPENSSL_cleanse(e.dek.data(), e.dek.size());
}

Hash SubjectKeyStore::indexOf(const std::string& subject_key) const {
  return index_mac_.mac(subject_key);
}

std::string SubjectKeyStore::encodeEntry(const SubjectId& id, const Entry& e) const {
  std::string out;
  const bool shredded = e.st.shredded;
  putU32(out, static_cast<uint32_t>(shredded ? kShreddedBody : kActiveBody));
  putU8(out, shredded ? kShredded : kActive);
  putBytes(out, id.data(), 16);
  putU32(out, e.st.dek_version);
  putU64(out, static_cast<uint64_t>(e.st.created_us));
  if (shredded) {
    putU64(out, static_cast<uint64_t>(e.st.shredded_us));
  } else {
    putBytes(out, e.index.data(), 32);
    out.append(e.wrapped);
  }
  Sha256 h;
  Hash d = h.digest(out);
  putBytes(out, d.data(), 8);
  return out;
}

Result<SealKey> SubjectKeyStore::acquire(const std::string& subject_key, int64_t now_us) {
  if (subject_key.empty()) return Status::invalidArgument("empty subject key");
  const Hash idx = indexOf(subject_key);
  std::lock_guard lock(mu_);
  if (auto it = by_index_.find(idx); it != by_index_.end()) {
    const Entry& e = entries_.at(it->second);
    return SealKey{it->second, e.st.dek_version, e.dek};
  }
  SubjectId id;
  do {
    randomBytes(id.data(), id.size());
  } while (entries_.count(id) != 0 || id == SubjectId{});
  Entry e;
  e.st.dek_version = 1;
  e.st.created_us = now_us;
  e.index = idx;
  randomBytes(e.dek.data(), e.dek.size());
  Nonce12 nonce;
  randomBytes(nonce.data(), nonce.size());
  Tag16 tag;
  std::string ct;
  Status s = aesGcmSeal(kek_, nonce, wrapAad(id, 1), asView(e.dek), ct, tag);
  if (!s.isOk()) return s;
  e.wrapped.assign(asView(nonce)).append(ct).append(asView(tag));
  pending_ += encodeEntry(id, e);
  SealKey k{id, 1, e.dek};
  entries_[id] = std::move(e);
  by_index_[idx] = id;
  return k;
}

Result<SealKey> SubjectKeyStore::keyFor(const SubjectId& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return Status::notFound("unknown audit subject");
  if (it->second.st.shredded) {
    return Status::error(ErrorCode::kFailedPrecondition, "audit subject has been shredded");
  }
  return SealKey{id, it->second.st.dek_version, it->second.dek};
}

std::optional<SubjectId> SubjectKeyStore::lookup(const std::string& subject_key) const {
  const Hash idx = indexOf(subject_key);
  std::lock_guard lock(mu_);
  auto it = by_index_.find(idx);
  if (it == by_index_.end()) return std::nullopt;
  return it->second;
}

std::optional<SubjectState> SubjectKeyStore::state(const SubjectId& id) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return std::nullopt;
  return it->second.st;
}

Status SubjectKeyStore::flush() {
  std::lock_guard lock(mu_);
  if (pending_.empty()) return Status::ok();
  if (fd_ < 0)
    return Status::error(ErrorCode::kFailedPrecondition, "subject key store is read-only");
  Status s = writeAll(fd_, pending_, path_);
  if (s.isOk() && ::fdatasync(fd_) != 0) s = errnoStatus("cannot fdatasync", path_);
  if (s.isOk()) pending_.clear();
  return s;
}

Status SubjectKeyStore::markShredded(const SubjectId& id, int64_t now_us) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  if (it == entries_.end()) return Status::notFound("unknown audit subject");
  Entry& e = it->second;
  if (e.st.shredded) return Status::ok();
  by_index_.erase(e.index);
  // Overwrite the key material we hold rather than just dropping it.
  OPENSSL_cleanse(e.dek.data(), e.dek.size());
  e.index = Hash{};
  e.wrapped.clear();
  e.st.shredded = true;
  e.st.shredded_us = now_us;
  dirty_shreds_ = true;
  return Status::ok();
}

Status SubjectKeyStore::persistShreds() {
  std::lock_guard lock(mu_);
  if (!dirty_shreds_) return Status::ok();
  if (fd_ < 0)
    return Status::error(ErrorCode::kFailedPrecondition, "subject key store is read-only");
  std::string all;
  for (const auto& [id, e] : entries_) all += encodeEntry(id, e);
  // Pending (unflushed) entries are included above, so they no longer need appending.
  Status s = replaceFileAtomically(path_, all, 0600);
  if (!s.isOk()) return s;
  pending_.clear();
  ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) return errnoStatus("cannot reopen", path_);
  dirty_shreds_ = false;
  return Status::ok();
}

}  // namespace callwarden::audit
