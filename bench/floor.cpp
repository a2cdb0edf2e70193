// The floor for bench/run.sh: reads each file given on the command line (or every *.sql in a
// directory) and parses it with libpg_query, nothing else. Same threads as `pgstage lint`
// (-j N, default: all cores). Prints the count of files, statements and parse errors.
//   pgstage_bench_floor [-j N] [--protobuf] <dir-or-files...>
#include <pg_query.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;

int main(int argc, char** argv) {
  int jobs = 0;
  bool protobuf = false;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-j" && i + 1 < argc)
      jobs = std::atoi(argv[++i]);
    else if (a == "--protobuf")
      protobuf = true;
    else if (fs::is_directory(a)) {
      for (auto& e : fs::directory_iterator(a))
        if (e.path().extension() == ".sql") files.push_back(e.path().string());
    } else {
      files.push_back(a);
    }
  }
  std::sort(files.begin(), files.end());
  size_t threads = jobs > 0 ? size_t(jobs) : std::max(1u, std::thread::hardware_concurrency());
  std::atomic<size_t> next{0}, errors{0}, bytes{0}, trees{0};
  auto work = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      std::ifstream in(files[i], std::ios::binary);
      std::ostringstream ss;
      ss << in.rdbuf();
      std::string text = ss.str();
      bytes += text.size();
      if (protobuf) {
        PgQueryProtobufParseResult r = pg_query_parse_protobuf(text.c_str());
        if (r.error)
          ++errors;
        else
          trees += r.parse_tree.len;
        pg_query_free_protobuf_parse_result(r);
      } else {
        PgQueryParseResult r = pg_query_parse(text.c_str());
        if (r.error)
          ++errors;
        else
          trees += std::strlen(r.parse_tree);
        pg_query_free_parse_result(r);
      }
    }
  };
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);
  for (auto& t : pool) t.join();
  std::printf("{\"files\": %zu, \"bytes\": %zu, \"parse_errors\": %zu, \"tree_bytes\": %zu, \"threads\": %zu}\n",
              files.size(), bytes.load(), errors.load(), trees.load(), threads);
  return 0;
}
