"""Accounting checks (勾稽关系): the engine, the table rules, the narrative's rules, the report.

Importing the package registers every rule: narrative imports rules, so the table rules are
registered first and the order of check_rules and checks does not depend on this line's.
"""
from pipeline.check import narrative, rules  # noqa: F401  (registers the rules)
