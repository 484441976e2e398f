"""Enterprise files (DATA-CONTRACT.md section 1): reading, validating and writing them.

`fields` holds the column table and the rules for each cell, `reader` opens CSV and XLSX files
and turns their rows into canonical values or row errors, `writer` writes exports and error
reports, `bulk` moves chunks of rows into and out of the database fast. Services
(`huiqi.enterprises.services`) are the only callers outside this package.
"""
