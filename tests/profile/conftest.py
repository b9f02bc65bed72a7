"""The profile tests' shared helpers (``hmmer_reference``, ``alignment_checks``) live in
this folder; pytest puts a conftest's folder on ``sys.path``, so the tests of every
subfolder import them by name."""
