#include "audit/Exporter.h"

#include <cstring>
#include <map>

#include "audit/FileUtil.h"
#include "audit/Keys.h"
#include "audit/LogScanner.h"
#include "audit/SubjectKeyStore.h"
#include "common/Hex.h"
#include "common/JsonEscape.h"
#include "common/Rfc3339.h"

namespace callwarden::audit {

namespace {
void appendFieldsObject(std::string& o, const Fields& fields) {
  o += '{';
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) o += ',';
    appendJsonString(o, fields[i].first);
    o += ':';
    appendJsonString(o, fields[i].second);
  }
  o += '}';
}
}  // namespace

Status exportRecords(const VerifyOptions& options, Timestamp from, Timestamp to,
                     std::ostream& out) {
  VerifyReport report = verifyLog(options);
  if (report.exit_code == 3) return Status::invalidArgument(report.message);
  if (report.exit_code == 1) {
    return Status::corruption("audit log failed verification (" + report.kind +
                              "): " + report.message);
  }
  const std::string dir = options.dir + "/";
  auto states = readSubjectStates(dir + "subjects.log");
  if (!states.isOk()) return states.status();
  std::unique_ptr<SubjectKeyStore> store;
  if (!options.kek_file.empty()) {
    auto kek = loadKek(options.kek_file);
    if (!kek.isOk()) return kek.status();
    auto opened = SubjectKeyStore::open(dir + "subjects.log", *kek, false, nullptr, true);
    if (!opened.isOk()) return opened.status();
    store = std::move(*opened);
  }
  auto mapped = MappedFile::open(dir + "records.log");
  if (!mapped.isOk()) {
    return mapped.status().code() == ErrorCode::kNotFound ? Status::ok() : mapped.status();
  }
  const int64_t lo = from.time_since_epoch().count();
  const int64_t hi = to.time_since_epoch().count();
  std::string line;
  std::string plain;
  Status result;
  RecordHook hook = [&](const RecordView& r, ScanFailure& f) {
    if (r.ts_us < lo || r.ts_us >= hi) return true;
    line = "{\"seq\":" + std::to_string(r.seq) + ",\"ts\":";
    appendJsonString(line, formatRfc3339(Timestamp{std::chrono::microseconds{r.ts_us}}));
    line += ",\"type\":";
    appendJsonString(line, eventTypeName(static_cast<EventType>(r.event_type)));
    line += ",\"type_id\":" + std::to_string(r.event_type) + ",\"clear\":";
    appendFieldsObject(line, decodeFields(r.clear).value_or(Fields{}));
    line += ",\"subject_id\":";
    if (!r.has_subject) {
      line += "null,\"personal\":null}\n";
    } else {
      SubjectId id;
      std::memcpy(id.data(), r.subject_id, 16);
      appendJsonString(line, toHex(id.data(), 16));
      line += ",\"personal\":";
      auto it = states->find(id);
      if (it != states->end() && it->second.shredded) {
        line += "\"shredded\"";
      } else if (!store) {
        line += "\"sealed\"";
      } else {
        auto k = store->keyFor(id);
        Nonce12 nonce;
        Tag16 tag;
        std::memcpy(nonce.data(), r.nonce, 12);
        std::memcpy(tag.data(), r.tag, 16);
        if (!k.isOk()) {
          line += "\"unavailable\"";
        } else if (!aesGcmOpen(k->dek, nonce, r.bytes.substr(0, r.aad_len), r.ciphertext, tag,
                               plain)) {
          f.kind = "aead_fail";
          result = Status::corruption("record " + std::to_string(r.seq) + " does not authenticate");
          return false;
        } else {
          appendFieldsObject(line, decodeFields(plain).value_or(Fields{}));
        }
      }
      line += "}\n";
    }
    out << line;
    if (!out) {
      result = Status::ioError("export output failed");
      return false;
    }
    return true;
  };
  ScanState scan;
  scanRecords(mapped->data(), mapped->size(), {}, hook, scan);
  if (!result.isOk()) return result;
  if (scan.failure)
    return Status::corruption("audit log changed during export: " + scan.failure->message);
  out.flush();
  return Status::ok();
}

}  // namespace callwarden::audit
