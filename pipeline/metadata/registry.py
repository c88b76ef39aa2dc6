"""The registry of published tables and their fields: the one place schemas come from.

`schemas/*.json` (Frictionless Table Schemas), the data package descriptor, and later the
site's metadata and data dictionary are all generated from `TABLES`. Resource and field names
are a contract with users: add fields, never rename them.
"""
from __future__ import annotations

from dataclasses import dataclass

CURRENCY = "CNY"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    title: str  # Chinese, as the documents say it
    description: str  # English
    required: bool = False
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    minimum: int | None = None
    amount: bool = False

    def descriptor(self) -> dict:
        d: dict = {"name": self.name, "type": self.type, "title": self.title,
                   "description": self.description}
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.enum:
            constraints["enum"] = list(self.enum)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if constraints:
            d["constraints"] = constraints
        if self.amount:
            # Fiscal Data Package measure properties. Amounts are converted to yuan whatever
            # the document printed (its unit is kept per row in `source_unit`).
            d.update({"bareNumber": False, "decimalChar": ".", "currency": CURRENCY,
                      "factor": 1, "phase": "the row's phase field"})
        return d


@dataclass(frozen=True)
class Code:
    """A field holding the code a line is classified by, in one system: function (功能分类),
    economic (经济分类, department 3xx and government 5xx) or project (项目编码)."""
    system: str
    field: str
    name: str | None = None  # the field printing the code's name, where the table has one


@dataclass(frozen=True)
class PublishedTable:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()
    standard_tables: str = ""  # which of the standard disclosure tables feed it
    codes: tuple[Code, ...] = ()  # the fields holding its lines' codes, the hierarchy's first

    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def code_systems(self) -> set[str]:
        """The systems its lines are coded in: function, economic, both, or project."""
        return {c.system for c in self.codes}

    def amount_fields(self) -> list[str]:
        """The names of its amount fields (in yuan), in column order."""
        return [f.name for f in self.fields if f.amount]

    def schema(self) -> dict:
        """The Frictionless Table Schema descriptor."""
        return {
            "fields": [f.descriptor() for f in self.fields],
            "missingValues": [""],
            "primaryKey": list(self.primary_key),
            "foreignKeys": [
                {"fields": list(own), "reference": {"resource": res, "fields": list(ref)}}
                for own, res, ref in self.foreign_keys
            ],
        }


def amount(name: str, title: str, description: str) -> Field:
    return Field(name, "number", title, f"{description}. In yuan (元).", amount=True)


# The three budget funds (预算资金), named once: each table that splits amounts by fund
# titles and describes its fund fields from here, with what is particular to the table.
FUND_NAMES = {"general_public_budget": ("一般公共预算", "general public budget"),
              "government_fund": ("政府性基金预算", "government fund budget"),
              "state_capital": ("国有资本经营预算", "state capital operations budget")}


def fund_amount(name: str, zh: str = "{}", en: str = "{}") -> Field:
    """The amount field of fund `name`: its title and description from FUND_NAMES, set in
    the table's wording (zh "本年拨款：{}", en "This year's appropriation: {}")."""
    zh_name, en_name = FUND_NAMES[name]
    return amount(name, zh.format(zh_name), en.format(en_name))


def text(name: str, title: str, description: str, **kw) -> Field:
    return Field(name, "string", title, description, **kw)


CODE_FUNCTION = r"^\d{3}(\d{2}){0,2}$"
CODE_ECONOMIC = r"^\d{3}(\d{2}){0,2}$"  # 类, 款, and a local 项 (Beijing's 3021101)
FUNDS = ("all", "appropriation", "general_public_budget", "government_fund", "state_capital")
LINE_TYPES = ("total", "department", "unit", "item")

DOCUMENT_ID = text("document_id", "文档编号",
                   "Identifier of the source disclosure (folder name under sources/)",
                   required=True, pattern=r"^[a-z0-9][a-z0-9-]*$")
PROVENANCE = (
    text("source_table", "来源表名", "Title of the table as printed in the document",
         required=True),
    Field("source_page", "integer", "来源页码",
          "Page of the source PDF the row is printed on (empty for transcripts)", minimum=1),
    text("source_unit", "原表金额单位",
         "Unit the amounts were printed in (万元 = 10,000 yuan, or 元); amounts here are in yuan",
         enum=("万元", "元")),
)
LINE_TYPE = text("line_type", "行类型",
                 "What the row is: the table's total, a department or budget-unit subtotal, "
                 "or an item line", required=True, enum=LINE_TYPES)
UNIT_CODE = text("unit_code", "单位代码",
                 "Department (3-digit) or budget unit (6-digit) code the row belongs to",
                 pattern=r"^\d{3,9}$")
FUND = text("fund", "资金范围",
            "Which money the table covers: all sources (部门支出总表), all appropriations "
            "(财政拨款), general public budget (一般公共预算), government funds (政府性基金), "
            "state capital operations (国有资本经营预算)", required=True, enum=FUNDS)
DOC_FK = (("document_id",), "documents", ("document_id",))
SIDES = ("income", "expenditure", "expenditure_by_use")


FUNCTION_CODE = (Code("function", "function_code", "name"),)
ECONOMIC_CODES = (Code("economic", "department_economic_code", "department_economic_name"),
                  Code("economic", "government_economic_code", "government_economic_name"))


PHASES = ("approved", "adjusted", "executed")
PHASE = text("phase", "预算阶段",
             "Which figure the amounts are (the Fiscal Data Package's phases): approved (预算, "
             "the budget as passed at the start of the year: every amount of a budget "
             "document), adjusted (全年预算, the year's budget after adjustments, as a final "
             "account restates it beside what was spent) or executed (决算, what was spent: "
             "a final account's amounts)", required=True, enum=PHASES)


def _fact(name: str, title: str, description: str, standard_tables: str,
          fields: tuple[Field, ...], primary_key: tuple[str, ...],
          foreign_keys: tuple = (), codes: tuple[Code, ...] = (),
          phased: bool = True) -> PublishedTable:
    """A table of facts read from the documents: the document first, then (where it holds
    amounts of one phase each row) their phase, both leading its key; provenance last."""
    phase = (PHASE,) if phased and any(f.amount for f in fields) else ()
    return PublishedTable(name, title, description, (DOCUMENT_ID,) + phase + fields + PROVENANCE,
                          ("document_id",) + tuple(f.name for f in phase) + primary_key,
                          (DOC_FK,) + foreign_keys, standard_tables, codes)


DOCUMENTS = PublishedTable(
    "documents", "部门预算公开文档",
    "One row per source disclosure, with where it came from and what it covers.",
    (
        DOCUMENT_ID,
        text("title", "标题", "Title of the disclosure"),
        text("department_name", "部门名称", "Publishing department as named in this document",
             required=True),
        text("department_code", "部门代码", "Department code in the local budget system"),
        text("department_id", "部门标识",
             "Stable department identity across years and renames: division code + department "
             "code", pattern=r"^\d{6}-\w+$"),
        text("division_name", "行政区划", "Administrative division", required=True),
        text("division_code", "行政区划代码", "GB/T 2260 code of the division", required=True,
             pattern=r"^\d{6}$"),
        Field("fiscal_year", "integer", "预算年度", "Fiscal year", required=True, minimum=1990),
        text("kind", "类型", "budget (部门预算, approved) or final_accounts (部门决算, executed)",
             required=True, enum=("budget", "final_accounts")),
        Field("consolidated", "boolean", "是否汇总",
              "True for a consolidated (汇总) department covering several budget units"),
        text("level", "预算层级",
             "department (部门预算, the department's budget) or unit (单位预算, the budget of "
             "one of its budget units, published beside the department's)",
             required=True, enum=("department", "unit")),
        text("source_url", "来源网址", "Where the department published it"),
        text("retrieved_from", "获取网址",
             "Where the project got the file when not from the publisher (e.g. a mirror)"),
        text("published_date", "发布日期", "Publication date (YYYY, YYYY-MM or YYYY-MM-DD)",
             pattern=r"^\d{4}(-\d{2}){0,2}$"),
        text("source_format", "来源格式", "pdf, or transcript when only a transcript is held",
             required=True, enum=("pdf", "transcript")),
        text("source_file", "来源文件",
             "File name under sources/<document_id>/; a disclosure published as several files "
             "(e.g. the narrative 情况说明 and the tables apart) lists them all in reading "
             "order, separated by \"; \"", required=True),
        text("sha256", "文件校验值 (SHA-256)",
             "Checksum of the source file; for several files, the checksum of each in the "
             "order of source_file, separated by \"; \"", required=True,
             pattern=r"^[0-9a-f]{64}(; [0-9a-f]{64})*$"),
        text("licence", "许可说明", "Terms under which the source was published"),
        Field("pages", "integer", "页数",
              "Pages in the source PDF, all its files together (empty for transcripts)",
              minimum=1),
        Field("tables_found", "integer", "识别表数", "Standard tables recognized and read in it (document_tables also lists the "
              "ones not read)",
              minimum=0),
    ),
    ("document_id",),
)

DOCUMENT_TABLES = PublishedTable(
    "document_tables", "文档所含表格",
    "Every standard table recognized in each document, with where it is printed, its unit, "
    "how many published rows it gave, and its notes. An empty table (printed with a note such "
    "as 此表为空表) is listed with rows = 0: present, not missing. A table that could not be "
    "read is listed too, with status not_extracted and the reason: a gap, not an absence.",
    (
        DOCUMENT_ID,
        text("table_kind", "表格类别", "Which standard table it is (a kind of the document's family file, pipeline/families/)",
             required=True),
        text("resource", "发布表", "The published table its rows went to", required=True),
        text("source_table", "来源表名", "Title as printed", required=True),
        Field("source_page", "integer", "来源页码", "First page (empty for transcripts)",
              minimum=1),
        Field("pages", "integer", "页数", "Pages or parts the table runs over", minimum=1),
        text("source_unit", "金额单位", "Unit the amounts were printed in", enum=("万元", "元")),
        text("unit_source", "单位来源",
             "printed (a 单位 line), header (a label like 项目金额（万元）), or assumed (万元)",
             enum=("printed", "header", "assumed")),
        Field("rows", "integer", "发布行数", "Rows published from it", required=True, minimum=0),
        Field("empty", "boolean", "空表", "True when the table holds no amounts", required=True),
        text("notes", "表注", "Notes printed with the table (注：…), one per line"),
        text("status", "提取状态",
             "extracted; empty (printed with no amounts); or not_extracted: the table was "
             "recognized but could not be read with proof, so none of its rows is published "
             "(the other tables of the document are)", required=True,
             enum=("extracted", "empty", "not_extracted")),
        text("reason", "未提取原因", "Why a not_extracted table could not be read"),
        text("reader", "读取方式",
             "What read its cells: pdf (the PDF's text layer), transcript, or ocr (the page's "
             "image, by an embedded OCR model: published only where the accounting "
             "identities prove it, else not_extracted with the identities that fail)",
             required=True, enum=("pdf", "transcript", "ocr")),
    ),
    ("document_id", "table_kind", "source_table"),
    (DOC_FK,),
)

FUNCTION_CLASSES = PublishedTable(
    "function_classes", "支出功能分类科目",
    "Government expenditure function classification codes seen in the documents: 类 (3 "
    "digits) > 款 (5) > 项 (7), with a printed name where a document printed one.",
    (
        text("function_code", "科目编码", "Function code", required=True, pattern=CODE_FUNCTION),
        text("level", "级次", "类, 款 or 项", required=True, enum=("类", "款", "项")),
        text("name", "科目名称", "Name as printed (or the national class name for 类)"),
        text("parent_code", "上级科目编码", "Code one level up", pattern=CODE_FUNCTION),
    ),
    ("function_code",),
    ((("parent_code",), "function_classes", ("function_code",)),),
)

ECONOMIC_CLASSES = PublishedTable(
    "economic_classes", "支出经济分类科目",
    "Expenditure economic classification codes seen in the documents, in both systems: "
    "部门预算支出经济分类 (department, 3xx) and 政府预算支出经济分类 (government, 5xx); "
    "类 (3 digits) > 款 (5), and > 项 (7) where a region refines 款 (Beijing: 3021101 差旅费).",
    (
        text("economic_code", "科目编码", "Economic code", required=True, pattern=CODE_ECONOMIC),
        text("system", "分类体系",
             "department (部门预算支出经济分类) or government (政府预算支出经济分类)",
             required=True, enum=("department", "government")),
        text("level", "级次", "类, 款, or 项 (a region's refinement of 款)", required=True,
             enum=("类", "款", "项")),
        text("name", "科目名称", "Name as printed"),
        text("parent_code", "上级科目编码", "Code one level up", pattern=CODE_ECONOMIC),
    ),
    ("economic_code",),
    ((("parent_code",), "economic_classes", ("economic_code",)),),
)

_SUMMARY_KEYS = (
    text("side", "收支方向",
         "income, expenditure (by function class) or expenditure_by_use (基本/项目支出 blocks)",
         required=True, enum=SIDES),
    text("parent_item", "上级项目",
         "The numbered line this one sits under (二、上年结转 > （一）一般公共预算拨款)"),
    text("item", "项目", "Line item name as printed, without its list numbering",
         required=True),
    text("item_code", "标准项目",
         "Standard identifier of the line across templates where known (e.g. "
         "income_total, general_public_budget, basic); empty when not recognized"),
    text("function_code", "功能分类类级编码",
         "Function class (类) code of an expenditure line named after a class",
         pattern=r"^\d{3}$"),
)
_FC_FK = ((("function_code",), "function_classes", ("function_code",)),)

INCOME_EXPENDITURE_SUMMARY = _fact(
    "income_expenditure_summary", "部门收支总体情况表",
    "Table 1: the department's income lines and expenditure by function class, with the "
    "totals 本年收入合计, 收入总计 = 支出总计.",
    "1 部门收支总体情况表 / 收支预算总表 / 财务收支预算总表",
    _SUMMARY_KEYS + (amount("amount", "金额", "Amount of the line"),),
    ("side", "parent_item", "item"), _FC_FK,
    codes=(Code("function", "function_code"),),
)

APPROPRIATION_SUMMARY = _fact(
    "appropriation_summary", "财政拨款收支总体情况表",
    "Table 4: appropriation (财政拨款) income against expenditure by function class, split "
    "by fund.",
    "4 财政拨款收支总体情况表 / 财政拨款收支预算总表",
    _SUMMARY_KEYS + (
        amount("total", "合计", "Amount of the line (all appropriation funds)"),
        fund_amount("general_public_budget", en="The {}'s part"),
        amount("general_public_budget_appropriation", "其中：财政拨款",
               "Of the general public budget: appropriation"),
        fund_amount("government_fund", en="The {}'s part"),
        fund_amount("state_capital", en="The {}'s part"),
    ),
    ("side", "parent_item", "item"), _FC_FK,
    codes=(Code("function", "function_code"),),
)

INCOME_SOURCES = (
    ("total", "总计", "Total income including carry-over"),
    ("current_total", "本年收入合计", "This year's income"),
    ("appropriation", "财政拨款收入", "This year: appropriation from all budget funds (一般公共预算, "
     "政府性基金, 国有资本经营), where a table prints it as one column"),
    ("general_public_budget", FUND_NAMES["general_public_budget"][0], f"This year: {FUND_NAMES['general_public_budget'][1]}"),
    ("general_public_budget_appropriation", "其中：财政拨款",
     "This year: of the general public budget, appropriation"),
    ("special_revenue", "专项收入", "This year: earmarked revenue within the general budget"),
    ("government_fund", FUND_NAMES["government_fund"][0], f"This year: {FUND_NAMES['government_fund'][1]}"),
    ("state_capital", FUND_NAMES["state_capital"][0], f"This year: {FUND_NAMES['state_capital'][1]}"),
    ("special_account", "财政专户管理资金", "This year: funds managed in fiscal special accounts"),
    ("business_income", "事业收入", "This year: business income of public institutions"),
    ("operating_income", "事业单位经营收入", "This year: operating income of public institutions"),
    ("superior_subsidy", "上级补助收入", "This year: subsidies from the superior"),
    ("subordinate_remittance", "附属单位上缴收入", "This year: remittances from subordinate units"),
    ("other_income", "其他收入", "This year: other income"),
    ("unit_funds", "单位资金", "This year: the unit's own funds (事业收入, 经营收入, 其他收入 …), total"),
    ("debt_income", "债务资金", "This year: debt financing"),
    ("special_account_education", "专户管理教育收费", "This year: of special-account funds, education fees"),
    ("other_non_tax_income", "其他非税收入", "This year: other non-tax revenue"),
    ("other_funds", "其他资金", "This year: other funds, total"),
    ("carryover_total", "上年结转结余", "Carried over from last year, total"),
    ("carryover_general_public_budget", "上年结转结余：一般公共预算",
     "Carried over: general public budget"),
    ("carryover_government_fund", "上年结转结余：政府性基金", "Carried over: government fund"),
    ("carryover_state_capital", "上年结转结余：国有资本经营预算",
     "Carried over: state capital operations"),
    ("carryover_special_account", "上年结转结余：财政专户管理资金",
     "Carried over: special-account funds"),
    ("carryover_unit_funds", "上年结转结余：单位资金", "Carried over: the unit's own funds"),
    ("carryover_used", "其中：动用上年结转和结余资金", "Carried over: of which used this year"),
)

INCOME_BY_SOURCE = _fact(
    "income_by_source", "部门收入总体情况表",
    "Table 2: income by source, per department/budget unit (Henan, Jiangsu) or per function "
    "code (Shanghai).",
    "2 部门收入总体情况表 / 收入预算总表",
    (
        LINE_TYPE, UNIT_CODE,
        text("function_code", "功能分类科目编码", "Function code where income is given by function",
             pattern=CODE_FUNCTION),
        text("name", "名称", "Unit or function name as printed"),
    ) + tuple(amount(n, t, d) for n, t, d in INCOME_SOURCES),
    ("line_type", "unit_code", "function_code", "name"),  # name: units printed without a code
    ((("function_code",), "function_classes", ("function_code",)),),
    codes=FUNCTION_CODE,
)

EXPENDITURE_MEASURES = (
    amount("total", "合计", "Total expenditure"),
    amount("basic", "基本支出", "Basic expenditure (personnel and public costs)"),
    amount("basic_wages", "工资福利支出", "Basic, personnel: wages and benefits"),
    amount("basic_family", "对个人和家庭的补助", "Basic, personnel: subsidies to individuals and families"),
    amount("basic_goods_services", "商品和服务支出", "Basic, public costs: goods and services"),
    amount("basic_capital", "资本性支出", "Basic, public costs: capital expenditure"),
    amount("project", "项目支出", "Project expenditure"),
    amount("project_operating", "其他运转类", "Project: other operating (其他运转类)"),
    amount("project_specific", "特定目标类", "Project: specific-purpose (特定目标类)"),
    amount("basic_personnel", "人员经费", "Basic: personnel costs, where a table prints them as one "
           "column (工资福利支出 + 对个人和家庭的补助)"),
    amount("basic_public", "公用经费", "Basic: public (running) costs, where a table prints them as "
           "one column"),
    amount("operating_expenditure", "事业单位经营支出", "Operating expenditure of public institutions"),
    amount("remittance_to_superior", "上缴上级支出", "Remittances to the superior"),
    amount("subsidy_to_subordinate", "对附属单位补助支出", "Subsidies to subordinate units"),
    amount("reserve", "单位预留机动经费", "Unit's reserved contingency funds"),
    amount("carry_forward", "结转下年资金", "Carried forward to next year"),
)

EXPENDITURE_BY_FUNCTION = _fact(
    "expenditure_by_function", "支出功能分类情况表",
    "Tables 3, 5, 9 and 10 in one: expenditure by function code (类/款/项) and by basic/project "
    "spending, with `fund` saying which money the table covers.",
    "3 部门支出总体情况表, 5 一般公共预算支出情况表, 9 政府性基金预算支出情况表, "
    "10 国有资本经营预算支出情况表, 财政拨款支出预算表",
    (
        FUND, LINE_TYPE, UNIT_CODE,
        text("function_code", "功能分类科目编码", "Function code, 类 3 / 款 5 / 项 7 digits",
             pattern=CODE_FUNCTION),
        text("name", "科目名称", "Function or unit name as printed"),
    ) + EXPENDITURE_MEASURES + (
        amount("opening_balance", "年初结转和结余",
               "Final accounts: balance carried into the year (a fund's 收入支出决算表)"),
        amount("current_income", "本年收入",
               "Final accounts: the year's income of the fund (a fund's 收入支出决算表)"),
        amount("closing_balance", "年末结转和结余",
               "Final accounts: balance carried out of the year (a fund's 收入支出决算表)"),
        text("repeat", "重复序号",
             "2, 3 … for a function code the table prints again with no unit line or unit "
             "code telling the lines apart (a budget unit's share, the unit unnamed); empty "
             "for its first line. Counted within one document's table, in printed order, so "
             "it is stable.", pattern=r"^[2-9]$|^[1-9]\d+$"),
    ),
    ("fund", "line_type", "unit_code", "function_code", "name", "repeat"),
    ((("function_code",), "function_classes", ("function_code",)),),
    codes=FUNCTION_CODE,
)

EXPENDITURE_BY_FUNCTION_AND_ECONOMIC = _fact(
    "expenditure_by_function_and_economic", "支出功能分类与经济分类情况表",
    "Table 3 where it is printed as one line per function code (项) and pair of economic "
    "codes (政府预算支出经济分类 x 部门预算支出经济分类), as Beijing's 支出总表: each line's "
    "amounts by basic/project spending. The lines add up to the table's total; summed by "
    "function code they restate the function tables.",
    "3 支出总表 (by function and economic class)",
    (
        FUND, LINE_TYPE, UNIT_CODE,
        text("function_code", "功能分类科目编码", "Function code, 类 3 / 款 5 / 项 7 digits",
             pattern=CODE_FUNCTION),
        text("function_name", "功能分类科目名称", "Function name as printed"),
        text("government_economic_code", "政府预算支出经济分类科目编码",
             "Government economic code (5xx)", pattern=CODE_ECONOMIC),
        text("government_economic_name", "政府预算支出经济分类科目名称", "Its name as printed"),
        text("department_economic_code", "部门预算支出经济分类科目编码",
             "Department economic code (3xx)", pattern=CODE_ECONOMIC),
        text("department_economic_name", "部门预算支出经济分类科目名称", "Its name as printed"),
    ) + EXPENDITURE_MEASURES,
    ("fund", "line_type", "unit_code", "function_code", "government_economic_code",
     "department_economic_code"),
    ((("function_code",), "function_classes", ("function_code",)),
     (("government_economic_code",), "economic_classes", ("economic_code",)),
     (("department_economic_code",), "economic_classes", ("economic_code",))),
    codes=(Code("function", "function_code", "function_name"),) + ECONOMIC_CODES,
)

ECONOMIC_KEYS = (
    LINE_TYPE, UNIT_CODE,
    text("department_economic_code", "部门预算支出经济分类科目编码", "Department economic code (3xx)",
         pattern=CODE_ECONOMIC),
    text("department_economic_name", "部门预算支出经济分类科目名称", "Its name as printed"),
    text("government_economic_code", "政府预算支出经济分类科目编码", "Government economic code (5xx)",
         pattern=CODE_ECONOMIC),
    text("government_economic_name", "政府预算支出经济分类科目名称", "Its name as printed"),
)
ECONOMIC_FKS = (
    (("department_economic_code",), "economic_classes", ("economic_code",)),
    (("government_economic_code",), "economic_classes", ("economic_code",)),
)
ECONOMIC_PK = ("line_type", "unit_code", "department_economic_code", "government_economic_code")

BASIC_EXPENDITURE_BY_ECONOMIC = _fact(
    "basic_expenditure_by_economic", "一般公共预算基本支出表",
    "Table 6: basic expenditure by economic code in both classification systems, split into "
    "personnel (人员经费) and public (公用经费) costs.",
    "6 一般公共预算基本支出表, 财政拨款基本支出预算表",
    (FUND,) + ECONOMIC_KEYS + (
        amount("total", "合计", "Total basic expenditure"),
        amount("personnel", "人员经费", "Personnel costs"),
        amount("public", "公用经费", "Public (running) costs"),
    ),
    ("fund",) + ECONOMIC_PK, ECONOMIC_FKS,
    codes=ECONOMIC_CODES,
)

EXPENDITURE_BY_ECONOMIC = _fact(
    "expenditure_by_economic", "支出经济分类汇总表",
    "Table 7: all expenditure by economic code in both systems, by source of funds; also "
    "tables of 机关运行经费 by economic code (scope = administrative_operating).",
    "7 支出经济分类汇总表, 一般公共预算机关运行经费支出预算表",
    (
        text("scope", "范围", "all (支出经济分类汇总表), general_public_budget (一般公共预算支出 by "
             "economic class), general_public_budget_project (一般公共预算项目支出 by economic "
             "class), administrative_operating (机关运行经费) or basic (基本支出预算情况表: "
             "basic expenditure of all funds by economic class and source of funds)",
             required=True, enum=("all", "general_public_budget", "general_public_budget_project",
                                  "administrative_operating", "basic")),
    ) + ECONOMIC_KEYS + (
        text("unit_name", "单位名称",
             "Budget unit the row belongs to, as printed, where the table names its units "
             "without codes (广州's 部门预算基本支出预算表): on the unit's line and its items"),
        amount("total", "总计", "Total"),
        amount("basic", "基本支出", "Basic expenditure, where the table splits basic and project"),
        amount("project", "项目支出", "Project expenditure, where the table splits basic and project"),
        fund_amount("general_public_budget", en="The {}"),
        amount("general_public_budget_appropriation", "其中：财政拨款",
               "Of the general public budget: appropriation"),
        fund_amount("government_fund", en="The {}"),
        fund_amount("state_capital", en="The {}"),
        amount("carryover", "上年结转结余", "Carried over from last year"),
        amount("special_account", "财政专户管理资金", "Special-account funds"),
        amount("business_income", "事业收入", "Business income"),
        amount("superior_subsidy", "上级补助收入", "Subsidies from the superior"),
        amount("subordinate_remittance", "附属单位上缴收入", "Remittances from subordinate units"),
        amount("operating_income", "事业单位经营收入", "Operating income"),
        amount("other_income", "其他收入", "Other income"),
        amount("appropriation", "财政拨款", "Appropriation from all budget funds (一般公共预算, "
               "政府性基金, 国有资本经营), where a table prints it as one column"),
        amount("unit_funds", "单位资金", "The unit's own funds, where printed as one column"),
        amount("non_appropriation_balance", "使用非财政拨款结余",
               "Balance of earlier years' non-appropriation funds drawn on"),
        amount("other_funds", "其他资金", "Other funds, where a table prints them as one column"),
    ),
    ("scope",) + ECONOMIC_PK + ("unit_name",), ECONOMIC_FKS,
    codes=ECONOMIC_CODES,
)

THREE_PUBLIC_EXPENSES = _fact(
    "three_public_expenses", "“三公”经费支出情况表",
    "Table 8: the 'three public' expenses (travel abroad, official vehicles, official "
    "reception), with 机关运行经费, 会议费 and 培训费 where a template prints them. Blank "
    "cells stay empty: an empty table means the department printed none.",
    "8 一般公共预算“三公”经费支出情况表 / “三公”经费和机关运行经费预算表 / “三公”经费、会议费、培训费",
    (
        LINE_TYPE, UNIT_CODE, text("name", "单位名称", "Unit name where the table is per unit"),
        amount("total", "“三公”经费合计", "Three public expenses, total"),
        amount("grand_total", "合计（含会议费、培训费）",
               "Total of the table where it also covers meetings and training (Jiangsu)"),
        amount("travel_abroad", "因公出国（境）费", "Official travel abroad"),
        amount("vehicles", "公务用车购置及运行费", "Official vehicles: purchase and running"),
        amount("vehicle_purchase", "公务用车购置费", "Official vehicles: purchase"),
        amount("vehicle_operation", "公务用车运行费", "Official vehicles: running costs"),
        amount("reception", "公务接待费", "Official reception"),
        amount("administrative_operating", "机关运行经费", "Administrative operating costs"),
        amount("meetings", "会议费", "Meetings"),
        amount("training", "培训费", "Training"),
    ),
    ("line_type", "unit_code"),
)

PROJECTS = _fact(
    "projects", "项目支出表",
    "Table 11: each project with its type, unit and amounts by source of funds.",
    "11 项目支出表",
    (
        LINE_TYPE, UNIT_CODE,
        text("project_type", "项目类型", "其他运转类 (other operating) or 特定目标类 (specific purpose)"),
        text("project_name", "项目名称", "Project name as printed"),
        text("project_unit", "项目单位", "Unit carrying out the project"),
        amount("total", "合计", "Total"),
        fund_amount("general_public_budget", "本年拨款：{}", "This year's appropriation: {}"),
        fund_amount("government_fund", "本年拨款：{}", "This year's appropriation: {}"),
        fund_amount("state_capital", "本年拨款：{}", "This year's appropriation: {}"),
        amount("carryover_general_public_budget", "财政拨款结转结余：一般公共预算",
               "Carried-over appropriation: general public budget"),
        amount("carryover_government_fund", "财政拨款结转结余：政府性基金预算",
               "Carried-over appropriation: government fund"),
        amount("carryover_state_capital", "财政拨款结转结余：国有资本经营预算",
               "Carried-over appropriation: state capital"),
        amount("special_account", "财政专户管理资金", "Special-account funds"),
        amount("unit_funds", "单位资金", "The unit's own funds"),
        amount("business_income", "单位资金：事业收入",
               "The unit's own funds: business income, where printed by source"),
        amount("operating_income", "单位资金：事业单位经营收入",
               "The unit's own funds: operating income, where printed by source"),
        amount("superior_subsidy", "单位资金：上级补助收入",
               "The unit's own funds: subsidies from the superior, where printed by source"),
        amount("subordinate_remittance", "单位资金：附属单位上缴收入",
               "The unit's own funds: remittances from subordinate units, where printed by source"),
        amount("other_income", "单位资金：其他收入",
               "The unit's own funds: other income, where printed by source"),
        amount("carryover", "上年结余、结转",
               "Carried over from last year, all sources together, where not printed by fund"),
        amount("appropriation", "财政拨款合计",
               "Appropriation from all budget funds, where a table prints it as one column"),
        amount("other_funds", "其他资金", "Other funds, where a table prints them as one column"),
        text("repeat", "重复序号",
             "2, 3 … for a project the table prints again under the same name, type and unit "
             "(a share printed per unit without naming it); empty for its first line. Counted "
             "within one document's table, so it is stable.", pattern=r"^[2-9]$|^[1-9]\d+$"),
    ),
    ("line_type", "unit_code", "project_unit", "project_type", "project_name", "repeat"),
)

REPEAT_PRINTED = text(
    "repeat", "重复序号",
    "2, 3 … for a project the table prints again (another line under the same code and name, "
    "or another form of the same name and 实施单位) with other figures, nothing printed "
    "telling them apart; a form's indicators carry its number. Empty for its first printing. "
    "Counted within one document's table, in printed order, so it is stable. Every printing "
    "is published as printed: which one is the project's budget the document does not say.", pattern=r"^[2-9]$|^[1-9]\d+$")

PERFORMANCE_BUDGETS = _fact(
    "performance_budgets", "绩效目标表预算金额",
    "Amounts printed in the performance tables: the department's budget in table 12 "
    "(预算情况), each project's amount in table 13 (Beijing's 项目支出绩效目标表), and a "
    "project's funds in its own 项目绩效目标表 (Fujian's one form per project, which prints "
    "no project code).",
    "12 部门（单位）整体绩效目标表, 13 部门预算项目绩效目标汇总表",
    (
        text("scope", "范围", "department (整体绩效), project (项目绩效) or special_fund (a "
             "专项资金 the department manages, in its own 专项资金绩效目标表)", required=True,
             enum=("department", "project", "special_fund")),
        LINE_TYPE, UNIT_CODE,
        text("project_code", "项目编码", "Project code (division code + year + serial; "
             "Beijing's carry a letter: 11000022T000000424331)", pattern=r"^\d{6,}[A-Z]?\d{4,}$"),
        text("name", "名称", "Unit or project name as printed; with project_code it identifies "
             "the project, with project_unit where the table prints no code"),
        amount("total", "资金总额", "Total"),
        amount("government_budget", "政府预算资金", "Government budget funds"),
        amount("special_account", "财政专户管理资金", "Special-account funds"),
        amount("unit_funds", "单位资金", "The unit's own funds"),
        amount("basic", "基本支出", "Basic expenditure (department scope)"),
        amount("project", "项目支出", "Project expenditure (department scope)"),
        amount("appropriation", "财政拨款", "Appropriation: a project form's 财政拨款 line, "
               "Beijing's 财政资金 column, or the department's 财政拨款 合计"),
        amount("other_funds", "其他资金", "Other funds (其他资金) beside the appropriation"),
        text("project_unit", "实施单位", "Unit carrying out the project, as printed in a project "
             "form that prints no code: with the name it identifies the project"),
        REPEAT_PRINTED,
    ),
    ("scope", "line_type", "unit_code", "project_code", "name", "project_unit", "repeat"),
    codes=(Code("project", "project_code", "name"),),
)

PERFORMANCE_GOALS = _fact(
    "performance_goals", "部门整体绩效目标",
    "Table 12's text: the department's yearly goal (年度履职目标) and main tasks (年度主要任务).",
    "12 部门（单位）整体绩效目标表",
    (
        text("kind", "类别", "goal (年度履职目标) or task (年度主要任务)", required=True,
             enum=("goal", "task")),
        text("name", "任务名称", "Task name (empty for the goal)"),
        text("content", "内容", "Goal text or the task's main content", required=True),
    ),
    ("kind", "name"),
)

PERFORMANCE_TARGETS = _fact(
    "performance_targets", "绩效指标",
    "Tables 12 and 13: department and project performance indicators (一级/二级/三级指标) with "
    "the target value as printed and, where it reads like '≥95%', '≤70.4万元' or '15-21个', "
    "its operator, number(s) and unit.",
    "12 部门（单位）整体绩效目标表, 13 部门预算项目绩效目标汇总表",
    (
        text("scope", "范围", "department, project or special_fund (专项资金)", required=True,
             enum=("department", "project", "special_fund")),
        text("project_code", "项目编码", "Project code (project scope)",
             pattern=r"^\d{6,}[A-Z]?\d{4,}$"),
        text("project_name", "项目名称", "Project name as printed (project scope); with "
             "project_code it identifies the project, with project_unit where the table prints "
             "no code"),
        text("project_unit", "实施单位", "Unit carrying out the project, as printed in a project "
             "form that prints no code: with the name it identifies the project"),
        text("level1", "一级指标", "Level-1 indicator (成本/产出/效益/满意度指标, 投入管理指标…)"),
        text("level2", "二级指标", "Level-2 indicator where printed"),
        text("level3", "三级指标", "Level-3 indicator: what is measured", required=True),
        text("value", "指标值", "Target value exactly as printed"),
        text("operator", "运算符", "Comparison parsed from the value", enum=("≥", "≤", ">", "<", "=", "range")),
        Field("value_number", "number", "指标数值", "Number parsed from the value (lower bound of a range)"),
        Field("value_number_max", "number", "指标数值上限", "Upper bound when the value is a range"),
        text("value_unit", "指标单位", "Unit parsed from the value (%, 万元, 个, 人…)"),
        text("value_note", "指标值说明", "Explanation of the indicator where printed"),
        text("activity", "活动", "The activity (活动) a department's indicator is listed under, "
             "where its table prints one (Beijing's 部门整体支出绩效目标表)"),
        REPEAT_PRINTED,
    ),
    ("scope", "project_code", "project_name", "project_unit", "activity", "level1", "level2",
     "level3", "repeat"),
    codes=(Code("project", "project_code", "project_name"),),
)

GOVERNMENT_PROCUREMENT = _fact(
    "government_procurement", "政府采购支出预算表",
    "Government procurement budget by category (goods/works/services) and item, where a "
    "template has this table (Jiangsu).",
    "政府采购支出预算表",
    (
        LINE_TYPE,
        text("level", "层级", "category (品目大类 subtotal), programme (专项 subtotal) or item",
             enum=("category", "programme", "item")),
        text("category", "采购品目大类", "货物 (goods), 工程 (works) or 服务 (services), as printed"),
        text("project_name", "专项名称", "Programme the purchase belongs to"),
        text("economic_name", "经济科目", "Economic classification name"),
        text("item", "采购品目名称", "Procurement item"),
        text("organization", "采购组织形式", "How the purchase is organized"),
        amount("amount", "金额", "Amount"),
    ),
    ("line_type", "level", "category", "project_name", "economic_name", "item", "organization"),
)

PROCUREMENT_BY_FUNCTION = _fact(
    "procurement_by_function", "政府采购预算表（按功能分类）",
    "Government procurement budget by function code (类/款/项) and source of funds, where a "
    "template prints its 政府采购预算表 so (Shandong's Yantai) rather than by category and "
    "item (government_procurement). The lines add up to the total, 项 to 款 to 类.",
    "政府采购预算表 (by function class)",
    (
        LINE_TYPE, UNIT_CODE,
        text("function_code", "功能分类科目编码", "Function code, 类 3 / 款 5 / 项 7 digits",
             pattern=CODE_FUNCTION),
        text("name", "科目名称", "Function name as printed"),
        amount("total", "合计", "Total procurement budget of the line"),
        amount("appropriation", "财政拨款", "Appropriation from all budget funds, as one column"),
        fund_amount("general_public_budget", en="Appropriation: {}"),
        fund_amount("government_fund", en="Appropriation: {}"),
        fund_amount("state_capital", en="Appropriation: {}"),
        amount("special_account", "财政专户管理资金", "Special-account funds"),
        amount("unit_funds", "单位资金", "The unit's own funds"),
        amount("non_appropriation_balance", "使用非财政拨款结余",
               "Balance of earlier years' non-appropriation funds drawn on"),
        amount("carryover", "上年结转", "Carried over from last year"),
    ),
    ("line_type", "unit_code", "function_code", "name"),
    ((("function_code",), "function_classes", ("function_code",)),),
    codes=FUNCTION_CODE,
)

CATALOGUE_CODE = r"^\d{2,10}$"

GOVERNMENT_PURCHASED_SERVICES = _fact(
    "government_purchased_services", "政府购买服务明细表",
    "Government purchase of services (政府购买服务) budgeted, one line per service of the "
    "guiding catalogue (指导性目录: 一级 > 二级 > 三级, each printed with its code where the "
    "table prints one), with the table's total, where a template has this table (Beijing's "
    "财政拨款政府购买服务明细表).",
    "财政拨款政府购买服务明细表",
    (
        FUND, LINE_TYPE,
        text("catalogue_level1_code", "指导性目录一级编码", "Level-1 catalogue code (01 公共服务)",
             pattern=CATALOGUE_CODE),
        text("catalogue_level1", "指导性目录一级", "Level-1 catalogue entry, as printed without its code"),
        text("catalogue_level2_code", "指导性目录二级编码", "Level-2 catalogue code (0201)",
             pattern=CATALOGUE_CODE),
        text("catalogue_level2", "指导性目录二级", "Level-2 catalogue entry, as printed without its code"),
        text("catalogue_level3_code", "指导性目录三级编码", "Level-3 catalogue code where printed",
             pattern=CATALOGUE_CODE),
        text("catalogue_level3", "指导性目录三级", "Level-3 catalogue entry: the service purchased"),
        amount("amount", "预算金额", "Budgeted amount"),
        text("repeat", "重复序号",
             "2, 3 … for a line the table prints again under the same catalogue entries (each "
             "a purchase of its own); empty for its first line. Counted within one document's "
             "table, so it is stable.", pattern=r"^[2-9]$|^[1-9]\d+$"),
    ),
    ("fund", "line_type", "catalogue_level1", "catalogue_level2", "catalogue_level3", "repeat"),
)

BUDGET_EXECUTION = _fact(
    "budget_execution", "预算执行情况",
    "What a final account's narrative (决算情况说明) states, item by item, of the year's "
    "budget and its execution: for each 项 of the general public budget (and of a fund, or "
    "the 三公 expenses), the budget (年初预算 or 全年预算, as the sentence says), the final "
    "amount (支出决算), the completion rate it prints and the reason it gives. The budget is "
    "as stated in the narrative; the tables hold the final amounts too (checks compare them).",
    "决算情况说明: 一般公共预算财政拨款支出决算具体情况, 三公经费",
    (
        text("scope", "范围",
             "general_public_budget, government_fund or state_capital (a fund's spending by "
             "项), or three_public (“三公”经费)", required=True,
             enum=("general_public_budget", "government_fund", "state_capital", "three_public")),
        LINE_TYPE,
        text("item_number", "序号", "The item's number as printed (1, 2 …); empty for the total",
             pattern=r"^\d+$"),
        text("function_code", "功能分类科目编码",
             "The 项's function code, found by its printed 类/款/项 names in the document's "
             "own function tables; empty when they do not name one code", pattern=CODE_FUNCTION),
        text("name", "科目名称", "The item as printed: 一般公共服务支出（类）社会工作事务（款）行政运行（项）"),
        text("budget_basis", "预算口径", "Which budget the sentence compares with: approved (年初预算) "
             "or adjusted (全年预算)", enum=("approved", "adjusted")),
        amount("budget", "预算数", "The budget the sentence states"),
        amount("final", "决算数", "The final (executed) amount the sentence states"),
        Field("stated_rate", "number", "完成率（%）",
              "The completion rate printed (完成…预算的 97.68%), in percent; empty where none is printed"),
        text("comparison", "预决算比较",
             "What the sentence says of the final against the budget: greater (大于), less (小于) "
             "or equal (持平)", enum=("greater", "less", "equal")),
        text("reason", "原因说明", "The reason stated for the difference, as printed"),
    ),
    ("scope", "line_type", "item_number"),
    ((("function_code",), "function_classes", ("function_code",)),),
    codes=FUNCTION_CODE, phased=False,  # each row states both phases
)

CHECK_RULES = PublishedTable(
    "check_rules", "勾稽校验规则",
    "The accounting identities every document is checked against (pipeline/check/).",
    (
        text("rule", "规则", "Rule id", required=True),
        text("description_zh", "说明", "What the rule checks, in Chinese", required=True),
        text("description_en", "英文说明", "What the rule checks, in English", required=True),
        text("tables", "涉及表", "Published tables (or the narrative) the rule reads", required=True),
        text("tolerance", "容差", "Allowed difference (尾差)", required=True),
    ),
    ("rule",),
)

CHECKS = PublishedTable(
    "checks", "勾稽校验结果",
    "The result of every accounting check on every document: expected against printed, "
    "pass, fail or not applicable (the rule's tables are absent). A failure the contributor "
    "acknowledged as the publisher's error keeps status fail and carries the explanation; "
    "the published numbers stay as printed.",
    (
        DOCUMENT_ID,
        text("rule", "规则", "Rule id (check_rules)", required=True),
        text("subject", "校验对象", "What was compared (line, column, sentence)"),
        text("unit", "单位", "yuan for amounts, percent for the narrative's percentages, "
             "flag for yes/no checks", enum=("yuan", "percent", "flag")),
        Field("expected", "number", "应为", "Value implied by the other figures"),
        Field("actual", "number", "印制值", "Value as printed"),
        Field("difference", "number", "差额", "actual - expected (blank counts as 0)"),
        Field("tolerance", "number", "容差", "Allowed absolute difference (0.01 of the printed "
              "unit per summed term)"),
        text("status", "结果", "pass, fail or not_applicable", required=True,
             enum=("pass", "fail", "not_applicable")),
        text("acknowledged", "已确认的发布方错误",
             "For a failure acknowledged in source.yml: the contributor's explanation"),
    ),
    ("document_id", "rule", "subject"),
    (DOC_FK, (("rule",), "check_rules", ("rule",))),
)

TABLES: tuple[PublishedTable, ...] = (
    DOCUMENTS, DOCUMENT_TABLES, FUNCTION_CLASSES, ECONOMIC_CLASSES, INCOME_EXPENDITURE_SUMMARY, INCOME_BY_SOURCE,
    EXPENDITURE_BY_FUNCTION, EXPENDITURE_BY_FUNCTION_AND_ECONOMIC, APPROPRIATION_SUMMARY, BASIC_EXPENDITURE_BY_ECONOMIC,
    EXPENDITURE_BY_ECONOMIC, THREE_PUBLIC_EXPENSES, PROJECTS, PERFORMANCE_BUDGETS,
    PERFORMANCE_GOALS, PERFORMANCE_TARGETS, GOVERNMENT_PROCUREMENT, PROCUREMENT_BY_FUNCTION, GOVERNMENT_PURCHASED_SERVICES,
    BUDGET_EXECUTION, CHECK_RULES, CHECKS,
)
BY_NAME = {t.name: t for t in TABLES}
