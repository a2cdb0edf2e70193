# bash completion for pgstage. CLI11 generates none, so this reads the subcommands and options
# from `pgstage --help` and `pgstage COMMAND --help` as it completes: it stays in step with the
# binary it completes. Rule ids (explain, --enable, --disable) come from `pgstage rules --format json`.

# Prints the entries of one section ("Subcommands" or "Options") of a CLI11 help text, one a line:
# the subcommand names, or every spelling of every option (-f and --format).
_pgstage_help_section() {
  "$1" "${@:3}" --help 2>/dev/null | awk -v want="$2" '
    /^[A-Za-z][A-Za-z ]*:[ \t]*$/ { section = tolower($0); sub(/:.*/, "", section); next }
    section == tolower(want) && /^  [^ ]/ {
      n = split($1, names, ",")
      for (i = 1; i <= n; i++) if (names[i] != "") print names[i]
    }'
}

_pgstage_rule_ids() {
  "$1" rules --format json 2>/dev/null | grep -o '"id": *"[^"]*"' | sed 's/.*"\([^"]*\)"$/\1/'
}

_pgstage() {
  local cur prev bin=${COMP_WORDS[0]} sub="" i
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      -*) ;;
      *) sub=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [ -z "$sub" ]; then
    if [[ $cur == -* ]]; then
      COMPREPLY=($(compgen -W "$(_pgstage_help_section "$bin" options)" -- "$cur"))
    else
      COMPREPLY=($(compgen -W "$(_pgstage_help_section "$bin" subcommands)" -- "$cur"))
    fi
    return 0
  fi
  case $prev in
    -f | --format)
      COMPREPLY=($(compgen -W "text json sarif github gitlab markdown" -- "$cur")); return 0 ;;
    --fail-on) COMPREPLY=($(compgen -W "error warning hint" -- "$cur")); return 0 ;;
    --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return 0 ;;
    --json-style) COMPREPLY=($(compgen -W "auto pretty compact" -- "$cur")); return 0 ;;
    --transaction) COMPREPLY=($(compgen -W "auto per-file none" -- "$cur")); return 0 ;;
    --runner) COMPREPLY=($(compgen -W "external pgstage" -- "$cur")); return 0 ;;
    --layout)
      COMPREPLY=($(compgen -W "auto plain golang-migrate flyway diesel prisma goose dbmate" -- "$cur")); return 0 ;;
    --enable | --disable) COMPREPLY=($(compgen -W "$(_pgstage_rule_ids "$bin")" -- "$cur")); return 0 ;;
    --config | --history | --schema | -o | --out | --output | --stdin-name)
      COMPREPLY=($(compgen -f -- "$cur")); return 0 ;;
    --database-url | --release | --since | --large-table | --large-table-rows | -j | --jobs | --pg-version)
      return 0 ;;
  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_pgstage_help_section "$bin" options "$sub")" -- "$cur"))
  elif [ "$sub" = explain ]; then
    COMPREPLY=($(compgen -W "$(_pgstage_rule_ids "$bin")" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -o bashdefault -F _pgstage pgstage
