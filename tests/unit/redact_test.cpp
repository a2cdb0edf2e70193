#include <doctest/doctest.h>

#include "db/redact.h"

namespace unit_redact_test {

using pgstage::db::redact_secrets;
using pgstage::db::redact_url;
using pgstage::db::url_password;
using pgstage::db::url_without_password;

TEST_CASE("redact_url hides the password of a URL") {
  CHECK(redact_url("postgresql://app:s3cret@db:5432/prod") == "postgresql://app:***@db:5432/prod");
  CHECK(redact_url("postgres://app:p%40ss@db/prod?sslmode=require") == "postgres://app:***@db/prod?sslmode=require");
  CHECK(redact_url("postgresql://app@db/prod?password=hunter2&sslmode=require") ==
        "postgresql://app@db/prod?password=***&sslmode=require");
  // An @ inside the password (unencoded) still hides all of it.
  CHECK(redact_url("postgresql://app:a@b@db/prod") == "postgresql://app:***@db/prod");
}

TEST_CASE("redact_url leaves URLs without a password unchanged") {
  CHECK(redact_url("postgresql://app@db/prod") == "postgresql://app@db/prod");
  CHECK(redact_url("postgresql://db:5432/prod") == "postgresql://db:5432/prod");
  CHECK(redact_url("postgresql:///prod?host=/tmp") == "postgresql:///prod?host=/tmp");
}

TEST_CASE("redact_url hides the password of a key/value conninfo") {
  CHECK(redact_url("host=db user=app password=s3cret dbname=prod") == "host=db user=app password=*** dbname=prod");
  CHECK(redact_url("host=db password = 'a b\\' c' dbname=prod") == "host=db password = *** dbname=prod");
  CHECK(redact_url("host=db dbname=prod") == "host=db dbname=prod");
}

TEST_CASE("url_password decodes the password") {
  CHECK(url_password("postgres://app:p%40ss@db/prod") == "p@ss");
  CHECK(url_password("host=db password='a b\\' c'") == "a b' c");
  CHECK(url_password("postgres://app@db/prod").empty());
}

TEST_CASE("url_without_password drops the password and keeps the rest of the connection string") {
  CHECK(url_without_password("postgresql://app:s3cret@db:5432/prod") == "postgresql://app@db:5432/prod");
  CHECK(url_without_password("postgresql://app:a@b@db/prod?sslmode=require") ==
        "postgresql://app@db/prod?sslmode=require");
  CHECK(url_without_password("postgresql://app@db/prod?password=hunter2&sslmode=require") ==
        "postgresql://app@db/prod?sslmode=require");
  CHECK(url_without_password("postgresql://app@db/prod?sslmode=require&password=hunter2") ==
        "postgresql://app@db/prod?sslmode=require");
  CHECK(url_without_password("postgresql://app@db/prod") == "postgresql://app@db/prod");
  CHECK(url_without_password("host=db user=app password=s3cret dbname=prod") == "host=db user=app  dbname=prod");
  CHECK(url_without_password("host=db password = 'a b\\' c' dbname=prod") == "host=db  dbname=prod");
}

TEST_CASE("redact_secrets removes the URL and its password from an error message") {
  std::string url = "postgresql://app:p%40ss@db/prod";
  std::string msg = "could not connect to postgresql://app:p%40ss@db/prod: password p@ss rejected for p%40ss";
  std::string out = redact_secrets(msg, url);
  CHECK(out.find("p@ss") == std::string::npos);
  CHECK(out.find("p%40ss") == std::string::npos);
  CHECK(out.find("postgresql://app:***@db/prod") != std::string::npos);
}

}  // namespace unit_redact_test
