#pragma once
// Big-endian encoding helpers for the audit record format (docs/audit-format.md).
// Internal to audit/. Writers append to a std::string; readers walk a bounded byte span and
// report overruns instead of reading past the end, because every decoder in audit/ is strict.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace callwarden::audit {

inline void putU8(std::string& out, uint8_t v) {
  out.push_back(static_cast<char>(v));
}
inline void putU16(std::string& out, uint16_t v) {
  char b[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  out.append(b, 2);
}
inline void putU32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out.append(b, 4);
}
inline void putU64(std::string& out, uint64_t v) {
  putU32(out, static_cast<uint32_t>(v >> 32));
  putU32(out, static_cast<uint32_t>(v));
}
inline void putBytes(std::string& out, const void* p, size_t n) {
  out.append(static_cast<const char*>(p), n);
}

inline uint16_t getU16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t getU32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}
inline uint64_t getU64(const uint8_t* p) {
  return (uint64_t{getU32(p)} << 32) | getU32(p + 4);
}
inline void setU32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

/// A bounds-checked cursor over bytes it does not own. Every read returns false on overrun
/// and leaves the cursor unusable (ok() == false), so a chain of reads needs one check.
class ByteReader {
 public:
  ByteReader(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  explicit ByteReader(std::string_view s)
      : ByteReader(reinterpret_cast<const uint8_t*>(s.data()), s.size()) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const uint8_t* pos() const { return p_; }
  bool skip(size_t n) { return take(n) != nullptr; }
  const uint8_t* take(size_t n) {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return nullptr;
    }
    const uint8_t* r = p_;
    p_ += n;
    return r;
  }
  bool u8(uint8_t& v) {
    auto* q = take(1);
    if (q) v = q[0];
    return q != nullptr;
  }
  bool u16(uint16_t& v) {
    auto* q = take(2);
    if (q) v = getU16(q);
    return q != nullptr;
  }
  bool u32(uint32_t& v) {
    auto* q = take(4);
    if (q) v = getU32(q);
    return q != nullptr;
  }
  bool u64(uint64_t& v) {
    auto* q = take(8);
    if (q) v = getU64(q);
    return q != nullptr;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

}  // namespace callwarden::audit
