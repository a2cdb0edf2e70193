#include "executor/progress.h"

#include <cstdio>
#include <iostream>

#include "db/redact.h"

namespace pgstage::executor {

Output::Output(std::function<void(const std::string&)> sink, std::string url, bool tty)
    : sink_(std::move(sink)), url_(std::move(url)), tty_(tty) {}

void Output::line(const std::string& text) {
  if (bar_open_) {
    std::cerr << "\n";
    bar_open_ = false;
  }
  if (sink_) sink_(db::redact_secrets(text, url_));
}

namespace {
std::string eta_text(double seconds) {
  if (seconds < 0) return "?";
  char buf[32];
  if (seconds < 60)
    std::snprintf(buf, sizeof buf, "%.0fs", seconds);
  else if (seconds < 3600)
    std::snprintf(buf, sizeof buf, "%.0fm%02.0fs", seconds / 60 - 0.5,
                  static_cast<double>(static_cast<long>(seconds) % 60));
  else
    std::snprintf(buf, sizeof buf, "%.1fh", seconds / 3600);
  return buf;
}
}  // namespace

void Output::progress(const std::string& label, long long rows, double total, double rate, bool final) {
  auto now = std::chrono::steady_clock::now();
  double eta = total > 0 && rate > 0 ? std::max(0.0, (total - static_cast<double>(rows)) / rate) : -1;
  char buf[256];
  if (tty_) {
    int width = 30;
    int filled = total > 0 ? std::min(width, static_cast<int>(width * static_cast<double>(rows) / total)) : 0;
    std::string bar = std::string(filled, '#') + std::string(width - filled, '.');
    std::snprintf(buf, sizeof buf, "\r  %s [%s] %lld/%s rows  %.0f rows/s  ETA %s   ", label.c_str(), bar.c_str(), rows,
                  total > 0 ? std::to_string(static_cast<long long>(total)).c_str() : "?", rate, eta_text(eta).c_str());
    std::cerr << buf << std::flush;
    bar_open_ = true;
    if (final) {
      std::cerr << "\n";
      bar_open_ = false;
    }
    return;
  }
  if (!final && now - last_ < interval_) return;
  last_ = now;
  std::snprintf(buf, sizeof buf, "  %s: %lld rows done (of ~%s), %.0f rows/s, ETA %s", label.c_str(), rows,
                total > 0 ? std::to_string(static_cast<long long>(total)).c_str() : "?", rate,
                final ? "0s" : eta_text(eta).c_str());
  line(buf);
}

}  // namespace pgstage::executor
