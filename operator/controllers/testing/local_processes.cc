// fork/exec of test servers.
#include "operator/controllers/testing/local_processes.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace tern::op::testing {

temp_dir::temp_dir(const std::string& prefix) : path_("/tmp/" + prefix + "-XXXXXX") {
  if (mkdtemp(path_.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
}

temp_dir::temp_dir(temp_dir&& other) noexcept : path_(std::exchange(other.path_, {})) {}

temp_dir& temp_dir::operator=(temp_dir&& other) noexcept {
  if (this != &other) {
    remove();
    path_ = std::exchange(other.path_, {});
  }
  return *this;
}

temp_dir::~temp_dir() {
  remove();
}

void temp_dir::remove() {
  if (path_.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

uint16_t free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

child_process::child_process(std::vector<std::string> args, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e)
    if (!std::string_view(*e).starts_with("TERN_")) env.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const int out = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_ = fork();
  if (pid_ == 0) {
    dup2(out, 1);
    dup2(out, 2);
    const int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    execve(argv[0], argv.data(), envp.data());
    execvpe(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(out);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

child_process::child_process(child_process&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), log_path_(std::move(other.log_path_)) {}

child_process& child_process::operator=(child_process&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = std::exchange(other.pid_, -1);
    log_path_ = std::move(other.log_path_);
  }
  return *this;
}

child_process::~child_process() {
  stop();
}

bool child_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

void child_process::stop(std::chrono::milliseconds grace) {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
}

void child_process::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string child_process::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string child_process::wait_for_log(const std::string& text,
                                        std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto current = log();
    if (current.find(text) != std::string::npos) return current;
    if (!running() || std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("waiting for '" + text + "' in " + log_path_ + ":\n" + current);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

local_broker local_broker::start(const std::map<std::string, std::string>& overrides) {
  local_broker b;
  b.dir = temp_dir("tern-operator-broker");
  b.data_dir = b.dir.path();
  std::map<std::string, std::string> all = {{"log.dirs", b.data_dir + "/data"},
                                            {"listeners", "PLAINTEXT://127.0.0.1:0"},
                                            {"admin.listeners", "http://127.0.0.1:0"}};
  for (const auto& [k, v] : overrides) all[k] = v;
  std::vector<std::string> args = {TERN_BROKER_BIN};
  for (const auto& [k, v] : all) {
    args.push_back("--override");
    args.push_back(k + "=" + v);
  }
  b.process = child_process(args, b.data_dir + "/broker.log");
  const auto log = b.process.wait_for_log("tern-broker ready", std::chrono::seconds(30));
  static const std::regex ready(R"(kafka=([0-9.]+:\d+).*admin=(http://[0-9.]+:\d+))");
  std::smatch m;
  if (!std::regex_search(log, m, ready)) throw std::runtime_error("unexpected ready line:\n" + log);
  b.bootstrap = m[1];
  b.admin_url = m[2];
  return b;
}

local_etcd local_etcd::start() {
  local_etcd e;
  e.dir = temp_dir("tern-operator-etcd");
  e.data_dir = e.dir.path();
  const std::string client = "http://127.0.0.1:" + std::to_string(free_port());
  const std::string peer = "http://127.0.0.1:" + std::to_string(free_port());
  e.process = child_process(
      {"etcd", "--name=t", "--data-dir=" + e.data_dir + "/data", "--listen-client-urls=" + client,
       "--advertise-client-urls=" + client, "--listen-peer-urls=" + peer,
       "--initial-advertise-peer-urls=" + peer, "--initial-cluster=t=" + peer},
      e.data_dir + "/etcd.log");
  e.process.wait_for_log("ready to serve client requests", std::chrono::seconds(30));
  e.endpoint = client.substr(std::string("http://").size());
  return e;
}

}  // namespace tern::op::testing
