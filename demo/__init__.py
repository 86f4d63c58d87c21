"""Demo and load-test data: the small demo data set ``make run`` loads and the large seeded data set
of the benchmarks, with the bulk loading they use. Wiring: it writes through every app."""
