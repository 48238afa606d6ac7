#pragma once
// Export for investigations: one JSON object per line, in seq order, for records whose
// timestamp is in [from, to). The log is verified first (verifyLog); nothing is exported from
// a log that fails. Thread-safety and failure as verifyLog.
//
//   {"seq":12,"ts":"2026-07-15T20:40:00.123456Z","type":"decision","type_id":1,
//    "clear":{"decision":"deny",...},"subject_id":"9f..."|null,"personal":{...}}
// "personal" is an object when decrypted, "shredded" when the subject's key is destroyed,
// "sealed" when no KEK was given, and null for records without personal data.

#include <ostream>

#include "audit/Verifier.h"
#include "common/Clock.h"
#include "common/Status.h"

namespace callwarden::audit {

Status exportRecords(const VerifyOptions& options, Timestamp from, Timestamp to, std::ostream& out);

}  // namespace callwarden::audit
