#include "audit/RecordCodec.h"

#include <algorithm>
#include <cstring>

#include "audit/Bytes.h"
#include "audit/Merkle.h"
#include "common/Hex.h"
#include "common/Random.h"
#include "common/Result.h"

namespace callwarden::audit {

namespace {

bool allZero(const uint8_t* p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; ++i) acc |= p[i];
  return acc == 0;
}

DecodeResult malformed(std::string* why, const char* reason) {
  if (why != nullptr) *why = reason;
  return DecodeResult::kMalformed;
}

}  // namespace

DecodeResult decodeFrame(const uint8_t* p, size_t avail, Sha256& h, RecordView& out, Hash& leaf,
                         std::string* why) {
  if (avail < 8) {
    if (why != nullptr) *why = "frame shorter than its header";
    return DecodeResult::kIncomplete;
  }
  if (getU32(p) != kRecordMagic) return malformed(why, "bad magic");
  const uint32_t len = getU32(p + 4);
  if (len < kMinRecordSize || len > kMaxRecordSize) return malformed(why, "bad record length");
  if (avail < size_t{len} + kCheckSize) {
    if (why != nullptr) *why = "frame extends past end of file";
    return DecodeResult::kIncomplete;
  }
  ByteReader r(p, len);
  r.skip(8);
  uint8_t version = 0;
  r.u8(version);
  if (version != kRecordVersion) return malformed(why, "unknown record version");
  out.bytes = asView(p, len);
  out.log_id = r.take(16);
  r.u64(out.seq);
  uint64_t ts = 0;
  r.u64(ts);
  out.ts_us = static_cast<int64_t>(ts);
  out.prev_hash = r.take(32);
  r.u16(out.event_type);
  uint32_t clear_len = 0;
  r.u32(clear_len);
  const uint8_t* clear = r.take(clear_len);
  if (!r.ok()) return malformed(why, "clear fields overrun the record");
  out.clear = asView(clear, clear_len);
  out.subject_id = r.take(16);
  r.u32(out.dek_version);
  out.aad_len = static_cast<size_t>(r.pos() - p);
  out.nonce = r.take(12);
  uint32_t ct_len = 0;
  r.u32(ct_len);
  const uint8_t* ct = r.take(ct_len);
  out.tag = r.take(16);
  if (!r.ok()) return malformed(why, "ciphertext overruns the record");
  if (r.remaining() != 0) return malformed(why, "trailing bytes in record");
  out.ciphertext = asView(ct, ct_len);
  if (!isKnownEventType(out.event_type)) return malformed(why, "unknown event type");
  if (!validFields(out.clear)) return malformed(why, "bad clear field list");
  out.has_subject = !allZero(out.subject_id, 16);
  if (out.has_subject) {
    if (out.dek_version == 0) return malformed(why, "subject without a key version");
  } else if (out.dek_version != 0 || ct_len != 0 || !allZero(out.nonce, 12) ||
             !allZero(out.tag, 16)) {
    return malformed(why, "sealed fields set on a record without a subject");
  }
  if (out.seq == 0 ? !allZero(out.prev_hash, 32) : false) {
    return malformed(why, "first record with a non-zero previous hash");
  }
  leaf = leafHash(h, out.bytes);
  if (std::memcmp(leaf.data(), p + len, kCheckSize) != 0) return malformed(why, "check mismatch");
  out.frame_len = size_t{len} + kCheckSize;
  return DecodeResult::kOk;
}

Status appendFrame(std::string& out, const RecordHeader& header, std::string_view clear_fields,
                   const SealKey* seal, std::string_view personal_fields, Sha256& h, Hash& leaf) {
  if (seal == nullptr && !personal_fields.empty()) {
    return Status::invalidArgument("personal fields without a subject");
  }
  const size_t ct_len = seal != nullptr ? personal_fields.size() : 0;
  const size_t total = 79 + clear_fields.size() + 36 + ct_len + 16;
  if (total > kMaxRecordSize) return Status::invalidArgument("audit record too large");
  const size_t start = out.size();
  putU32(out, kRecordMagic);
  putU32(out, static_cast<uint32_t>(total));
  putU8(out, kRecordVersion);
  putBytes(out, header.log_id.data(), 16);
  putU64(out, header.seq);
  putU64(out, static_cast<uint64_t>(header.ts_us));
  putBytes(out, header.prev.data(), 32);
  putU16(out, static_cast<uint16_t>(header.type));
  putU32(out, static_cast<uint32_t>(clear_fields.size()));
  out.append(clear_fields);
  if (seal != nullptr) {
    putBytes(out, seal->subject_id.data(), 16);
    putU32(out, seal->dek_version);
    const size_t aad_end = out.size();
    // A GCM nonce must never repeat under a DEK but is stored in the clear: buffered CSPRNG
    // output is enough (see nonSecretRandomBytes).
    Nonce12 nonce;
    nonSecretRandomBytes(nonce.data(), nonce.size());
    Tag16 tag;
    std::string ct;
    Status s = aesGcmSeal(seal->dek, nonce, std::string_view(out).substr(start, aad_end - start),
                          personal_fields, ct, tag);
    if (!s.isOk()) {
      out.resize(start);
      return s;
    }
    putBytes(out, nonce.data(), 12);
    putU32(out, static_cast<uint32_t>(ct.size()));
    out.append(ct);
    putBytes(out, tag.data(), 16);
  } else {
    out.append(16 + 4 + 12 + 4, '\0');
    out.append(16, '\0');
  }
  leaf = leafHash(h, std::string_view(out).substr(start, total));
  putBytes(out, leaf.data(), kCheckSize);
  return Status::ok();
}

Result<std::string> encodeFields(const Fields& fields) {
  if (fields.size() > 0xffff) return Status::invalidArgument("too many audit fields");
  std::string out;
  putU16(out, static_cast<uint16_t>(fields.size()));
  for (const auto& [name, value] : fields) {
    if (name.size() > 0xffff || value.size() > kMaxValueSize) {
      return Status::invalidArgument("audit field too large: " + name.substr(0, 64));
    }
    putU16(out, static_cast<uint16_t>(name.size()));
    out.append(name);
    putU32(out, static_cast<uint32_t>(value.size()));
    out.append(value);
  }
  return out;
}

bool validFields(std::string_view encoded) {
  ByteReader r(encoded);
  uint16_t count = 0;
  if (!r.u16(count)) return false;
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t nl = 0;
    uint32_t vl = 0;
    if (!r.u16(nl) || !r.skip(nl) || !r.u32(vl) || vl > kMaxValueSize || !r.skip(vl)) return false;
  }
  return r.remaining() == 0;
}

std::optional<SubjectId> erasedSubject(const RecordView& r) {
  if (r.event_type != static_cast<uint16_t>(EventType::kErasure)) return std::nullopt;
  auto fields = decodeFields(r.clear);
  if (!fields) return std::nullopt;
  for (const auto& [k, v] : *fields) {
    auto raw = k == "subject_id" ? fromHex(v) : std::nullopt;
    if (raw && raw->size() == 16) {
      SubjectId id;
      std::memcpy(id.data(), raw->data(), 16);
      return id;
    }
  }
  return std::nullopt;
}

std::optional<Fields> decodeFields(std::string_view encoded) {
  if (!validFields(encoded)) return std::nullopt;
  ByteReader r(encoded);
  uint16_t count = 0;
  r.u16(count);
  Fields out;
  out.reserve(count);
  for (uint16_t i = 0; i < count; ++i) {
    uint16_t nl = 0;
    uint32_t vl = 0;
    r.u16(nl);
    const uint8_t* n = r.take(nl);
    r.u32(vl);
    const uint8_t* v = r.take(vl);
    out.emplace_back(std::string(asView(n, nl)), std::string(asView(v, vl)));
  }
  return out;
}

}  // namespace callwarden::audit
