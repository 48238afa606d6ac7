// callwardend: the HTTP service. Wiring only; see app/Service.cpp.

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionSet.h>
#include <Poco/Util/ServerApplication.h>

#include <iostream>

#include "app/Config.h"
#include "app/Service.h"
#include "common/Log.h"

namespace {

using Poco::Util::Application;
using Poco::Util::Option;
using Poco::Util::OptionSet;

class CallwardenDaemon : public Poco::Util::ServerApplication {
 protected:
  void defineOptions(OptionSet& options) override {
    ServerApplication::defineOptions(options);
    options.addOption(
        Option("help", "h", "show this help, every option and every configuration key")
            .required(false)
            .repeatable(false)
            .callback(
                Poco::Util::OptionCallback<CallwardenDaemon>(this, &CallwardenDaemon::onHelp)));
    options.addOption(Option("config", "c", "path of the JSON configuration file (required)")
                          .required(false)
                          .repeatable(false)
                          .argument("PATH")
                          .callback(Poco::Util::OptionCallback<CallwardenDaemon>(
                              this, &CallwardenDaemon::onConfig)));
  }

  void onHelp(const std::string&, const std::string&) {
    help_ = true;
    stopOptionsProcessing();
  }
  void onConfig(const std::string&, const std::string& value) { config_path_ = value; }

  void printHelp() {
    Poco::Util::HelpFormatter f(options());
    f.setCommand(commandName());
    f.setUsage("--config=PATH");
    f.setHeader(
        "callwardend: the callwarden compliance gate between an outbound dialer and Twilio.");
    std::string footer =
        "Configuration keys (JSON file; each overridable by the environment variable shown):\n";
    for (const auto& d : callwarden::app::configKeyDocs()) {
      footer += "  " + d.key + "  [" + d.env + "]\n      " + d.description + "\n";
    }
    footer +=
        "Exit status: 0 after a clean shutdown, 1 when configuration, keys, store or audit log "
        "cannot be opened.";
    f.setFooter(footer);
    f.format(std::cout);
  }

  int main(const std::vector<std::string>&) override {
    if (help_) {
      printHelp();
      return Application::EXIT_OK;
    }
    if (config_path_.empty()) {
      std::cerr << "callwardend: --config=PATH is required (see --help)\n";
      return Application::EXIT_USAGE;
    }
    auto config = callwarden::app::loadConfig(config_path_, callwarden::app::processEnv());
    if (!config.isOk()) {
      std::cerr << "callwardend: " << config.status().toString() << "\n";
      return 1;
    }
    applyLogLevel(config->log_level);
    callwarden::SystemClock clock;
    auto service = callwarden::app::Service::start(*config, clock);
    if (!service.isOk()) {
      std::cerr << "callwardend: cannot start: " << service.status().toString() << "\n";
      return 1;
    }
    waitForTerminationRequest();
    callwarden::Log::info("shutting down");
    (*service)->stop();
    return Application::EXIT_OK;
  }

 private:
  static void applyLogLevel(const std::string& level) {
    using callwarden::LogLevel;
    callwarden::Log::setMinLevel(level == "debug"   ? LogLevel::kDebug
                                 : level == "warn"  ? LogLevel::kWarn
                                 : level == "error" ? LogLevel::kError
                                                    : LogLevel::kInfo);
  }

  bool help_ = false;
  std::string config_path_;
};

}  // namespace

POCO_SERVER_MAIN(CallwardenDaemon)
