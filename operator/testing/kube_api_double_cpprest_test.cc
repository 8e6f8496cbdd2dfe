// The double as the operator's cpprestsdk client sees it: JSON replies and a chunked watch
// stream read line by line from the response body.
#define _TURN_OFF_PLATFORM_STRING  // cpprestsdk's U() macro breaks Boost headers
#include <cpprest/http_client.h>
#include <cpprest/rawptrstream.h>
#include <gtest/gtest.h>

#include "operator/testing/kube_api_double.h"

namespace tern::kube_double {
namespace {

TEST(KubeApiDoubleCpprest, RequestsAndWatchStream) {
  kube_api_double api;
  web::http::client::http_client client(api.url());
  web::http::http_request post(web::http::methods::POST);
  post.set_request_uri("/api/v1/namespaces/default/configmaps");
  post.set_body(R"({"metadata":{"name":"a"},"data":{"k":"v"}})", "application/json");
  auto created = client.request(post).get();
  ASSERT_EQ(created.status_code(), 201);
  auto body = json::parse(created.extract_string().get());
  const std::string rv = body["metadata"]["resourceVersion"];

  web::http::http_request watch(web::http::methods::GET);
  watch.set_request_uri("/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=0");
  auto response = client.request(watch).get();  // returns once the header is in
  ASSERT_EQ(response.status_code(), 200);
  auto stream = response.body();
  concurrency::streams::container_buffer<std::string> line;
  stream.read_line(line).get();
  auto event = json::parse(line.collection());
  EXPECT_EQ(event["type"], "ADDED");
  EXPECT_EQ(event["object"]["metadata"]["resourceVersion"], rv);

  api.request("DELETE", "/api/v1/namespaces/default/configmaps/a");
  concurrency::streams::container_buffer<std::string> next;
  stream.read_line(next).get();
  EXPECT_EQ(json::parse(next.collection())["type"], "DELETED");
  api.drop_watches();
}

}  // namespace
}  // namespace tern::kube_double
