#pragma once
// Points a service under test at a FakeTwilio: the fake's options with the test's clock, and
// the twilio.* configuration keys with the auth token written to a 0600 file.

#include <string>

#include "FakeTwilio.h"
#include "app/Config.h"

namespace callwarden::testing {

FakeTwilio::Options fakeTwilioOptions(const Clock* clock);

/// Writes the fake's auth token to `token_file` (mode 0600) and sets account SID, token file,
/// base URL and the public URL that callbacks are signed against.
void configureForFakeTwilio(app::Config& config, const FakeTwilio& twilio,
                            const std::string& token_file, const std::string& public_base_url);

}  // namespace callwarden::testing
