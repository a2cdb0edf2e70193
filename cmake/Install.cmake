# `cmake --install`: the binary, the documentation, the man page, bash completion and examples.
# CPack (scripts/package.sh): a .deb whose Depends come from dpkg-shlibdeps, and a .tar.gz.
include(GNUInstallDirs)

install(TARGETS pgstage RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
install(FILES samples/pgstage.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(DIRECTORY samples/migrations DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)
install(FILES docs/pgstage.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
# CLI11 cannot generate completions; this script reads the subcommands and options from
# `pgstage --help` when it completes, so it cannot drift from the binary.
install(FILES completions/pgstage.bash DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions
  RENAME pgstage)

set(CPACK_PACKAGE_NAME pgstage)
set(CPACK_PACKAGE_VENDOR "pgstage")
set(CPACK_PACKAGE_CONTACT "pgstage maintainers <maintainers@users.noreply.r-seed-03934598.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Postgres migration linter, planner and zero-downtime deployer")
set(CPACK_PACKAGE_DESCRIPTION
  "pgstage lints SQL migrations for statements that break the running release or block its traffic,\n\
plans unsafe changes into expand/backfill/contract phases, and applies them before a health-gated,\n\
drained blue/green container swap.")
set(CPACK_RESOURCE_FILE_README ${PROJECT_SOURCE_DIR}/README.md)
set(CPACK_GENERATOR "DEB;TGZ")
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGE_FILE_NAME "${CPACK_PACKAGE_NAME}-${PROJECT_VERSION}-linux-${CMAKE_SYSTEM_PROCESSOR}")

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pgstage_<version>-1_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://example.invalid/pgstage")
# Depends: the shared libraries the binary links (libpqxx, libcurl, libssl, mimalloc, libstdc++, ...)
# as dpkg-shlibdeps resolves them on the build machine (Debian 12 for the published packages).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# trace --temp-cluster runs a local postgresql-15; deploy talks to HAProxy and Docker or Podman.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-15, haproxy, docker.io | podman")
set(CPACK_DEBIAN_COMPRESSION_TYPE xz)

include(CPack)
