#include "store/SqliteTwilioLedger.h"

namespace callwarden::store::twilio_ledger {
namespace {

int64_t toMicros(Timestamp t) {
  return t.time_since_epoch().count();
}
Timestamp fromMicros(int64_t m) {
  return Timestamp{std::chrono::microseconds{m}};
}
std::optional<int64_t> toMicros(const std::optional<Timestamp>& t) {
  if (!t) return std::nullopt;
  return toMicros(*t);
}
std::optional<Timestamp> optionalTime(const Query& q, int column) {
  if (q.isNull(column)) return std::nullopt;
  return fromMicros(q.int64(column));
}

#define PLACED_CALL_COLUMNS                                                                       \
  "reservation_id, call_sid, state, phone, from_phone, subject_id, api_key, sent_at, "            \
  "last_status, last_sequence, rang, answered_by, final_status, settled_at, reconcile_attempts, " \
  "next_reconcile_at"

dialer::PlacedCall readPlacedCall(const Query& q) {
  dialer::PlacedCall p;
  p.reservation_id = q.text(0);
  p.call_sid = q.isNull(1) ? "" : q.text(1);
  p.state = dialer::parsePlacedCallState(q.text(2));
  p.to = q.text(3);
  p.from = q.text(4);
  p.subject_id = q.text(5);
  p.api_key = q.text(6);
  p.sent_at = fromMicros(q.int64(7));
  p.last_status = q.text(8);
  p.last_sequence = static_cast<int>(q.int64(9));
  p.rang = q.int64(10) != 0;
  p.answered_by = q.text(11);
  p.final_status = q.text(12);
  p.settled_at = optionalTime(q, 13);
  p.reconcile_attempts = static_cast<int>(q.int64(14));
  p.next_reconcile_at = optionalTime(q, 15);
  return p;
}

std::vector<dialer::PlacedCall> readPlacedCalls(Query& q) {
  std::vector<dialer::PlacedCall> out;
  while (q.next()) out.push_back(readPlacedCall(q));
  return out;
}

#define EVENT_COLUMNS                                                                  \
  "id, kind, call_sid, resource_sid, status, sequence_number, answered_by, to_phone, " \
  "from_phone, params, request_id, received_at, processed_at, result"

dialer::TelephonyEvent readEvent(const Query& q) {
  dialer::TelephonyEvent e;
  e.id = q.int64(0);
  e.kind = q.text(1);
  e.call_sid = q.text(2);
  e.resource_sid = q.text(3);
  e.status = q.text(4);
  e.sequence_number = static_cast<int>(q.int64(5));
  e.answered_by = q.text(6);
  e.to = q.text(7);
  e.from = q.text(8);
  e.params = q.text(9);
  e.request_id = q.text(10);
  e.received_at = fromMicros(q.int64(11));
  e.processed_at = optionalTime(q, 12);
  e.result = q.isNull(13) ? "" : q.text(13);
  return e;
}

}  // namespace

void insertPlacedCall(SqliteConnection& c, const dialer::PlacedCall& p) {
  Query(c, "INSERT INTO placed_call (" PLACED_CALL_COLUMNS
           ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .bind(p.reservation_id)
      .bind(std::optional<int64_t>())  // call_sid: set below when known
      .bind(dialer::placedCallStateName(p.state))
      .bind(p.to)
      .bind(p.from)
      .bind(p.subject_id)
      .bind(p.api_key)
      .bind(toMicros(p.sent_at))
      .bind(p.last_status)
      .bind(int64_t{p.last_sequence})
      .bind(int64_t{p.rang ? 1 : 0})
      .bind(p.answered_by)
      .bind(p.final_status)
      .bind(toMicros(p.settled_at))
      .bind(int64_t{p.reconcile_attempts})
      .bind(toMicros(p.next_reconcile_at))
      .run();
  if (!p.call_sid.empty()) updatePlacedCall(c, p);
}

void updatePlacedCall(SqliteConnection& c, const dialer::PlacedCall& p) {
  Query q(c,
          "UPDATE placed_call SET call_sid = ?, state = ?, last_status = ?, last_sequence = ?, "
          "rang = ?, answered_by = ?, final_status = ?, settled_at = ?, reconcile_attempts = ?, "
          "next_reconcile_at = ? WHERE reservation_id = ?");
  if (p.call_sid.empty()) {
    q.bind(std::optional<int64_t>());
  } else {
    q.bind(p.call_sid);
  }
  q.bind(dialer::placedCallStateName(p.state))
      .bind(p.last_status)
      .bind(int64_t{p.last_sequence})
      .bind(int64_t{p.rang ? 1 : 0})
      .bind(p.answered_by)
      .bind(p.final_status)
      .bind(toMicros(p.settled_at))
      .bind(int64_t{p.reconcile_attempts})
      .bind(toMicros(p.next_reconcile_at))
      .bind(p.reservation_id)
      .run();
}

std::optional<dialer::PlacedCall> placedCall(SqliteConnection& c,
                                             const std::string& reservation_id) {
  Query q(c, "SELECT " PLACED_CALL_COLUMNS " FROM placed_call WHERE reservation_id = ?");
  q.bind(reservation_id);
  if (!q.next()) return std::nullopt;
  return readPlacedCall(q);
}

std::optional<dialer::PlacedCall> placedCallBySid(SqliteConnection& c,
                                                  const std::string& call_sid) {
  Query q(c, "SELECT " PLACED_CALL_COLUMNS " FROM placed_call WHERE call_sid = ?");
  q.bind(call_sid);
  if (!q.next()) return std::nullopt;
  return readPlacedCall(q);
}

std::vector<dialer::PlacedCall> unknownPlacedCalls(SqliteConnection& c, const std::string& to,
                                                   const std::string& from, Timestamp since) {
  Query q(c, "SELECT " PLACED_CALL_COLUMNS
             " FROM placed_call WHERE state = 'unknown' AND call_sid IS NULL AND phone = ? "
             "AND from_phone = ? AND sent_at >= ? ORDER BY sent_at");
  q.bind(to).bind(from).bind(toMicros(since));
  return readPlacedCalls(q);
}

std::vector<dialer::PlacedCall> placedCallsDue(SqliteConnection& c, Timestamp now, int limit) {
  Query q(c, "SELECT " PLACED_CALL_COLUMNS
             " FROM placed_call WHERE state IN ('unknown', 'placed') AND next_reconcile_at IS NOT "
             "NULL AND next_reconcile_at <= ? ORDER BY next_reconcile_at LIMIT ?");
  q.bind(toMicros(now)).bind(int64_t{limit});
  return readPlacedCalls(q);
}

bool insertTelephonyEvent(SqliteConnection& c, const dialer::TelephonyEvent& e, int64_t* id) {
  Query q(c,
          "INSERT INTO twilio_event (kind, call_sid, resource_sid, status, sequence_number, "
          "answered_by, to_phone, from_phone, params, request_id, received_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          "ON CONFLICT (kind, call_sid, resource_sid, status, sequence_number) DO NOTHING "
          "RETURNING id");
  q.bind(e.kind)
      .bind(e.call_sid)
      .bind(e.resource_sid)
      .bind(e.status)
      .bind(int64_t{e.sequence_number})
      .bind(e.answered_by)
      .bind(e.to)
      .bind(e.from)
      .bind(e.params)
      .bind(e.request_id)
      .bind(toMicros(e.received_at));
  if (!q.next()) return false;
  if (id != nullptr) *id = q.int64(0);
  q.run();  // finish the statement
  return true;
}

std::vector<dialer::TelephonyEvent> unprocessedTelephonyEvents(SqliteConnection& c, int limit) {
  Query q(c, "SELECT " EVENT_COLUMNS
             " FROM twilio_event WHERE processed_at IS NULL ORDER BY id LIMIT ?");
  q.bind(int64_t{limit});
  std::vector<dialer::TelephonyEvent> out;
  while (q.next()) out.push_back(readEvent(q));
  return out;
}

std::vector<dialer::TelephonyEvent> telephonyEventsForCall(SqliteConnection& c,
                                                           const std::string& call_sid) {
  Query q(c, "SELECT " EVENT_COLUMNS
             " FROM twilio_event WHERE call_sid = ? ORDER BY sequence_number, id");
  q.bind(call_sid);
  std::vector<dialer::TelephonyEvent> out;
  while (q.next()) out.push_back(readEvent(q));
  return out;
}

void markTelephonyEventProcessed(SqliteConnection& c, int64_t id, const std::string& result,
                                 Timestamp at) {
  Query(c, "UPDATE twilio_event SET processed_at = ?, result = ? WHERE id = ?")
      .bind(toMicros(at))
      .bind(result)
      .bind(id)
      .run();
}

}  // namespace callwarden::store::twilio_ledger
