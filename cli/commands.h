// The tern subcommands. Each registers its flags (named as in Kafka's scripts) on a CLI11
// subcommand and runs when that subcommand is chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace tern::cli {

// Adds the subcommand to `app`; the returned function runs it and gives the exit status.
std::function<int()> add_topics_command(CLI::App& app);
std::function<int()> add_console_producer_command(CLI::App& app);
std::function<int()> add_console_consumer_command(CLI::App& app);
std::function<int()> add_consumer_groups_command(CLI::App& app);
std::function<int()> add_perf_command(CLI::App& app);

}  // namespace tern::cli
