// Where the executor reports: plain lines (redacted), and backfill progress drawn as a bar on a
// terminal or as periodic log lines otherwise.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace pgstage::executor {

class Output {
 public:
  // `sink` receives each line (without newline); `url` is used to redact the password.
  Output(std::function<void(const std::string&)> sink, std::string url, bool tty);
  void line(const std::string& text);
  // Backfill progress: rows done so far, estimated total (<= 0: unknown), rows per second.
  void progress(const std::string& label, long long rows, double total, double rate, bool final);
  void set_log_interval(std::chrono::milliseconds ms) { interval_ = ms; }

 private:
  std::function<void(const std::string&)> sink_;
  std::string url_;
  bool tty_ = false;
  bool bar_open_ = false;
  std::chrono::milliseconds interval_{5000};
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace pgstage::executor
