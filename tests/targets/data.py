"""Hand-made data for the target tests.

Org: 公司 (company) → 华东大区 (region 华东) → 华东一组, 华东二组;
     公司 → 华南大区 (region 华南) → 华南一组.
Reps: 张伟, 李娜 (华东一组); 王强 (华东二组); 赵敏, 刘洋 (华南一组);
      陈静 (华南一组, left 2025-12-31).

Revenue 2025 (normal order lines), by quarter 100k / 200k / 300k / 400k:

====  ==========  =======  ======
rep   date        amount   region
====  ==========  =======  ======
张伟  2025-01-15  100,000  华东
张伟  2025-04-10  100,000  华东
李娜  2025-05-20  100,000  华东
李娜  2025-07-01  100,000  华东
王强  2025-08-15  200,000  华东
赵敏  2025-10-10  300,000  华南
刘洋  2025-11-11  100,000  华南
====  ==========  =======  ======

(plus a cancelled 2025-02-01 line of 50,000 that revenue ignores.) So 2025: 华东 600k, 华南 400k;
华东一组 400k, 华东二组 200k, 华南一组 400k; 张伟 / 李娜 / 王强 200k each, 赵敏 300k, 刘洋 100k.

Revenue 2026: 张伟 150,000 (01-20) + 50,000 (03-05); 李娜 100,000 (02-10); 王强 30,000 (03-20);
赵敏 120,000 (01-05); 刘洋 80,000 (04-02). Through 2026-03-31: 450,000.

New opportunities created in 2026 Q1: 张伟 4, 李娜 1, 王强 2, 赵敏 2, 刘洋 2.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from salesops.db.derived import refresh_after_write
from salesops.db.engine import session_scope
from salesops.db.schema import Customer, Opportunity, OrderLine, OrgUnit, Product, Region, Rep

D = dt.date.fromisoformat

REPS = {
    # name: (external id, team external id, region, left_on)
    "张伟": ("R1", "TE1", "华东", None),
    "李娜": ("R2", "TE1", "华东", None),
    "王强": ("R3", "TE2", "华东", None),
    "赵敏": ("R4", "TS1", "华南", None),
    "刘洋": ("R5", "TS1", "华南", None),
    "陈静": ("R6", "TS1", "华南", "2025-12-31"),
}

ORDERS = [
    # (rep, date, amount, status)
    ("张伟", "2025-01-15", "100000", "normal"),
    ("张伟", "2025-02-01", "50000", "cancelled"),
    ("张伟", "2025-04-10", "100000", "normal"),
    ("李娜", "2025-05-20", "100000", "normal"),
    ("李娜", "2025-07-01", "100000", "normal"),
    ("王强", "2025-08-15", "200000", "normal"),
    ("赵敏", "2025-10-10", "300000", "normal"),
    ("刘洋", "2025-11-11", "100000", "normal"),
    ("张伟", "2026-01-20", "150000", "normal"),
    ("张伟", "2026-03-05", "50000", "normal"),
    ("李娜", "2026-02-10", "100000", "normal"),
    ("王强", "2026-03-20", "30000", "normal"),
    ("赵敏", "2026-01-05", "120000", "normal"),
    ("刘洋", "2026-04-02", "80000", "normal"),
]

NEW_OPPORTUNITIES_Q1_2026 = {"张伟": 4, "李娜": 1, "王强": 2, "赵敏": 2, "刘洋": 2}


def load(engine: Engine, *, with_facts: bool = True) -> dict[str, int]:
    """Write the org, reps, products and (unless ``with_facts`` is False) orders and
    opportunities; returns ids by key (``rep:张伟``, ``unit:TE1``, ``region:华东``)."""
    ids: dict[str, int] = {}
    with session_scope(engine) as s:
        for name in ("华东", "华南"):
            region = Region(name=name)
            s.add(region)
            s.flush()
            ids[f"region:{name}"] = region.id
        units = [
            ("COMP", "公司", "company", None, None),
            ("RE", "华东大区", "region", "COMP", "华东"),
            ("RS", "华南大区", "region", "COMP", "华南"),
            ("TE1", "华东一组", "team", "RE", None),
            ("TE2", "华东二组", "team", "RE", None),
            ("TS1", "华南一组", "team", "RS", None),
        ]
        for ext, name, kind, parent, region_name in units:
            unit = OrgUnit(
                external_id=ext,
                name=name,
                kind=kind,
                parent_id=ids[f"unit:{parent}"] if parent else None,
                region_id=ids[f"region:{region_name}"] if region_name else None,
            )
            s.add(unit)
            s.flush()
            ids[f"unit:{ext}"] = unit.id
        for name, (ext, team, region_name, left) in REPS.items():
            rep = Rep(
                external_id=ext,
                name=name,
                org_unit_id=ids[f"unit:{team}"],
                region_id=ids[f"region:{region_name}"],
                hired_on=D("2020-01-01"),
                left_on=D(left) if left else None,
                active=left is None,
            )
            s.add(rep)
            s.flush()
            ids[f"rep:{name}"] = rep.id
        for ext, name, line in (("P1", "ERP 标准版", "ERP"), ("P2", "CRM 专业版", "CRM")):
            product = Product(external_id=ext, name=name, product_line=line)
            s.add(product)
            s.flush()
            ids[f"product:{ext}"] = product.id
        customer = Customer(external_id="K1", name="上海甲公司", region_id=ids["region:华东"])
        s.add(customer)
        s.flush()
        ids["customer:K1"] = customer.id
        if with_facts:
            _facts(s, ids)
    with engine.begin() as conn:
        refresh_after_write(conn)
    return ids


def _facts(s: Session, ids: dict[str, int]) -> None:
    for n, (rep, day, amount, status) in enumerate(ORDERS, start=1):
        region = REPS[rep][2]
        s.add(
            OrderLine(
                order_no=f"SO{n:03d}",
                line_no=1,
                order_date=D(day),
                customer_id=ids["customer:K1"],
                rep_id=ids[f"rep:{rep}"],
                product_id=ids["product:P1"],
                region_id=ids[f"region:{region}"],
                quantity=Decimal(1),
                amount=Decimal(amount),
                cost=Decimal(amount) / 2,
                status=status,
            )
        )
    n = 0
    for rep, count in NEW_OPPORTUNITIES_Q1_2026.items():
        for i in range(count):
            n += 1
            s.add(
                Opportunity(
                    external_id=f"OPP{n:03d}",
                    name=f"{rep} deal {i + 1}",
                    customer_id=ids["customer:K1"],
                    owner_id=ids[f"rep:{rep}"],
                    product_id=ids["product:P1"],
                    region_id=ids[f"region:{REPS[rep][2]}"],
                    stage="Qualify",
                    status="open",
                    amount=Decimal(10000),
                    created_on=D("2026-02-01"),
                    expected_close_on=D("2026-06-30"),
                )
            )
