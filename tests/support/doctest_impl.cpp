// doctest's implementation, once for the three suites; each suite's main.cpp runs doctest::Context.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
