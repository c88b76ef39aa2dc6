"""Accounting checks (勾稽关系): the engine, the table rules, the narrative's rules, the
completeness rule, final accounts' rules, the report.

Importing the package registers every rule: narrative imports rules, so the table rules are
registered first and the order of check_rules and checks does not depend on this line's.
"""
from pipeline.check import narrative, rules  # noqa: F401  (registers the rules)
from pipeline.check import completeness  # noqa: F401  (registered after them)
from pipeline.check import final_accounts  # noqa: F401  (final accounts' rules, last)
