#include "FakeTwilioConfig.h"

#include <sys/stat.h>

#include <fstream>

namespace callwarden::testing {

FakeTwilio::Options fakeTwilioOptions(const Clock* clock) {
  FakeTwilio::Options o;
  o.clock = clock;
  return o;
}

void configureForFakeTwilio(app::Config& config, const FakeTwilio& twilio,
                            const std::string& token_file, const std::string& public_base_url) {
  std::ofstream(token_file) << twilio.authToken() << "\n";
  ::chmod(token_file.c_str(), 0600);
  config.twilio_account_sid = twilio.accountSid();
  config.twilio_auth_token_file = token_file;
  config.twilio_base_url = twilio.baseUrl();
  config.twilio_public_base_url = public_base_url;
}

}  // namespace callwarden::testing
