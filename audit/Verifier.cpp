#include "audit/Verifier.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "audit/Checkpoint.h"
#include "audit/FileUtil.h"
#include "audit/Keys.h"
#include "audit/LogScanner.h"
#include "audit/SubjectKeyStore.h"
#include "common/Hex.h"
#include "common/JsonEscape.h"

namespace callwarden::audit {

namespace {

VerifyReport usage(int code, const std::string& kind, const std::string& message) {
  VerifyReport r;
  r.exit_code = code;
  r.kind = kind;
  r.message = message;
  return r;
}

VerifyReport integrityFailure(VerifyReport r, const ScanFailure& f) {
  r.exit_code = 1;
  r.kind = f.kind;
  r.first_bad_seq = f.seq;
  r.message = f.message;
  return r;
}

std::string toText(uint64_t v) {
  return std::to_string(v);
}

}  // namespace

VerifyReport verifyLog(const VerifyOptions& options) {
  if (options.dir.empty()) return usage(3, "usage", "no audit directory given");
  if (options.signing_key_file.empty())
    return usage(3, "usage", "no signing or verifier key given");
  struct stat st {};
  if (::stat(options.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return usage(3, "io_error", "audit directory " + options.dir + " does not exist");
  }
  auto keys = loadVerifierKeys(options.signing_key_file);
  if (!keys.isOk()) return usage(3, "usage", keys.status().message());

  VerifyReport report;
  const std::string dir = options.dir + "/";

  CheckpointSet cps;
  std::optional<ScanFailure> cp_failure;
  Status s = readCheckpoints(dir + "checkpoints.log", *keys, cps, cp_failure);
  if (!s.isOk()) return usage(3, "io_error", s.message());
  report.checkpoints = cps.list.size();
  if (cp_failure) return integrityFailure(report, *cp_failure);
  for (size_t i = 1; i < cps.list.size(); ++i) {
    if (cps.list[i].time_s < cps.list[i - 1].time_s) {
      report.warnings.push_back("checkpoint #" + toText(i + 1) +
                                " is dated before the one preceding it");
    }
  }

  std::vector<RootTarget> targets = rootTargets(cps.list);
  std::optional<Checkpoint> trusted;
  if (!options.trusted_checkpoint_file.empty()) {
    auto note = readFile(options.trusted_checkpoint_file);
    if (!note.isOk()) return usage(3, "io_error", note.status().message());
    Checkpoint cp;
    std::string why;
    NoteError e = openCheckpoint(*note, *keys, cp, &why);
    if (e != NoteError::kNone) {
      report.exit_code = 1;
      report.kind = e == NoteError::kBadSignature ? "bad_signature" : "decode_error";
      report.message = "trusted checkpoint: " + why;
      return report;
    }
    trusted = cp;
    targets.push_back(RootTarget{cp.size, cp.root});
    std::stable_sort(targets.begin(), targets.end(),
                     [](const RootTarget& a, const RootTarget& b) { return a.size < b.size; });
  }

  // Subject state needs no KEK; with the KEK every live sealed record is opened too.
  auto states = readSubjectStates(dir + "subjects.log");
  if (!states.isOk()) return usage(3, "io_error", states.status().message());
  std::unique_ptr<SubjectKeyStore> store;
  if (!options.kek_file.empty()) {
    auto kek = loadKek(options.kek_file);
    if (!kek.isOk()) return usage(3, "usage", kek.status().message());
    auto opened =
        SubjectKeyStore::open(dir + "subjects.log", *kek, false, nullptr, /*read_only=*/true);
    if (!opened.isOk()) return usage(3, "io_error", opened.status().message());
    store = std::move(*opened);
  }
  uint64_t unknown_subjects = 0;
  std::map<SubjectId, Key32> dek_cache;
  std::string plain;
  // Every tombstone in subjects.log must have its erasure record in the log, which the chain
  // and the checkpoints protect: subjects.log has only a checksum, so a tombstone added by
  // hand (or a file restored from before an erasure) would otherwise pass.
  std::set<SubjectId> erased;
  const bool check_subjects = !states->empty() || store;
  RecordHook hook = [&](const RecordView& r, ScanFailure& f) {
    if (auto id = erasedSubject(r)) erased.insert(*id);
    if (!check_subjects) return true;
    if (!r.has_subject) return true;
    SubjectId id;
    std::memcpy(id.data(), r.subject_id, 16);
    auto it = states->find(id);
    if (it == states->end()) {
      ++unknown_subjects;
      return true;
    }
    if (it->second.shredded) {
      ++report.shredded;
      return true;
    }
    if (!store) return true;
    auto c = dek_cache.find(id);
    if (c == dek_cache.end()) {
      auto k = store->keyFor(id);
      if (!k.isOk()) {
        ++unknown_subjects;
        return true;
      }
      c = dek_cache.emplace(id, k->dek).first;
    }
    Nonce12 nonce;
    Tag16 tag;
    std::memcpy(nonce.data(), r.nonce, 12);
    std::memcpy(tag.data(), r.tag, 16);
    if (!aesGcmOpen(c->second, nonce, r.bytes.substr(0, r.aad_len), r.ciphertext, tag, plain)) {
      f.kind = "aead_fail";
      f.message = "sealed data of record " + toText(r.seq) + " does not authenticate";
      return false;
    }
    if (!validFields(plain)) {
      f.kind = "decode_error";
      f.message = "decrypted data of record " + toText(r.seq) + " is not a field list";
      return false;
    }
    ++report.decrypted;
    return true;
  };

  ScanState scan;
  {
    auto mapped = MappedFile::open(dir + "records.log");
    if (!mapped.isOk() && mapped.status().code() != ErrorCode::kNotFound) {
      return usage(3, "io_error", mapped.status().message());
    }
    if (mapped.isOk()) scanRecords(mapped->data(), mapped->size(), targets, hook, scan);
  }
  report.records = scan.records;
  if (scan.failure) return integrityFailure(report, *scan.failure);

  const uint64_t covered = cps.list.empty() ? 0 : cps.list.back().size;
  if (trusted && trusted->size > scan.records) {
    report.exit_code = 1;
    report.kind = "rollback";
    report.first_bad_seq = scan.records;
    report.message = "the trusted checkpoint covers " + toText(trusted->size) +
                     " records but the log holds only " + toText(scan.records);
    return report;
  }
  if (covered > scan.records) {
    report.exit_code = 1;
    report.kind = "root_mismatch";
    report.first_bad_seq = scan.records;
    report.message = "a signed checkpoint covers " + toText(covered) + " records but only " +
                     toText(scan.records) + " are stored";
    return report;
  }
  const std::string expected_origin_suffix = "/" + toHex(scan.log_id.data(), 16);
  for (const auto* cp :
       {cps.list.empty() ? nullptr : &cps.list.back(), trusted ? &*trusted : nullptr}) {
    if (cp != nullptr && scan.have_log_id &&
        (cp->origin.size() < expected_origin_suffix.size() ||
         cp->origin.compare(cp->origin.size() - expected_origin_suffix.size(), std::string::npos,
                            expected_origin_suffix) != 0)) {
      report.exit_code = 1;
      report.kind = "root_mismatch";
      report.first_bad_seq = 0;
      report.message = "checkpoint origin " + cp->origin + " does not name this log";
      return report;
    }
  }
  for (const auto& [id, st] : *states) {
    if (st.shredded && erased.count(id) == 0) {
      report.exit_code = 1;
      report.kind = "unrecorded_shred";
      report.message = "subjects.log marks subject " + toHex(id.data(), id.size()) +
                       " shredded, but no erasure record for it is in the log";
      return report;
    }
  }
  if (scan.records > 0 && cps.list.empty()) {
    // journald #15425: a log stripped of its seals must not pass as merely "unsealed".
    report.exit_code = 1;
    report.kind = "missing_checkpoint";
    report.first_bad_seq = 0;
    report.message = "the log holds " + toText(scan.records) + " records but no signed checkpoint";
    return report;
  }
  report.unsealed = scan.records - covered;
  if (report.unsealed > 0) {
    report.warnings.push_back(toText(report.unsealed) + " records not sealed (seq " +
                              toText(covered) + ".." + toText(scan.records - 1) + ")");
  }
  if (scan.ts_regressions > 0) {
    report.warnings.push_back(toText(scan.ts_regressions) +
                              " records are dated before their predecessor (clock step?)");
  }
  if (unknown_subjects > 0) {
    report.warnings.push_back(toText(unknown_subjects) +
                              " sealed records name a subject missing from subjects.log");
  }
  for (const SubjectId& id : erased) {
    auto it = states->find(id);
    if (it != states->end() && !it->second.shredded) {
      report.warnings.push_back("subject " + toHex(id.data(), id.size()) +
                                " has an erasure record but its key is still in subjects.log "
                                "(a shred the service finishes when it next opens the log, or a "
                                "restored subjects.log that undoes an erasure)");
    }
  }
  if (scan.records == 0) report.warnings.push_back("the log is empty");
  report.exit_code = report.warnings.empty() ? 0 : 2;
  report.kind = report.warnings.empty() ? "ok" : "warnings";
  report.message = "validated " + toText(covered) + " sealed records against " +
                   toText(cps.list.size()) + " checkpoints";
  return report;
}

std::string toJson(const VerifyReport& r) {
  std::string o = "{\"exit_code\":" + std::to_string(r.exit_code) + ",\"result\":";
  appendJsonString(o, r.exit_code == 0   ? "ok"
                      : r.exit_code == 1 ? "fail"
                      : r.exit_code == 2 ? "warn"
                                         : "error");
  o += ",\"kind\":";
  appendJsonString(o, r.kind);
  o += ",\"first_bad_seq\":";
  o += r.first_bad_seq ? std::to_string(*r.first_bad_seq) : "null";
  o += ",\"records\":" + std::to_string(r.records) +
       ",\"checkpoints\":" + std::to_string(r.checkpoints) +
       ",\"unsealed\":" + std::to_string(r.unsealed) +
       ",\"shredded\":" + std::to_string(r.shredded) +
       ",\"decrypted\":" + std::to_string(r.decrypted) + ",\"warnings\":[";
  for (size_t i = 0; i < r.warnings.size(); ++i) {
    if (i > 0) o += ',';
    appendJsonString(o, r.warnings[i]);
  }
  o += "],\"message\":";
  appendJsonString(o, r.message);
  o += "}";
  return o;
}

std::string toText(const VerifyReport& r) {
  std::string o;
  switch (r.exit_code) {
    case 0:
      o = "audit verify: OK\n";
      break;
    case 1:
      o = "audit verify: FAIL " + r.kind +
          (r.first_bad_seq ? " at seq " + std::to_string(*r.first_bad_seq) : std::string()) + "\n";
      break;
    case 2:
      o = "audit verify: OK with warnings\n";
      break;
    default:
      o = "audit verify: ERROR (" + r.kind + ")\n";
      break;
  }
  if (!r.message.empty()) o += "  " + r.message + "\n";
  o += "  records " + std::to_string(r.records) + ", checkpoints " + std::to_string(r.checkpoints) +
       ", unsealed " + std::to_string(r.unsealed) + ", shredded " + std::to_string(r.shredded) +
       ", decrypted " + std::to_string(r.decrypted) + "\n";
  for (const auto& w : r.warnings) o += "  warning: " + w + "\n";
  return o;
}

}  // namespace callwarden::audit
