#pragma once
// Reads the versioned JSON rule file (data/rules/us.json; format in docs/rules.md) into
// policy's immutable RuleSet. Strict: unknown keys, wrong types, impossible dates and unknown
// calendars are errors, so a typo cannot silently disable a rule.
// Stateless free functions; thread-safe.

#include <memory>
#include <string>
#include <string_view>

#include "common/Result.h"
#include "policy/RuleSet.h"

namespace callwarden::rules {

/// Parses rule-file JSON text. `source` names it in errors ("data/rules/us.json").
/// Errors: kInvalidArgument, message "<source>: <JSON path>: <what is wrong>",
/// e.g. "us.json: $.rules[3].hours.sun[1]: expected HH:MM or HH:MM:SS, got \"25:00\"".
Result<std::shared_ptr<const policy::RuleSet>> parseRuleSet(std::string_view json,
                                                            const std::string& source);

/// Reads and parses a rule file. kIOError when it cannot be read.
Result<std::shared_ptr<const policy::RuleSet>> loadRuleSet(const std::string& path);

}  // namespace callwarden::rules
