"""Reference data as plain Python modules: industries (GB/T 4754-2017) and regions (GB/T 2260).

Pure Python, no database: the tables change with a new edition of a standard, which is a code
change reviewed like any other.
"""
