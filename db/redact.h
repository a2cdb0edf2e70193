// Keeps database passwords out of output, logs and errors.
#pragma once

#include <string>
#include <string_view>

namespace pgstage::db {

// The connection string with its password replaced by "***": the userinfo of a postgres:// or
// postgresql:// URL, a `password=` query parameter, and a `password=` keyword of a key/value
// conninfo. Anything else is returned unchanged.
std::string redact_url(std::string_view url);

// `text` (e.g. an error message) with every occurrence of `url` and of its password replaced,
// so a driver error that echoes the connection string cannot leak it.
std::string redact_secrets(std::string_view text, std::string_view url);

// The password in `url`, percent-decoded, or "" when it has none.
std::string url_password(std::string_view url);

// `url` without its password (for a program that takes the password from PGPASSWORD instead of its
// command line, where other users could read it).
std::string url_without_password(std::string_view url);

}  // namespace pgstage::db
