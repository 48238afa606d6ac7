#pragma once
// SQL for the call gateway's part of the attempt ledger: the placed_call and twilio_event
// tables (migration 4). SqliteAttemptLedger's transaction object delegates its placed-call and
// telephony-event operations here, so they run inside the same group-committed transaction as
// the reservation they settle.
//
// Not thread-safe by itself: called only with a connection the caller holds inside a
// transaction. Errors throw SqliteError, which SqliteAttemptLedger turns into a Status.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dialer/TelephonyRecords.h"
#include "store/SqliteConnection.h"

namespace callwarden::store::twilio_ledger {

void insertPlacedCall(SqliteConnection& c, const dialer::PlacedCall& call);
void updatePlacedCall(SqliteConnection& c, const dialer::PlacedCall& call);
std::optional<dialer::PlacedCall> placedCall(SqliteConnection& c,
                                             const std::string& reservation_id);
std::optional<dialer::PlacedCall> placedCallBySid(SqliteConnection& c, const std::string& call_sid);
std::vector<dialer::PlacedCall> unknownPlacedCalls(SqliteConnection& c, const std::string& to,
                                                   const std::string& from, Timestamp since);
std::vector<dialer::PlacedCall> placedCallsDue(SqliteConnection& c, Timestamp now, int limit);

/// INSERT OR IGNORE on the unique key; true iff a row was inserted (its id in `*id`).
bool insertTelephonyEvent(SqliteConnection& c, const dialer::TelephonyEvent& event, int64_t* id);
std::vector<dialer::TelephonyEvent> unprocessedTelephonyEvents(SqliteConnection& c, int limit);
std::vector<dialer::TelephonyEvent> telephonyEventsForCall(SqliteConnection& c,
                                                           const std::string& call_sid);
void markTelephonyEventProcessed(SqliteConnection& c, int64_t id, const std::string& result,
                                 Timestamp at);

}  // namespace callwarden::store::twilio_ledger
