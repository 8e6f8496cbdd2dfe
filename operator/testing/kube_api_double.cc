// The double's threads: one io_context thread serves HTTP, one runs the controllers (garbage
// collector, namespace and CRD cleanup) shortly after each change and every 100 ms.
#include "operator/testing/kube_api_double.h"

#include <condition_variable>
#include <fstream>
#include <future>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "operator/testing/kube_api_double_gc.h"
#include "operator/testing/kube_api_double_http.h"

namespace tern::kube_double {

namespace asio = boost::asio;

struct kube_api_double::impl {
  explicit impl(kube_api_double_options o)
      : options(std::move(o)),
        core(core_options{options.history_limit, options.namespaces, options.host + ":0"}),
        work(asio::make_work_guard(ioc)),
        server(ioc, core, options.bookmark_interval, options.default_watch_timeout),
        gc(core),
        lifecycle(core) {}

  void controller_loop() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      cv.wait_for(lock, std::chrono::milliseconds(100), [this] { return dirty || stopping; });
      if (stopping) break;
      dirty = false;
      lock.unlock();
      std::this_thread::sleep_for(options.controller_delay);
      run_passes();
      lock.lock();
    }
  }

  void run_passes() {
    std::lock_guard pass(pass_mutex);
    for (int i = 0; i < 50; ++i) {
      const bool a = gc.run_once();
      const bool b = lifecycle.run_once();
      if (!a && !b) break;
    }
  }

  kube_api_double_options options;
  api_core core;
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work;
  http_server server;
  garbage_collector gc;
  lifecycle_controller lifecycle;
  uint16_t port = 0;
  std::thread io_thread;
  std::thread controller_thread;
  std::mutex mutex;
  std::mutex pass_mutex;
  std::condition_variable cv;
  bool dirty = false;
  bool stopping = false;
  bool stopped = false;
};

kube_api_double::kube_api_double(kube_api_double_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {
  auto port = impl_->server.listen(impl_->options.host, impl_->options.port);
  if (!port) throw std::runtime_error("kube api double: " + port.error());
  impl_->port = *port;
  impl_->core.set_server_address(impl_->options.host + ":" + std::to_string(*port));
  impl_->core.set_bearer_token(impl_->options.bearer_token);
  impl_->core.set_change_listener([i = impl_.get()] {
    std::lock_guard lock(i->mutex);
    i->dirty = true;
    i->cv.notify_one();
  });
  impl_->io_thread = std::thread([i = impl_.get()] { i->ioc.run(); });
  impl_->controller_thread = std::thread([i = impl_.get()] { i->controller_loop(); });
}

kube_api_double::~kube_api_double() {
  stop();
}

uint16_t kube_api_double::port() const {
  return impl_->port;
}

std::string kube_api_double::url() const {
  return "http://" + impl_->options.host + ":" + std::to_string(impl_->port);
}

void kube_api_double::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
    impl_->cv.notify_one();
  }
  impl_->controller_thread.join();
  impl_->core.set_change_listener(nullptr);
  impl_->core.drop_watches();
  std::promise<void> done;
  asio::post(impl_->ioc, [this, &done] {
    impl_->server.stop();
    done.set_value();
  });
  done.get_future().wait();
  impl_->work.reset();
  impl_->ioc.stop();
  impl_->io_thread.join();
}

kube_response kube_api_double::request(const std::string& method, const std::string& target,
                                       const json& body, const std::string& content_type) {
  api_request req{method, target, content_type, body.is_null() ? "" : body.dump(), false};
  api_response resp = impl_->core.handle(req);
  return {resp.status, resp.body.is_null() ? json(resp.text) : resp.body};
}

std::optional<json> kube_api_double::get(const std::string& path) {
  auto resp = request("GET", path);
  if (resp.status == 404) return std::nullopt;
  return resp.body;
}

std::expected<void, std::string> kube_api_double::apply_crd(const json& crd) {
  const std::string name = meta_string(crd, "name");
  const std::string path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
  auto existing = get(path + "/" + name);
  kube_response resp;
  if (!existing) {
    resp = request("POST", path, crd);
  } else {
    json replacement = crd;
    meta_of(replacement)["resourceVersion"] = meta_string(*existing, "resourceVersion");
    resp = request("PUT", path + "/" + name, replacement);
  }
  if (resp.status >= 300) return std::unexpected(resp.body.value("message", resp.body.dump()));
  return {};
}

std::expected<size_t, std::string> kube_api_double::load_crds(const std::string& yaml_file) {
  std::ifstream in(yaml_file);
  if (!in) return std::unexpected("cannot read " + yaml_file);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<json> docs;
  try {
    docs = parse_yaml_documents(text.str());
  } catch (const std::exception& e) {
    return std::unexpected(yaml_file + ": " + e.what());
  }
  size_t loaded = 0;
  for (const auto& doc : docs) {
    if (!doc.is_object() || doc.value("kind", "") != "CustomResourceDefinition") continue;
    if (auto ok = apply_crd(doc); !ok) return std::unexpected(yaml_file + ": " + ok.error());
    ++loaded;
  }
  return loaded;
}

void kube_api_double::compact_history() {
  impl_->core.compact_history();
}

void kube_api_double::drop_watches() {
  impl_->core.drop_watches();
}

void kube_api_double::fail_next(std::string method, std::string path_substring, int code) {
  impl_->core.fail_next(std::move(method), std::move(path_substring), code);
}

size_t kube_api_double::open_watches() const {
  return impl_->core.open_watches();
}

uint64_t kube_api_double::resource_version() const {
  return impl_->core.resource_version();
}

std::vector<request_record> kube_api_double::requests() const {
  return impl_->core.requests();
}

void kube_api_double::clear_requests() {
  impl_->core.clear_requests();
}

void kube_api_double::set_bearer_token(std::string token) {
  impl_->core.set_bearer_token(std::move(token));
}

void kube_api_double::run_controllers() {
  impl_->run_passes();
}

}  // namespace tern::kube_double
