"""Benchmarks. Each prints figures as one JSON object on its last line, including a ratio against a
baseline measured in the same process on the same data. Run all with `make bench`."""
