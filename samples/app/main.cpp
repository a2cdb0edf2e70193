// The sample application pgstage deploys in its README and end-to-end tests.
//   APP_RELEASE  v1 (reads/writes users.name) | any other name (users.full_name) | broken (never
//                healthy) | broken-worker (healthy as web, never healthy as worker)
//   APP_ROLE     web (default) | worker (consumes the jobs table)
//   PORT         where to listen (default 8080); DATABASE_URL the Postgres URL
//   APP_STARTUP_DELAY_MS  sleep before listening (to test slow starts)
//   APP_DB_POOL  Postgres connections at most (default 4): old and new instances together stay
//                far below max_connections; a request waits up to 5s for a free one
//   APP_STOP_DELAY_MS  after SIGTERM, take this long before exiting (a long job being finished)
//   APP_STOP_LOG  append "<release> <pid> <epoch ms>" to this file when SIGTERM arrives
// Web routes: /healthz, /release, /slow?ms=N (no database), /db-sleep?ms=N (holds a pooled
// connection N ms), POST /users, GET /users/ID.
// GET /healthz is 200 only when it gets a connection and Postgres answers a query (else 503). SIGTERM: stop accepting,
// finish in-flight requests (and the current job), exit 0.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <pqxx/pqxx>

namespace {

std::string env(const char* k, const char* def = "") {
  const char* v = std::getenv(k);
  return v && *v ? v : def;
}

std::string g_url;
std::string g_release;
std::atomic<bool> g_stopping{false};

// A bounded pool: at most `max_` connections, opened on demand, dropped when broken.
class Pool {
 public:
  void set_max(int n) { max_ = n < 1 ? 1 : n; }
  std::unique_ptr<pqxx::connection> acquire() {
    std::unique_lock<std::mutex> lk(mu_);
    if (!cv_.wait_for(lk, std::chrono::seconds(5), [&] { return !idle_.empty() || open_ < max_; }))
      throw std::runtime_error("no free database connection within 5s (pool of " + std::to_string(max_) + ")");
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
    ++open_;
    lk.unlock();
    try {
      return std::make_unique<pqxx::connection>(g_url);
    } catch (...) {
      release(nullptr);
      throw;
    }
  }
  void release(std::unique_ptr<pqxx::connection> c) {
    std::lock_guard<std::mutex> lk(mu_);
    if (c && c->is_open())
      idle_.push_back(std::move(c));
    else
      --open_;
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int open_ = 0;
  int max_ = 4;
};
Pool g_pool;

// Runs f on a pooled connection; one retry on a fresh connection when it was broken.
template <typename F>
auto with_db(F&& f) {
  for (int attempt = 0;; ++attempt) {
    auto c = g_pool.acquire();
    try {
      auto r = f(*c);
      g_pool.release(std::move(c));
      return r;
    } catch (const pqxx::broken_connection&) {
      g_pool.release(nullptr);
      if (attempt > 0) throw;
    } catch (...) {
      g_pool.release(c && c->is_open() ? std::move(c) : nullptr);
      throw;
    }
  }
}

const char* name_column() { return g_release == "v1" ? "name" : "full_name"; }

bool db_ok(std::string& why) {
  try {
    with_db([](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      tx.exec("SELECT 1");
      return 0;
    });
    return true;
  } catch (const std::exception& e) {
    why = e.what();
    return false;
  }
}

void routes(httplib::Server& svr, bool worker) {
  svr.Get("/healthz", [worker](const httplib::Request&, httplib::Response& res) {
    std::string why;
    if (g_release == "broken" || (worker && g_release == "broken-worker")) {
      res.status = 503;
      res.set_content("release \"broken\" is never healthy\n", "text/plain");
    } else if (g_stopping) {
      res.status = 503;
      res.set_content("shutting down\n", "text/plain");
    } else if (!db_ok(why)) {
      res.status = 503;
      res.set_content("database: " + why + "\n", "text/plain");
    } else {
      res.set_content("ok " + g_release + "\n", "text/plain");
    }
  });
  svr.Get("/release",
          [](const httplib::Request&, httplib::Response& res) { res.set_content(g_release + "\n", "text/plain"); });
  if (worker) return;
  svr.Get("/slow", [](const httplib::Request& req, httplib::Response& res) {
    int ms = req.has_param("ms") ? std::atoi(req.get_param_value("ms").c_str()) : 1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    res.set_content("slept " + std::to_string(ms) + "ms in " + g_release + "\n", "text/plain");
  });
  // Holds a pooled database connection for `ms` (pg_sleep): the connection pool under load.
  svr.Get("/db-sleep", [](const httplib::Request& req, httplib::Response& res) {
    int ms = req.has_param("ms") ? std::atoi(req.get_param_value("ms").c_str()) : 200;
    try {
      with_db([&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        tx.exec_params("SELECT pg_sleep($1)", ms / 1000.0);
        return 0;
      });
      res.set_content("held a database connection " + std::to_string(ms) + "ms in " + g_release + "\n", "text/plain");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", "text/plain");
    }
  });
  svr.Post("/users", [](const httplib::Request& req, httplib::Response& res) {
    try {
      long id = with_db([&](pqxx::connection& c) {
        pqxx::work tx(c);
        auto r = tx.exec_params1(
            std::string("INSERT INTO users (") + name_column() + ", email) VALUES ($1, $2) RETURNING id", req.body,
            req.body + "@example.com");
        tx.commit();
        return r[0].as<long>();
      });
      res.status = 201;
      res.set_content(std::to_string(id) + "\n", "text/plain");
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", "text/plain");
    }
  });
  svr.Get(R"(/users/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
    try {
      std::string id = req.matches[1];
      auto r = with_db([&](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        return tx.exec_params(std::string("SELECT ") + name_column() + " FROM users WHERE id = $1", std::stol(id));
      });
      if (r.empty()) {
        res.status = 404;
        res.set_content("no user " + id + "\n", "text/plain");
      } else {
        res.set_content(r[0][0].c_str() + std::string("\n"), "text/plain");
      }
    } catch (const std::exception& e) {
      res.status = 500;
      res.set_content(std::string(e.what()) + "\n", "text/plain");
    }
  });
}

// Claims one pending job (SKIP LOCKED, so several workers never take the same one).
bool work_one() {
  return with_db([](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "UPDATE jobs SET done_at = now(), done_by = $1 WHERE id = (SELECT id FROM jobs "
        "WHERE done_at IS NULL ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING id",
        g_release);
    tx.commit();
    return !r.empty();
  });
}

}  // namespace

int main() {
  g_url = env("DATABASE_URL");
  g_release = env("APP_RELEASE", "v1");
  g_pool.set_max(std::atoi(env("APP_DB_POOL", "4").c_str()));
  bool worker = env("APP_ROLE", "web") == "worker";
  int port = std::atoi(env("PORT", "8080").c_str());
  std::cout.setf(std::ios::unitbuf);

  // SIGTERM is handled by a thread (sigwait), not in a signal handler.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  if (int d = std::atoi(env("APP_STARTUP_DELAY_MS", "0").c_str()); d > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(d));

  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(64); };
  svr.set_keep_alive_timeout(2);
  routes(svr, worker);
  if (!svr.bind_to_port("0.0.0.0", port)) {
    std::cout << "sample-app " << g_release << ": cannot listen on port " << port << "\n";
    return 1;
  }
  std::thread signals([&] {
    int sig = 0;
    sigwait(&set, &sig);
    if (std::string log = env("APP_STOP_LOG"); !log.empty()) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
      std::ofstream(log, std::ios::app) << g_release << " " << getpid() << " " << ms << "\n";
    }
    std::cout << "sample-app " << g_release << ": signal " << sig
              << ", no new connections; finishing in-flight requests\n";
    g_stopping = true;
    svr.stop();
  });
  std::thread jobs;
  if (worker) {
    jobs = std::thread([] {
      long done = 0;
      while (!g_stopping) {
        try {
          if (work_one())
            ++done;
          else
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } catch (const std::exception& e) {
          std::cout << "worker: " << e.what() << "\n";
          std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
      }
      std::cout << "worker " << g_release << ": stopped after " << done << " jobs\n";
    });
  }
  std::cout << "sample-app " << g_release << (worker ? " worker" : " web") << " listening on port " << port << "\n";
  svr.listen_after_bind();  // returns after stop(), once in-flight requests are done
  if (jobs.joinable()) jobs.join();
  if (int d = std::atoi(env("APP_STOP_DELAY_MS", "0").c_str()); d > 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(d));
  std::cout << "sample-app " << g_release << ": exited cleanly\n";
  signals.detach();
  return 0;
}
