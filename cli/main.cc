// tern: command-line tools for tern (and any Kafka cluster), flag-compatible with Kafka's
// kafka-topics.sh, kafka-console-producer.sh, kafka-console-consumer.sh and the perf tests.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"tern: tools for tern clusters, with the flags of Kafka's scripts"};
  app.require_subcommand(1);
  std::vector<std::pair<CLI::App*, std::function<int()>>> commands;
  auto add = [&](std::function<int()> (*adder)(CLI::App&)) {
    auto run = adder(app);
    commands.emplace_back(app.get_subcommands({}).back(), std::move(run));
  };
  add(tern::cli::add_topics_command);
  add(tern::cli::add_console_producer_command);
  add(tern::cli::add_console_consumer_command);
  add(tern::cli::add_consumer_groups_command);
  add(tern::cli::add_perf_command);
  CLI11_PARSE(app, argc, argv);
  for (auto& [sub, run] : commands)
    if (sub->parsed()) return run();
  return 2;
}
