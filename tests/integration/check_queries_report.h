// Reading a `pgstage check-queries --format json` report in tests.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pgstage::test {

// The status of query `id` at point `point` ("" when absent).
inline std::string status_at(const nlohmann::json& doc, const std::string& point, const std::string& id) {
  for (auto& p : doc["points"])
    if (p["name"] == point)
      for (auto& r : p["results"])
        if (r["query"] == id) return r["status"].get<std::string>();
  return "";
}
// Postgres's error for query `id` at point `point` ("" when ok or absent).
inline std::string error_at(const nlohmann::json& doc, const std::string& point, const std::string& id) {
  for (auto& p : doc["points"])
    if (p["name"] == point)
      for (auto& r : p["results"])
        if (r["query"] == id) return r.value("error", "");
  return "";
}
inline std::vector<std::string> point_names(const nlohmann::json& doc) {
  std::vector<std::string> out;
  for (auto& p : doc["points"]) out.push_back(p["name"]);
  return out;
}

}  // namespace pgstage::test
