"""A simulated room and person, for the demo, the benchmarks and the tests."""
