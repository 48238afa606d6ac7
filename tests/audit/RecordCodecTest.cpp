// Record encoding rules of audit/RecordCodec.h and the JSON writer.

#include <gtest/gtest.h>

#include <cstring>

#include "audit/RecordCodec.h"

namespace callwarden::audit {
namespace {

std::string frameFor(const Fields& clear, const SealKey* seal, const Fields& personal, Hash& leaf) {
  Sha256 h;
  RecordHeader hdr;
  hdr.log_id[0] = 1;
  hdr.seq = 0;
  hdr.ts_us = 1784148000000000;
  std::string out;
  EXPECT_TRUE(appendFrame(out, hdr, encodeFields(clear).value(), seal,
                          seal ? encodeFields(personal).value() : std::string(), h, leaf)
                  .isOk());
  return out;
}

TEST(AuditRecordCodec, RoundTripWithAndWithoutSubject) {
  Hash leaf;
  std::string plain = frameFor({{"decision", "deny"}}, nullptr, {}, leaf);
  Sha256 h;
  RecordView v;
  Hash leaf2;
  ASSERT_EQ(decodeFrame(reinterpret_cast<const uint8_t*>(plain.data()), plain.size(), h, v, leaf2),
            DecodeResult::kOk);
  EXPECT_EQ(leaf, leaf2);
  EXPECT_FALSE(v.has_subject);
  EXPECT_EQ(v.frame_len, plain.size());
  EXPECT_EQ(decodeFields(v.clear)->at(0).second, "deny");

  SealKey k;
  k.subject_id[3] = 9;
  k.dek_version = 1;
  k.dek[0] = 42;
  std::string sealed = frameFor({{"decision", "allow"}}, &k, {{"to", "+15415550123"}}, leaf);
  ASSERT_EQ(
      decodeFrame(reinterpret_cast<const uint8_t*>(sealed.data()), sealed.size(), h, v, leaf2),
      DecodeResult::kOk);
  EXPECT_TRUE(v.has_subject);
  EXPECT_EQ(sealed.find("+15415550123"), std::string::npos);
  Nonce12 n;
  Tag16 t;
  std::memcpy(n.data(), v.nonce, 12);
  std::memcpy(t.data(), v.tag, 16);
  std::string out;
  ASSERT_TRUE(aesGcmOpen(k.dek, n, v.bytes.substr(0, v.aad_len), v.ciphertext, t, out));
  EXPECT_EQ(decodeFields(out)->at(0).second, "+15415550123");
  // The header is the AAD: change seq and the ciphertext no longer opens.
  std::string aad(v.bytes.substr(0, v.aad_len));
  aad[32] ^= 1;
  EXPECT_FALSE(aesGcmOpen(k.dek, n, aad, v.ciphertext, t, out));
}

TEST(AuditRecordCodec, StrictDecodingTable) {
  Hash leaf;
  const std::string good = frameFor({{"a", "b"}}, nullptr, {}, leaf);
  const struct {
    const char* name;
    size_t offset;
    uint8_t xor_mask;
    DecodeResult expect;
  } cases[] = {
      {"magic", 0, 0x01, DecodeResult::kMalformed},
      {"length grows past EOF", 7, 0x10, DecodeResult::kIncomplete},
      {"length shrinks", 7, 0x01, DecodeResult::kMalformed},
      {"version", 8, 0x02, DecodeResult::kMalformed},
      {"event type unknown", 73, 0x80, DecodeResult::kMalformed},
      {"clear_len", 78, 0x01, DecodeResult::kMalformed},
      {"field count", 79, 0x01, DecodeResult::kMalformed},
      {"dek_version without subject", 79 + 8 + 16 + 3, 0x01, DecodeResult::kMalformed},
      {"nonce without subject", 79 + 8 + 20, 0x01, DecodeResult::kMalformed},
      {"check value", good.size() - 1, 0x01, DecodeResult::kMalformed},
  };
  Sha256 h;
  RecordView v;
  Hash l;
  for (const auto& c : cases) {
    std::string bad = good;
    bad[c.offset] = static_cast<char>(bad[c.offset] ^ c.xor_mask);
    EXPECT_EQ(decodeFrame(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), h, v, l),
              c.expect)
        << c.name;
  }
  EXPECT_EQ(decodeFrame(reinterpret_cast<const uint8_t*>(good.data()), good.size() - 1, h, v, l),
            DecodeResult::kIncomplete);
  // One byte more inside the record, with the length updated to match: trailing bytes.
  std::string trailing = good;
  trailing.insert(good.size() - kCheckSize, "x");
  const uint32_t len = static_cast<uint32_t>(trailing.size() - kCheckSize);
  for (int i = 0; i < 4; ++i) trailing[4 + i] = static_cast<char>(len >> (24 - 8 * i));
  EXPECT_EQ(
      decodeFrame(reinterpret_cast<const uint8_t*>(trailing.data()), trailing.size(), h, v, l),
      DecodeResult::kMalformed);
}

TEST(AuditRecordCodec, EventTypeNamesAreStable) {
  EXPECT_EQ(eventTypeName(EventType::kDecision), "decision");
  EXPECT_EQ(eventTypeName(EventType::kErasure), "erasure");
  EXPECT_EQ(eventTypeName(EventType::kTwilioEvent), "twilio_event");
  EXPECT_EQ(static_cast<int>(EventType::kTwilioEvent), 16);
  EXPECT_EQ(eventTypeName(static_cast<EventType>(500)), "unknown");
  for (uint16_t v = 1; isKnownEventType(v); ++v) {
    EXPECT_EQ(eventTypeFromName(eventTypeName(static_cast<EventType>(v))),
              static_cast<EventType>(v));
  }
}

}  // namespace
}  // namespace callwarden::audit
