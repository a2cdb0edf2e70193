// Unit tests: fast, no services (doctest's implementation is tests/support/doctest_impl.cpp).
#include <doctest/doctest.h>

int main(int argc, char** argv) { return doctest::Context(argc, argv).run(); }
