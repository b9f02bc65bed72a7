"""Profile file formats: FASTA sequences."""
