// tern-kube-double: the Kubernetes API test double as a process, for Python and e2e tests.
//
//   tern-kube-double [--host 127.0.0.1] [--port 0] [--crd FILE...] [--bookmark-interval-ms 1000]
//                    [--history 10000] [--token TOKEN]
//
// Prints "tern-kube-double ready: http://127.0.0.1:PORT" once it serves, then runs until
// SIGINT or SIGTERM.
#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#include "operator/testing/kube_api_double.h"

int main(int argc, char** argv) {
  tern::kube_double::kube_api_double_options options;
  std::vector<std::string> crds;
  int bookmark_ms = static_cast<int>(options.bookmark_interval.count());
  int history = static_cast<int>(options.history_limit);

  CLI::App app{"Kubernetes API server test double"};
  app.add_option("--host", options.host, "address to listen on");
  app.add_option("--port", options.port, "port to listen on (0: any free port)");
  app.add_option("--crd", crds, "CustomResourceDefinition YAML files to load")->expected(1, -1);
  app.add_option("--bookmark-interval-ms", bookmark_ms, "how often watches get a BOOKMARK");
  app.add_option("--history", history, "changes kept for watches from older resourceVersions");
  app.add_option("--token", options.bearer_token, "bearer token HTTP requests must carry");
  CLI11_PARSE(app, argc, argv);
  options.bookmark_interval = std::chrono::milliseconds(bookmark_ms);
  options.history_limit = static_cast<size_t>(history);

  // Block the stop signals before any thread starts, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    tern::kube_double::kube_api_double api(options);
    for (const auto& file : crds) {
      auto loaded = api.load_crds(file);
      if (!loaded) {
        std::cerr << "tern-kube-double: " << loaded.error() << "\n";
        return 1;
      }
    }
    std::cout << "tern-kube-double ready: " << api.url() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    api.stop();
  } catch (const std::exception& e) {
    std::cerr << "tern-kube-double: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
