"""Synthetic enterprises for the demo and for benchmarks (`huiqi generate_enterprises`).

Why vectorised: the benchmark file has 1,500,000 rows and must be written in under a minute on a
2-core machine, so nothing here loops over rows in Python. Every random draw is a Polars hash of the
row number (``hash(seed)`` of an integer range), which makes the output a pure function of
(count, seed, region prefix, as-of date) for a given Polars version, and lets a file be produced
in chunks that are identical to the same rows of one big frame.

What the rows look like (plausible, not statistics of a real city; the tables are in
tables.py):
- USCC (GB 32100-2015): 91 企业 (~91%), 92 个体工商户 (~6%), 93 农民专业合作社 (~2.7%) and N2
  村级集体经济组织 (~0.3%, registered by 农业 and running businesses, so held as 市场主体); letters
  A and Y and the other authorities are not enterprises and are not generated. The organisation
  code (positions 9-17) is "MA" + 7 characters for enterprises founded after the reform of
  2015-10-01, and an old GB 11714 organisation code (8 digits + its check character) before. Both
  are bijections of the row number, so codes are unique within a file; the check character is
  computed column-wise with the standard's weights.
- Industry: real GB/T 4754-2017 classes, manufacturing heaviest, then trade, business services,
  software, construction, catering ..., including a few the size standard does not cover (finance,
  education, health, 房地产租赁经营) so that size_class is sometimes null.
- Size: micro ~74%, small ~19%, medium ~5.5%, large ~1.5%; employees, revenue and assets are drawn
  log-uniformly inside that class's band of 国统字〔2017〕213号 for the industry's group, so the
  derived size_class agrees with the intended one; indicators the group does not list are derived
  from the others. Some cells are empty (unknown), as in real registries.
- Founded 1990-01-01 .. as-of date, skewed young (larger enterprises older).
- Tags, red list (~2%), mobile phones (unique per row), Chinese names.
"""

from huiqi.enterprises.synthetic.generator import (
    CONTRACT_COLUMNS,
    generate_enterprise_rows,
    write_enterprises_csv,
)

__all__ = ["CONTRACT_COLUMNS", "generate_enterprise_rows", "write_enterprises_csv"]
