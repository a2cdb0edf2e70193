// Executor defaults, in one place. Command-line flags override them.
#pragma once

#include <chrono>

namespace pgstage::executor {

using std::chrono::milliseconds;

inline constexpr milliseconds kDefaultLockTimeout{2000};
inline constexpr int kDefaultLockRetries = 5;
inline constexpr milliseconds kDefaultRetryBase{500};
inline constexpr milliseconds kDefaultRetryCap{30000};
inline constexpr milliseconds kDefaultStatementTimeout{5 * 60 * 1000};
inline constexpr milliseconds kDefaultLongStatementTimeout{6 * 60 * 60 * 1000};  // CONCURRENTLY, VALIDATE
inline constexpr milliseconds kDefaultBatchStatementTimeout{60 * 1000};
inline constexpr milliseconds kDefaultProgressLogInterval{5000};

struct ExecSettings {
  milliseconds lock_timeout = kDefaultLockTimeout;  // per try of a DDL step or backfill batch
  int lock_retries = kDefaultLockRetries;           // retries after the first try, on SQLSTATE 55P03
  milliseconds retry_base = kDefaultRetryBase;      // backoff: base * 2^attempt, capped, with jitter
  milliseconds retry_cap = kDefaultRetryCap;
  milliseconds statement_timeout = kDefaultStatementTimeout;
  milliseconds long_statement_timeout = kDefaultLongStatementTimeout;
  milliseconds batch_statement_timeout = kDefaultBatchStatementTimeout;
  int batch_size = 0;           // 0: the plan's batch size
  milliseconds batch_pause{0};  // sleep between backfill batches
  milliseconds progress_log_interval = kDefaultProgressLogInterval;
};

}  // namespace pgstage::executor
