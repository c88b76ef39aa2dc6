"""Chinese departmental budget disclosures (部门预算公开) -> validated open data."""

__version__ = "0.1.0"
