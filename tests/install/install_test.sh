#!/usr/bin/env bash
# `cmake --install` of a build tree into a scratch prefix: the files a package ships, the installed
# binary linting the installed examples, the man page (renders cleanly, names every subcommand of
# `pgstage --help`) and the bash completion (completes subcommands, options, values and rule ids).
# Usage: install_test.sh BUILD_DIR
set -uo pipefail
build=${1:?build directory}
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_file() { [ -f "$prefix/$1" ] || fail "not installed: $1"; }

cmake --install "$build" --prefix "$prefix" >/dev/null || { echo "FAIL: cmake --install $build"; exit 1; }
for f in bin/pgstage share/man/man1/pgstage.1 share/bash-completion/completions/pgstage \
  share/doc/pgstage/README.md share/doc/pgstage/rules.md share/doc/pgstage/examples/pgstage.toml \
  share/doc/pgstage/examples/migrations/004_unsafe.sql; do
  expect_file "$f"
done
[ -x "$prefix/bin/pgstage" ] || fail "bin/pgstage is not executable"
# Nothing but the shipped files: no test binaries, libraries or headers.
extra=$(cd "$prefix" && find . -type f | grep -v -E '^\./(bin/pgstage|share/(man|doc|bash-completion)/)')
[ -z "$extra" ] || fail "unexpected installed files: $extra"

pgstage=$prefix/bin/pgstage
"$pgstage" --version | grep -q '^pgstage [0-9]' || fail "pgstage --version"
out=$("$pgstage" lint --no-config "$prefix/share/doc/pgstage/examples/migrations" 2>&1)
rc=$?
[ $rc -eq 1 ] || fail "lint of the installed examples: exit $rc, expected 1 (they hold unsafe migrations)"
grep -q 'error\[renaming-column\]' <<<"$out" || fail "lint of the installed examples: no renaming-column finding"

# The man page renders without groff warnings and has a section for every subcommand.
man=$prefix/share/man/man1/pgstage.1
warnings=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
[ -z "$warnings" ] || fail "groff warnings in pgstage.1: $warnings"
subcommands=$(. "$prefix/share/bash-completion/completions/pgstage"; _pgstage_help_section "$pgstage" subcommands)
[ "$(wc -w <<<"$subcommands")" -ge 10 ] || fail "found only these subcommands in pgstage --help: $subcommands"
for c in $subcommands; do
  grep -qE "^\.B[IR]? \"?$(sed 's/-/\\\\-/g' <<<"$c")( |\"|\$)" "$man" || fail "pgstage.1 has no section for \`pgstage $c\`"
done

# Completion: COMP_WORDS as bash fills them, the candidates _pgstage leaves in COMPREPLY.
complete_words() {
  (
    . "$prefix/share/bash-completion/completions/pgstage"
    COMP_WORDS=("$@")
    COMP_WORDS[0]=$pgstage
    COMP_CWORD=$(($# - 1))
    _pgstage
    printf '%s\n' "${COMPREPLY[@]}"
  )
}
expect_completion() {  # EXPECTED WORDS...
  local want=$1
  shift
  local got
  got=$(complete_words "$@")
  grep -qx -- "$want" <<<"$got" || fail "completing '$*' offers [$(tr '\n' ' ' <<<"$got")], not $want"
}
expect_completion lint pgstage li
expect_completion explain pgstage exp
expect_completion --format pgstage lint --fo
expect_completion --since pgstage lint --si
expect_completion --dry-run pgstage apply --dr
expect_completion json pgstage lint --format j
expect_completion warning pgstage lint --fail-on w
expect_completion renaming-column pgstage explain renaming-c
expect_completion prefer-text pgstage lint --disable prefer-t
[ "$(complete_words pgstage lint --fo | wc -l)" -eq 1 ] || fail "completing 'lint --fo' offers more than --format"

if [ $failures -gt 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "install: all checks passed ($(cd "$prefix" && find . -type f | wc -l) files installed)"
