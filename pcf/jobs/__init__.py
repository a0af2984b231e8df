"""Spark jobs: the validation and raw-to-processed transform of large uploaded files.

The same rules as the Lambda path (``pcf.formats.validation``), run by PySpark on AWS Glue
or locally. ``glue_jobs/`` holds the thin Glue entry points that call into here.
"""
