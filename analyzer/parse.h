// Parsing: split a SourceFile's up section into top-level statements and parse each with
// libpg_query. A statement that does not parse carries its error; the others still parse.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "analyzer/source.h"

namespace pgstage {

struct ParseError {
  std::string message;  // from the Postgres parser
  size_t offset = 0;    // byte offset in the file where the parser stopped
};

// Opaque parse tree of one statement; only analyzer/lower.cpp looks inside.
struct ParseTree;

struct Statement {
  size_t begin = 0;  // byte span in the file, without surrounding whitespace and the ';'
  size_t end = 0;
  std::shared_ptr<const ParseTree> tree;  // null when the statement did not parse
  std::optional<ParseError> error;
  std::string text(const SourceFile& f) const { return f.text.substr(begin, end - begin); }
};

struct Comment {
  size_t begin = 0;
  size_t end = 0;
  std::string text;  // without the -- or /* */ delimiters
};

struct ParsedFile {
  std::vector<Statement> statements;
  std::vector<Comment> comments;  // comments in the up section, in order
};

// Parses the up section of `f`. Never throws on bad input.
ParsedFile parse_source(const SourceFile& f);

// Parses a string of SQL as if it were a whole file at `base_offset` (used for DO-block EXECUTE strings).
ParsedFile parse_sql(const std::string& sql);

}  // namespace pgstage
