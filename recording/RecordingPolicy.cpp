#include "recording/RecordingPolicy.h"

#include <algorithm>
#include <array>

namespace callwarden::recording {
namespace {

// ITU country calling codes of the 27 EU member states and the UK, and of the EU's outermost
// regions that have codes of their own (Reunion and Mayotte 262, Guadeloupe and Saint-Martin
// 590, French Guiana 594, Martinique 596; GDPR applies there) and Gibraltar (350, its own
// GDPR). No code here is a prefix of another; each is matched as a prefix of the digits after
// '+'.
constexpr std::array<std::string_view, 33> kEuUkCallingCodes = {
    "43", "32",  "359", "385", "357", "420", "45",  "372", "358", "33",  "49",
    "30", "36",  "353", "39",  "371", "370", "352", "356", "31",  "48",  "351",
    "40", "421", "386", "34",  "46",  "44",  "262", "590", "594", "596", "350"};

// EU territory outside the tz database's Europe/ area.
constexpr std::array<std::string_view, 13> kEuZonesOutsideEurope = {
    "Atlantic/Canary",      "Atlantic/Madeira",   "Atlantic/Azores", "Africa/Ceuta",
    "Asia/Nicosia",         "Asia/Famagusta",     "Indian/Reunion",  "Indian/Mayotte",
    "America/Guadeloupe",   "America/Martinique", "America/Cayenne", "America/Marigot",
    "America/St_Barthelemy"};

}  // namespace

bool isEuOrUkSubject(std::string_view to, const std::vector<std::string>& zones) {
  if (to.size() > 1 && to[0] == '+') {
    std::string_view digits = to.substr(1);
    for (auto code : kEuUkCallingCodes) {
      if (digits.substr(0, code.size()) == code) return true;
    }
  }
  return std::any_of(zones.begin(), zones.end(), [](const std::string& z) {
    return z.rfind("Europe/", 0) == 0 ||
           std::find(kEuZonesOutsideEurope.begin(), kEuZonesOutsideEurope.end(), z) !=
               kEuZonesOutsideEurope.end();
  });
}

RecordingDecision RecordingPolicy::decide(const RecordingSubject& subject) const {
  RecordingDecision d;
  d.record = true;
  d.channels = "dual";
  for (const auto& r : rules_) {
    if (std::find(subject.jurisdictions.begin(), subject.jurisdictions.end(), r.jurisdiction) !=
        subject.jurisdictions.end()) {
      d.announce = true;
      d.basis = "all_party_consent";
      d.rules.push_back(r.id);
    }
  }
  if (isEuOrUkSubject(subject.to, subject.zones)) {
    d.record = subject.recording_consent;
    d.announce = true;
    d.basis = subject.recording_consent ? "eu_uk_consent" : "eu_uk_no_consent";
  }
  return d;
}

}  // namespace callwarden::recording
