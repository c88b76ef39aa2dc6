"""What each document family prints, as data: its table kinds and titles, the vocabulary its
column headers are composed of, its row identities and narrative phrasings (budget.yml)."""
from pipeline.families.knowledge import ColumnSpec, Family, Kind, Vocabulary, load

__all__ = ["ColumnSpec", "Family", "Kind", "Vocabulary", "load"]
