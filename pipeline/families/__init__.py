"""What each document family prints, as data: its table kinds and titles, the vocabulary its
column headers are composed of, its row identities and narrative phrasings (budget.yml,
final_accounts.yml); the family of the document at hand is `current()`, set by `use(kind)`."""
from pipeline.families.knowledge import (DEFAULT, ColumnSpec, Family, Kind, Vocabulary, current,
                                         load, use)

__all__ = ["DEFAULT", "ColumnSpec", "Family", "Kind", "Vocabulary", "current", "load", "use"]
