#include "proc/process.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace pgstage::proc {

namespace {

using Clock = std::chrono::steady_clock;

// Everything the child needs, prepared before fork: between fork and exec a child of a
// multi-threaded process may only make async-signal-safe calls (no malloc, no getpwnam).
struct Prepared {
  std::string path;
  std::vector<std::string> argv_storage, env_storage;
  std::vector<char*> argv, envp;
  bool as_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

enum Stage { kExec, kChdir, kSwitchUser, kOpenOutput, kRedirect };

// Why the child could not exec, sent to the parent over a close-on-exec pipe.
struct ChildFailure {
  int stage;  // a Stage
  int error;
};

bool find_in_path(const std::string& name, const std::string& path_var, std::string& out) {
  size_t b = 0;
  while (b <= path_var.size()) {
    size_t e = path_var.find(':', b);
    if (e == std::string::npos) e = path_var.size();
    std::string dir = e > b ? path_var.substr(b, e - b) : ".";
    std::string candidate = dir + "/" + name;
    struct stat st;
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(candidate.c_str(), X_OK) == 0) {
      out = candidate;
      return true;
    }
    b = e + 1;
  }
  return false;
}

bool prepare(const Command& cmd, Prepared& p, std::string& err) {
  if (cmd.argv.empty() || cmd.argv[0].empty()) {
    err = "no program to run";
    return false;
  }
  std::map<std::string, std::string> extra = cmd.env;
  if (!cmd.user.empty()) {
    passwd* pw = getpwnam(cmd.user.c_str());
    if (!pw) {
      err = "cannot run `" + cmd.argv[0] + "` as " + cmd.user + ": no such user";
      return false;
    }
    p.as_user = true;
    p.uid = pw->pw_uid;
    p.gid = pw->pw_gid;
    extra.try_emplace("HOME", pw->pw_dir);
    extra.try_emplace("USER", cmd.user);
    extra.try_emplace("LOGNAME", cmd.user);
  }
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos && extra.count(std::string(kv.substr(0, eq)))) continue;
    p.env_storage.emplace_back(kv);
  }
  for (const auto& [k, v] : extra) p.env_storage.push_back(k + "=" + v);

  const std::string& name = cmd.argv[0];
  if (name.find('/') != std::string::npos) {
    p.path = name;
  } else {
    auto it = extra.find("PATH");
    const char* path_var = it != extra.end() ? it->second.c_str() : std::getenv("PATH");
    if (!find_in_path(name, path_var ? path_var : "/usr/local/bin:/usr/bin:/bin", p.path)) {
      err = "cannot run `" + name + "`: not found in PATH";
      return false;
    }
  }
  p.argv_storage = cmd.argv;
  for (auto& a : p.argv_storage) p.argv.push_back(a.data());
  p.argv.push_back(nullptr);
  for (auto& e : p.env_storage) p.envp.push_back(e.data());
  p.envp.push_back(nullptr);
  return true;
}

[[noreturn]] void child_fail(int report_fd, int stage) {
  ChildFailure f{stage, errno};
  if (write(report_fd, &f, sizeof f) < 0) _exit(127);
  _exit(127);
}

// In the child, between fork and exec: async-signal-safe calls only.
// in/out/err < 0 mean /dev/null (or the output file for out and err).
[[noreturn]] void exec_child(const Command& cmd, const Prepared& p, int in, int out, int err, int report_fd) {
  if (cmd.new_session) setsid();
  if (cmd.die_with_parent) prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (p.as_user) {
    if (setgroups(1, &p.gid) != 0 || setgid(p.gid) != 0 || setuid(p.uid) != 0) child_fail(report_fd, kSwitchUser);
  }
  if (!cmd.cwd.empty() && chdir(cmd.cwd.c_str()) != 0) child_fail(report_fd, kChdir);
  if (in < 0) in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (out < 0) {
    // Opened as the target user, so a file it later reopens (pg_ctl -l) is its own.
    out = cmd.output_file.empty() ? open("/dev/null", O_WRONLY | O_CLOEXEC)
                                  : open(cmd.output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) child_fail(report_fd, kOpenOutput);
    if (err < 0) err = out;
  }
  if (in < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(report_fd, kRedirect);
  // Nothing of ours (the apply lock, sockets, other children's pipes) lives on in the program.
  for (int fd = 3; fd < 1024; ++fd)
    if (fd != report_fd) close(fd);
  signal(SIGPIPE, SIG_DFL);
  execve(p.path.c_str(), p.argv.data(), p.envp.data());
  child_fail(report_fd, kExec);
}

// Forks and execs; returns the pid once exec succeeded, or -1 with `error` filled.
pid_t start(const Command& cmd, const Prepared& p, int in, int out, int err, std::string& error) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    error = "cannot run `" + cmd.argv[0] + "`: pipe: " + strerror(errno);
    return -1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    error = "cannot run `" + cmd.argv[0] + "`: fork: " + strerror(errno);
    close(report[0]);
    close(report[1]);
    return -1;
  }
  if (pid == 0) {
    close(report[0]);
    exec_child(cmd, p, in, out, err, report[1]);
  }
  close(report[1]);
  ChildFailure f{};
  ssize_t got;
  do got = read(report[0], &f, sizeof f);
  while (got < 0 && errno == EINTR);
  close(report[0]);
  if (got > 0) {
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    error = "cannot run `" + cmd.argv[0] + "`: ";
    switch (f.stage) {
      case kChdir:
        error += "cannot change to " + cmd.cwd + ": ";
        break;
      case kSwitchUser:
        error += "cannot switch to user " + cmd.user + ": ";
        break;
      case kOpenOutput:
        error += "cannot create " + cmd.output_file + ": ";
        break;
      case kRedirect:
        error += "cannot redirect its standard streams: ";
        break;
      default:
        break;
    }
    error += strerror(f.error);
    return -1;
  }
  return pid;
}

void fill_status(Result& r, int status) {
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
}

void close_fd(int& fd) {
  if (fd >= 0) close(fd);
  fd = -1;
}

}  // namespace

std::string display(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += (s.empty() ? "" : " ") + a;
  return s;
}

pid_t spawn(const Command& cmd, std::string& err) {
  Prepared p;
  if (!prepare(cmd, p, err)) return -1;
  return start(cmd, p, -1, -1, -1, err);
}

Result wait(pid_t pid, milliseconds timeout, bool group) {
  Result r;
  r.started = true;
  auto deadline = Clock::now() + timeout;
  auto nap = milliseconds(1);
  int status = 0;
  while (true) {
    pid_t w = waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return r;  // not our child (already reaped)
    if (Clock::now() >= deadline) {
      kill(group ? -pid : pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, milliseconds(20));
  }
  fill_status(r, status);
  return r;
}

Result run(const Command& cmd) {
  Result r;
  Prepared p;
  if (!prepare(cmd, p, r.error)) return r;
  // stdin is a socket so that a program that exits without reading it cannot SIGPIPE us.
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};
  auto close_all = [&] {
    for (int* fd : {&in[0], &in[1], &out[0], &out[1], &err[0], &err[1]}) close_fd(*fd);
  };
  bool capture = cmd.output_file.empty();
  if ((cmd.input && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) != 0) ||
      (capture && pipe2(out, O_CLOEXEC) != 0) || (capture && !cmd.merge_stderr && pipe2(err, O_CLOEXEC) != 0)) {
    r.error = "cannot run `" + cmd.argv[0] + "`: " + strerror(errno);
    close_all();
    return r;
  }
  pid_t pid = start(cmd, p, in[0], out[1], capture ? (cmd.merge_stderr ? out[1] : err[1]) : -1, r.error);
  close_fd(in[0]);
  close_fd(out[1]);
  close_fd(err[1]);
  if (pid < 0) {
    close_all();
    return r;
  }
  r.started = true;

  auto deadline = Clock::now() + cmd.timeout;
  size_t written = 0;
  if (cmd.input && cmd.input->empty()) close_fd(in[1]);
  pollfd fds[3] = {{in[1], POLLOUT, 0}, {out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[3] = {nullptr, &r.out, &r.err};
  int status = 0;
  bool exited = false;
  char buf[65536];
  auto read_from = [&](int i) {
    ssize_t n = read(fds[i].fd, buf, sizeof buf);
    if (n > 0) {
      sinks[i]->append(buf, size_t(n));
    } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
      close(fds[i].fd);
      fds[i].fd = -1;
    }
    return n > 0;
  };
  while (fds[0].fd >= 0 || fds[1].fd >= 0 || fds[2].fd >= 0) {
    auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      break;
    }
    // Wake up now and then: a grandchild may hold the pipes open after the child exited.
    int n = poll(fds, 3, int(std::min<long long>(left.count(), 50)));
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) {
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exited = true;
        for (int i = 1; i < 3; ++i)
          if (fds[i].fd >= 0) {
            fcntl(fds[i].fd, F_SETFL, O_NONBLOCK);
            while (fds[i].fd >= 0 && read_from(i)) {
            }
          }
        break;
      }
      continue;
    }
    if (fds[0].fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w =
          send(fds[0].fd, cmd.input->data() + written, cmd.input->size() - written, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) written += size_t(w);
      if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == cmd.input->size()) {
        close(fds[0].fd);
        fds[0].fd = -1;
      }
    }
    for (int i = 1; i < 3; ++i)
      if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR))) read_from(i);
  }
  for (auto& f : fds) close_fd(f.fd);
  close_all();
  if (!exited) {
    if (r.timed_out) {
      kill(cmd.new_session ? -pid : pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
    } else {
      Result w = wait(pid, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()), cmd.new_session);
      r.timed_out = w.timed_out;
      r.exit_code = w.exit_code;
      r.signal = w.signal;
      return r;
    }
  }
  fill_status(r, status);
  return r;
}

bool run_checked(const Command& cmd, std::string& out, std::string& err) {
  Result r = run(cmd);
  out = std::move(r.out);
  if (!r.started) {
    err = r.error;
    return false;
  }
  if (r.timed_out) {
    err = "`" + display(cmd.argv) + "` did not finish within " +
          std::to_string(std::chrono::duration_cast<std::chrono::seconds>(cmd.timeout).count()) + "s";
    return false;
  }
  if (r.exit_code != 0) {
    while (!r.err.empty() && (r.err.back() == '\n' || r.err.back() == '\r')) r.err.pop_back();
    err = "`" + display(cmd.argv) + "` failed" + (r.err.empty() ? std::string() : ": " + r.err);
    return false;
  }
  return true;
}

}  // namespace pgstage::proc
