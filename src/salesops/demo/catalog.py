"""The demo company's fixed reference data: 云途智联科技, an industrial IoT hardware and SaaS
vendor.

Everything here is plain data (names, weights, prices). The shapes that make the board
interesting are set here too: 华北 shrinks every year, 西南 and 华中 grow fastest, the fourth
quarter peaks and the Spring Festival empties January/February.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COMPANY_ZH = "云途智联科技股份有限公司"
COMPANY_EN = "Yuntu IoT Technology Co., Ltd."
EMAIL_DOMAIN = "yuntu-iot.com"


@dataclass(frozen=True)
class RegionInfo:
    name: str
    #: share of reps and customers
    weight: float
    #: yearly factor on the region's order and deal intensity (华北 < 1: a declining region)
    growth: float
    #: share of the region's customers that stop buying at some point
    churn: float
    cities: tuple[str, ...]


#: 华北 is second so that any config with two or more regions has a declining one.
REGIONS = (
    RegionInfo("华东", 0.30, 1.24, 0.12, ("上海", "杭州", "南京", "苏州", "宁波", "合肥", "无锡")),
    RegionInfo("华北", 0.18, 0.72, 0.30, ("北京", "天津", "石家庄", "济南", "青岛", "太原")),
    RegionInfo("华南", 0.20, 1.22, 0.14, ("广州", "深圳", "东莞", "佛山", "厦门", "福州")),
    RegionInfo("华中", 0.11, 1.30, 0.12, ("武汉", "长沙", "郑州", "南昌")),
    RegionInfo("西南", 0.10, 1.32, 0.12, ("成都", "重庆", "昆明", "贵阳")),
    RegionInfo("西北", 0.06, 1.12, 0.16, ("西安", "兰州", "银川", "乌鲁木齐")),
    RegionInfo("东北", 0.05, 1.08, 0.18, ("沈阳", "大连", "哈尔滨", "长春")),
)


@dataclass(frozen=True)
class ProductInfo:
    external_id: str
    name: str
    line: str
    list_price: int  # yuan
    unit_cost: int  # yuan
    #: typical quantity in one deal for a mid-sized customer
    qty: float
    #: weight as the main product of an opportunity
    deal_weight: float
    #: weight as the first product of a repeat order's basket
    repeat_weight: float
    #: typical quantity in a repeat order
    refill: float


HARDWARE, SOFTWARE, SERVICES, OPERATIONS, SUPPLIES = (
    "硬件",
    "软件订阅",
    "实施服务",
    "运维服务",
    "配件耗材",
)
PRODUCT_LINES = (HARDWARE, SOFTWARE, SERVICES, OPERATIONS, SUPPLIES)

# The first line of a repeat order is drawn by ``repeat_weight`` (big-ticket renewals are
# rare); its further lines are small items (BASKET_ITEMS), so repeat orders stay small.
PRODUCTS = (
    ProductInfo("P001", "工业物联网网关 G100", HARDWARE, 8_800, 4_300, 20, 0.16, 0.06, 1),
    ProductInfo("P002", "边缘计算服务器 E500", HARDWARE, 36_000, 19_800, 3, 0.08, 0.01, 1),
    ProductInfo("P003", "无线传感器套件 S20", HARDWARE, 3_600, 1_450, 40, 0.08, 0.08, 2),
    ProductInfo("P004", "智能电表 M10", HARDWARE, 1_280, 560, 80, 0.06, 0.08, 4),
    ProductInfo("P005", "PLC 数据采集模块 D8", HARDWARE, 5_600, 2_700, 15, 0.05, 0.04, 1),
    ProductInfo("P006", "设备云平台 标准版(年)", SOFTWARE, 48_000, 7_200, 1, 0.14, 0.006, 1),
    ProductInfo("P007", "设备云平台 企业版(年)", SOFTWARE, 168_000, 25_000, 1, 0.06, 0.002, 1),
    ProductInfo("P008", "能耗管理 SaaS(年)", SOFTWARE, 36_000, 5_400, 1, 0.08, 0.005, 1),
    ProductInfo("P009", "预测性维护分析模块(年)", SOFTWARE, 72_000, 10_800, 1, 0.05, 0.002, 1),
    ProductInfo("P010", "设备接入许可(百点/年)", SOFTWARE, 6_000, 600, 5, 0.02, 0.08, 1),
    ProductInfo("P011", "部署实施服务(人天)", SERVICES, 2_800, 1_500, 20, 0.04, 0.05, 2),
    ProductInfo("P012", "系统集成项目包", SERVICES, 150_000, 96_000, 1, 0.07, 0.0, 1),
    ProductInfo("P013", "现场培训服务(天)", SERVICES, 6_000, 2_600, 3, 0.01, 0.03, 1),
    ProductInfo("P014", "年度维保服务", OPERATIONS, 18_000, 7_200, 1, 0.04, 0.02, 1),
    ProductInfo("P015", "远程运维托管(年)", OPERATIONS, 42_000, 19_000, 1, 0.06, 0.004, 1),
    ProductInfo("P016", "传感器探头", SUPPLIES, 260, 98, 60, 0.0, 0.16, 10),
    ProductInfo("P017", "锂电池模组", SUPPLIES, 180, 72, 50, 0.0, 0.14, 10),
    ProductInfo("P018", "安装支架与线缆套装", SUPPLIES, 95, 33, 80, 0.0, 0.12, 10),
    ProductInfo("P019", "备用网关模块", SUPPLIES, 1_500, 720, 6, 0.0, 0.10, 2),
)
#: small items that fill the further lines of a repeat order (indices into PRODUCTS)
BASKET_ITEMS = (15, 16, 17, 18, 2, 3, 9, 10)
#: indices into PRODUCTS of the add-ons sold with a won deal
SERVICE_ADDON, PLATFORM_ADDON, SUPPLY_ADDON = 10, 5, 15

INDUSTRIES = (
    (
        "制造业",
        0.34,
        ("精密制造有限公司", "机械股份有限公司", "智能装备有限公司", "电子科技有限公司"),
    ),
    (
        "能源电力",
        0.10,
        ("能源科技有限公司", "电力设备有限公司", "新能源股份有限公司", "热电有限公司"),
    ),
    ("零售", 0.09, ("商贸有限公司", "连锁超市有限公司", "零售股份有限公司", "百货有限公司")),
    (
        "医疗",
        0.08,
        ("医疗器械有限公司", "医药股份有限公司", "健康科技有限公司", "生物科技有限公司"),
    ),
    ("教育", 0.06, ("教育科技有限公司", "职业技术学院", "实验学校", "培训中心")),
    (
        "金融",
        0.05,
        ("金融服务有限公司", "融资租赁有限公司", "数据服务有限公司", "支付科技有限公司"),
    ),
    ("物流", 0.12, ("物流有限公司", "供应链管理有限公司", "冷链运输有限公司", "仓储服务有限公司")),
    ("建筑地产", 0.08, ("建设集团有限公司", "物业服务有限公司", "置业有限公司", "建材有限公司")),
    (
        "公共事业",
        0.08,
        ("水务集团有限公司", "燃气有限公司", "环保科技有限公司", "市政工程有限公司"),
    ),
)

#: (band, weight, deal-size multiplier, credit limit in yuan)
SIZES = (
    ("1-49", 0.20, 0.35, 50_000),
    ("50-199", 0.30, 0.70, 100_000),
    ("200-999", 0.27, 1.20, 300_000),
    ("1000-4999", 0.16, 2.20, 800_000),
    ("5000+", 0.07, 4.00, 2_000_000),
)
#: segment by size band index (战略客户 also for the most valuable accounts)
SEGMENTS = ("中小客户", "中小客户", "中型客户", "大客户", "战略客户")
STRATEGIC = "战略客户"

SOURCE_CHANNELS = (
    ("官网", 0.16),
    ("展会", 0.14),
    ("渠道伙伴", 0.22),
    ("电话营销", 0.12),
    ("老客户推荐", 0.14),
    ("线上广告", 0.22),
)
PARTNER_SOURCE, REFERRAL_SOURCE = 2, 4
ORDER_CHANNELS = ("直销", "渠道", "线上")

#: (name, default probability, kind): the 'default' pipeline
STAGES = (
    ("线索确认", 0.10, "open"),
    ("需求分析", 0.20, "open"),
    ("方案报价", 0.40, "open"),
    ("商务谈判", 0.60, "open"),
    ("合同审批", 0.80, "open"),
    ("赢单", 1.00, "won"),
    ("输单", 0.00, "lost"),
)
OPEN_STAGES = 5
WON_STAGE, LOST_STAGE = 5, 6
#: chance to move on from each open stage (the last one: to win), and mean days spent in it
ADVANCE = (0.76, 0.72, 0.66, 0.80, 0.86)
DWELL_DAYS = (10.0, 20.0, 28.0, 24.0, 12.0)

#: (name, weight, factor on the chance to win against it)
COMPETITORS = (
    ("华为", 0.22, 0.75),
    ("阿里云", 0.16, 0.85),
    ("用友", 0.12, 0.90),
    ("金蝶", 0.10, 0.90),
    ("树根互联", 0.12, 0.85),
    ("研华科技", 0.10, 0.90),
    ("本地厂商", 0.18, 0.95),
)
COMPETITOR_SHARE = 0.6
LOST_REASONS = ("价格", "功能不满足", "选择竞品", "预算取消", "无决策")
#: lost-reason weights with and without a competitor in the deal
LOST_WITH_COMPETITOR = (0.30, 0.15, 0.40, 0.10, 0.05)
LOST_WITHOUT_COMPETITOR = (0.25, 0.20, 0.0, 0.30, 0.25)

ACTIVITY_KINDS = ("visit", "call", "email", "meeting", "web_visit", "event")
DEAL_ACTIVITY_WEIGHTS = (0.20, 0.32, 0.20, 0.16, 0.07, 0.05)
CARE_ACTIVITY_WEIGHTS = (0.22, 0.40, 0.20, 0.06, 0.08, 0.04)

FEEDBACK_CHANNELS = ("满意度问卷", "电话回访", "企业微信", "邮件", "客服热线")
FEEDBACK_CATEGORIES = ("functional", "emotional", "service", "other")
PRIORITIES = ("high", "medium", "low")
FEEDBACK_STATUSES = ("new", "assigned", "resolved", "informed")
#: texts per category: (negative, neutral, positive)
FEEDBACK_TEXTS = {
    "functional": (
        (
            "网关在高温车间偶尔掉线，影响产线监控。",
            "数据看板加载很慢，希望优化性能。",
            "报表导出缺少自定义字段，只能手工整理。",
        ),
        ("功能基本满足需求，期待移动端再完善一些。", "告警规则配置有点复杂，希望有模板。"),
        (
            "设备接入很顺利，告警功能非常实用。",
            "能耗分析帮我们一年省下不少电费。",
            "预测性维护提前发现了两次故障，很有价值。",
        ),
    ),
    "emotional": (
        ("感觉不被重视，销售只在续费时才联系我们。", "多次反馈没有回音，合作体验较差。"),
        ("合作整体还行，希望沟通更主动一些。",),
        ("合作很愉快，团队值得信赖。", "客户经理非常用心，会继续推荐给同行。"),
    ),
    "service": (
        ("售后响应太慢，工单两天没人处理。", "实施顾问更换频繁，沟通成本高。"),
        ("服务中规中矩，上线时间比计划晚了一周。",),
        ("实施团队专业高效，按期上线。", "客服响应及时，问题当天就解决了。"),
    ),
    "other": (
        ("发票开具流程太繁琐，希望简化。", "合同审批周期太长。"),
        ("建议增加线下用户交流活动。", "希望提供更灵活的付款方式。"),
        ("年会邀请很贴心，期待明年继续合作。",),
    ),
}

# Spring Festival (春节) dates: orders and deals nearly stop for about two weeks around them.
SPRING_FESTIVAL = {
    2022: dt.date(2022, 2, 1),
    2023: dt.date(2023, 1, 22),
    2024: dt.date(2024, 2, 10),
    2025: dt.date(2025, 1, 29),
    2026: dt.date(2026, 2, 17),
    2027: dt.date(2027, 2, 6),
    2028: dt.date(2028, 1, 26),
    2029: dt.date(2029, 2, 13),
    2030: dt.date(2030, 2, 3),
    2031: dt.date(2031, 1, 23),
    2032: dt.date(2032, 2, 11),
}
#: month weights (Jan..Dec): a quarter-end push in June and September, a Q4 peak, a quiet
#: October (National Day holidays)
MONTH_WEIGHTS = (0.85, 0.80, 1.00, 0.95, 0.95, 1.10, 0.90, 0.90, 1.08, 0.85, 1.18, 1.45)
WEEKEND_WEIGHT = 0.12

# Names: surname and given-name pools with their pinyin (for e-mail addresses).
SURNAMES = [
    "张zhang",
    "王wang",
    "李li",
    "刘liu",
    "陈chen",
    "杨yang",
    "黄huang",
    "赵zhao",
    "吴wu",
    "周zhou",
    "徐xu",
    "孙sun",
    "马ma",
    "朱zhu",
    "胡hu",
    "郭guo",
    "何he",
    "高gao",
    "林lin",
    "罗luo",
    "郑zheng",
    "梁liang",
    "谢xie",
    "宋song",
    "唐tang",
    "许xu",
    "韩han",
    "冯feng",
    "邓deng",
    "曹cao",
    "彭peng",
    "曾zeng",
    "肖xiao",
    "田tian",
    "董dong",
    "袁yuan",
    "潘pan",
    "于yu",
    "蒋jiang",
    "蔡cai",
    "余yu",
    "杜du",
    "叶ye",
    "程cheng",
    "苏su",
    "魏wei",
    "吕lv",
    "丁ding",
    "任ren",
    "沈shen",
]
GIVEN_NAMES = [
    "伟wei",
    "芳fang",
    "娜na",
    "敏min",
    "静jing",
    "丽li",
    "强qiang",
    "磊lei",
    "军jun",
    "洋yang",
    "勇yong",
    "艳yan",
    "杰jie",
    "娟juan",
    "涛tao",
    "明ming",
    "超chao",
    "秀英xiuying",
    "霞xia",
    "平ping",
    "刚gang",
    "桂英guiying",
    "华hua",
    "建国jianguo",
    "晓东xiaodong",
    "志强zhiqiang",
    "海燕haiyan",
    "婷ting",
    "雪xue",
    "浩然haoran",
    "子涵zihan",
    "宇航yuhang",
    "思远siyuan",
    "嘉怡jiayi",
    "文博wenbo",
    "梓轩zixuan",
    "欣怡xinyi",
    "俊杰junjie",
    "佳琪jiaqi",
    "振华zhenhua",
    "立新lixin",
    "红梅hongmei",
    "晨chen",
    "鹏peng",
    "辉hui",
    "斌bin",
    "琳lin",
    "颖ying",
    "凯kai",
    "昊天haotian",
]
BRAND_FIRST = tuple(
    "恒华瑞宏盛鑫泰德金安新长永中东天海嘉正广博创伟兴隆信达通利源佳汇光明同远宝万富国"
)
BRAND_SECOND = tuple("远达丰通科祥和晟润宇业成昌辉峰泽鼎邦航驰立凯诚越川合锐旭星扬茂森阳泓晖翔鸿骏")

MARKETING_CHANNELS = (  # (source channel it buys, monthly budget of the small company in yuan)
    ("官网", 60_000),
    ("展会", 140_000),
    ("渠道伙伴", 90_000),
    ("电话营销", 70_000),
    ("老客户推荐", 25_000),
    ("线上广告", 160_000),
)
#: months with trade fairs get most of the fair budget
FAIR_MONTHS = (3, 4, 9, 10, 11)
