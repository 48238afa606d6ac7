#include "dialer/TelephonyRecords.h"

#include <stdexcept>

#include "dialer/AttemptLedger.h"
#include "dialer/TelephonyPort.h"

namespace callwarden::dialer {

std::string_view placedCallStateName(PlacedCallState s) {
  switch (s) {
    case PlacedCallState::kUnknown:
      return "unknown";
    case PlacedCallState::kPlaced:
      return "placed";
    case PlacedCallState::kSettled:
      return "settled";
    case PlacedCallState::kRefused:
      return "refused";
    case PlacedCallState::kAbandoned:
      return "abandoned";
  }
  return "unknown";
}

PlacedCallState parsePlacedCallState(std::string_view s) {
  if (s == "placed") return PlacedCallState::kPlaced;
  if (s == "settled") return PlacedCallState::kSettled;
  if (s == "refused") return PlacedCallState::kRefused;
  if (s == "abandoned") return PlacedCallState::kAbandoned;
  // Anything unreadable is "may exist": it keeps counting and gets reconciled.
  return PlacedCallState::kUnknown;
}

std::string_view telephonyFailureName(TelephonyFailure f) {
  switch (f) {
    case TelephonyFailure::kRefused:
      return "refused";
    case TelephonyFailure::kUnavailable:
      return "unavailable";
    case TelephonyFailure::kOutcomeUnknown:
      return "outcome_unknown";
    case TelephonyFailure::kInvalid:
      return "invalid";
  }
  return "outcome_unknown";
}

namespace {

[[noreturn]] void unsupported(const char* what) {
  throw std::logic_error(std::string("this attempt ledger does not store ") + what);
}

}  // namespace

void LedgerTxn::insertPlacedCall(const PlacedCall&) {
  unsupported("placed calls");
}
void LedgerTxn::updatePlacedCall(const PlacedCall&) {
  unsupported("placed calls");
}
std::optional<PlacedCall> LedgerTxn::placedCall(const std::string&) {
  unsupported("placed calls");
}
std::optional<PlacedCall> LedgerTxn::placedCallBySid(const std::string&) {
  unsupported("placed calls");
}
std::vector<PlacedCall> LedgerTxn::unknownPlacedCalls(const std::string&, const std::string&,
                                                      Timestamp) {
  unsupported("placed calls");
}
std::vector<PlacedCall> LedgerTxn::placedCallsDue(Timestamp, int) {
  unsupported("placed calls");
}
bool LedgerTxn::insertTelephonyEvent(const TelephonyEvent&, int64_t*) {
  unsupported("telephony events");
}
std::vector<TelephonyEvent> LedgerTxn::unprocessedTelephonyEvents(int) {
  unsupported("telephony events");
}
std::vector<TelephonyEvent> LedgerTxn::telephonyEventsForCall(const std::string&) {
  unsupported("telephony events");
}
void LedgerTxn::markTelephonyEventProcessed(int64_t, const std::string&, Timestamp) {
  unsupported("telephony events");
}

}  // namespace callwarden::dialer
