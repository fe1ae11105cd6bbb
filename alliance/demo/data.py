"""Synthetic enterprises for the demo and the benchmarks, written as the files parks already keep.

Deterministic (seeded): the same alliance every time. Each park's export is in its own format, read through
the adapters like a real park's: UTF-8 CSV, GB18030 CSV with a five-star tax scale, or an Excel workbook.
"""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook

from alliance.core import uscc
from alliance.demo.parks import DemoPark

WORDS = "华信 恒通 长江 天成 卓越 新锐 博远 创新 汇智 云帆 光谷 星河 瑞丰 中科 凯达 远航 同创 立德 诚信 海纳".split()
TRADES = "科技 生物医药 光电子 智能制造 软件 新材料 数据服务 环保科技 电子信息 精密仪器".split()
COLUMNS = [
    "统一社会信用代码", "企业名称", "纳税信用等级", "行政处罚次数", "社保欠缴月数", "失信被执行人", "研发投入强度(%)",
    "有效发明专利数", "经营异常名录", "信用承诺履约率(%)", "环保信用评价", "产品质量抽检合格率(%)",
]
STARS = {"A": "五星", "B": "四星", "M": "三星", "C": "二星", "D": "一星"}


@dataclass
class Enterprise:
    uscc: str
    name: str
    home: str
    values: dict[str, object]
    parks: list[str] = field(default_factory=list)
    listing: str | None = None  # "red" | "black"


def _values(rng: random.Random, bad: bool) -> dict[str, object]:
    return {
        "纳税信用等级": rng.choices("ABMCD", weights=(40, 35, 15, 7, 3))[0] if not bad else rng.choice("CD"),
        "行政处罚次数": rng.choices([0, 1, 2, 3], weights=(75, 15, 7, 3))[0] + (2 if bad else 0),
        "社保欠缴月数": rng.choices([0, 1, 3, 6], weights=(85, 8, 5, 2))[0],
        "失信被执行人": "是" if bad else "否",
        "研发投入强度(%)": round(rng.uniform(0.5, 12), 2),
        "有效发明专利数": rng.choices([0, 1, 3, 6, 12], weights=(25, 25, 25, 15, 10))[0],
        "经营异常名录": "是" if rng.random() < 0.04 else "否",
        "信用承诺履约率(%)": round(rng.uniform(70, 100), 1),
        "环保信用评价": rng.choices(["绿牌", "蓝牌", "黄牌", "红牌"], weights=(40, 45, 12, 3))[0],
        "产品质量抽检合格率(%)": round(rng.uniform(85, 100), 1),
    }


def make_enterprises(parks: tuple[DemoPark, ...], count: int, seed: int = 2019) -> list[Enterprise]:
    """`count` enterprises; about a quarter rated by 2-4 parks, some red- or black-listed."""
    rng = random.Random(seed)
    out: list[Enterprise] = []
    names: set[str] = set()
    for n in range(count):
        home = parks[n % len(parks)]
        code = uscc.build("9", "1", home.region, f"{rng.randrange(10**7, 10**8):08d}")
        while True:
            suffix = "有限公司" if rng.random() < 0.8 else "股份有限公司"
            name = f"{home.city}{rng.choice(WORDS)}{rng.choice(TRADES)}{suffix}"
            if name not in names:
                break
            name = f"{home.city}{rng.choice(WORDS)}{rng.choice(WORDS)}{rng.choice(TRADES)}有限公司"
            if name not in names:
                break
        names.add(name)
        bad = rng.random() < 0.03
        e = Enterprise(code, name, home.id, _values(rng, bad), [home.id])
        others = [p.id for p in parks if p.id != home.id]
        if others and rng.random() < 0.25:
            e.parks += rng.sample(others, rng.randint(1, min(3, len(others))))
        if bad:
            e.listing = "black"
        elif rng.random() < 0.05 and e.values["纳税信用等级"] == "A":
            e.listing = "red"
        out.append(e)
    return out


def source_kind(index: int, *, rest: bool = True) -> str:
    """Which kind of system park number `index` keeps its data in."""
    kinds = ("csv", "csv-gb18030", "xlsx", "rest") if rest else ("csv", "csv-gb18030", "xlsx")
    return kinds[index % len(kinds)]


# The legacy REST system's field names (an internal service some parks already run).
REST_FIELDS = {
    "纳税信用等级": "taxGrade", "行政处罚次数": "penalties", "社保欠缴月数": "socialInsuranceArrearsMonths",
    "失信被执行人": "dishonestDebtor", "研发投入强度(%)": "rdIntensityPct", "有效发明专利数": "inventionPatents",
    "经营异常名录": "abnormalOperation", "信用承诺履约率(%)": "commitmentRatePct", "环保信用评价": "envCredit",
    "产品质量抽检合格率(%)": "qualityPassRatePct",
}
LEGACY_TOKEN = "demo-legacy-token"


def write_export(park: DemoPark, kind: str, enterprises: list[Enterprise], directory: Path) -> Path:
    """The park's own export of its enterprises, in its own format."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = [e for e in enterprises if park.id in e.parks]
    if kind == "rest":  # what the park's internal service holds; served by alliance.demo.legacy
        path = directory / f"{park.id}-legacy.json"
        items = []
        for n, e in enumerate(rows, start=1):
            credit = {REST_FIELDS[k]: (v == "是") if v in ("是", "否") else v for k, v in e.values.items()}
            items.append({"id": n, "creditCode": e.uscc, "company": {"name": e.name}, "credit": credit})
        path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
        return path
    if kind == "xlsx":
        path = directory / f"{park.id}-企业信用.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet("企业信用")
        sheet.append(COLUMNS)
        for e in rows:
            sheet.append([e.uscc, e.name, *e.values.values()])
        book.save(path)
        return path
    path = directory / f"{park.id}-企业信用.csv"
    encoding = "gb18030" if kind == "csv-gb18030" else "utf-8"
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        for e in rows:
            values = dict(e.values)
            if kind == "csv-gb18030":  # this park keeps the tax grade on its own five-star scale
                values["纳税信用等级"] = STARS[str(values["纳税信用等级"])]
            writer.writerow([e.uscc, e.name, *values.values()])
    return path


def import_tables(kind: str, export: Path, legacy_url: str = "") -> str:
    """The park.toml tables that tell the adapters how to read this park's export."""
    if kind == "rest":
        return _rest_tables(export, legacy_url)
    source = {
        "csv": f'kind = "csv"\npath = "{export.name}"\nencoding = "utf-8"',
        "csv-gb18030": f'kind = "csv"\npath = "{export.name}"\nencoding = "gb18030"',
        "xlsx": f'kind = "xlsx"\npath = "{export.name}"',
    }[kind]
    tax = 'field = "纳税信用等级"\n' + ('scale = "stars"' if kind == "csv-gb18030" else 'type = "label"')
    stars = "\n".join(f'"{star}" = "{grade}"' for grade, star in STARS.items())
    return f"""
[source]
{source}

[mapping]
uscc = "统一社会信用代码"
name = "企业名称"

[mapping.indicators.TAX_CREDIT]
{tax}

[mapping.indicators.ADMIN_PENALTY]
field = "行政处罚次数"
type = "int"

[mapping.indicators.SOCIAL_INSURANCE_ARREARS]
field = "社保欠缴月数"
type = "number"

[mapping.indicators.DISHONEST_DEBTOR]
field = "失信被执行人"
type = "bool"

[mapping.indicators.RD_INTENSITY]
field = "研发投入强度(%)"
type = "number"

[mapping.indicators.INVENTION_PATENTS]
field = "有效发明专利数"
type = "int"

[mapping.indicators.ABNORMAL_OPERATION]
field = "经营异常名录"
type = "bool"

[mapping.indicators.COMMITMENT_FULFILMENT]
field = "信用承诺履约率(%)"
type = "number"

[mapping.indicators.ENV_CREDIT]
field = "环保信用评价"
type = "label"

[mapping.indicators.QUALITY_SAMPLING]
field = "产品质量抽检合格率(%)"
type = "number"

[scales.stars]
{stars}
"""


def _rest_tables(export: Path, legacy_url: str) -> str:
    park_id = export.name.removesuffix("-legacy.json")
    indicators = {
        "TAX_CREDIT": ("taxGrade", "label"), "ADMIN_PENALTY": ("penalties", "int"),
        "SOCIAL_INSURANCE_ARREARS": ("socialInsuranceArrearsMonths", "number"),
        "DISHONEST_DEBTOR": ("dishonestDebtor", "bool"), "RD_INTENSITY": ("rdIntensityPct", "number"),
        "INVENTION_PATENTS": ("inventionPatents", "int"), "ABNORMAL_OPERATION": ("abnormalOperation", "bool"),
        "COMMITMENT_FULFILMENT": ("commitmentRatePct", "number"), "ENV_CREDIT": ("envCredit", "label"),
        "QUALITY_SAMPLING": ("qualityPassRatePct", "number"),
    }
    mapping = "\n".join(
        f'[mapping.indicators.{code}]\nfield = "credit.{field}"\ntype = "{kind}"\n'
        for code, (field, kind) in indicators.items()
    )
    return f"""
[source]
kind = "rest"
base_url = "{legacy_url}"
path = "/api/v2/parks/{park_id}/enterprises"
items = "data.items"
id_field = "id"
total = "data.total"
timeout = 10

[source.headers]
Authorization = "Bearer {LEGACY_TOKEN}"

[source.paging]
style = "page"
page = "page"
size = "size"
page_size = 100
first_page = 1

[mapping]
uscc = "creditCode"
name = "company.name"

{mapping}"""
