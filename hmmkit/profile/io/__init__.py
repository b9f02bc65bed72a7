"""Profile file formats: FASTA, Stockholm, A2M, HMMER3, and reading any alignment file."""
