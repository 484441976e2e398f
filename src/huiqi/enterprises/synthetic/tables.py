"""Weighted tables behind the synthetic registry: which industries, places, kinds of registration
and sizes a synthetic enterprise is drawn from, and the words of its name.

Plain data, kept apart from the generator so that tuning the city's profile is a data change.
Industry codes are real GB/T 4754-2017 classes.
"""

# (industry code, word in a company name, weight, technology intensity 0-2). Real GB/T 4754-2017 classes.
COMPANY_INDUSTRIES: tuple[tuple[str, str, float, int], ...] = (
    ("A0141", "农业科技", 0.6, 0),
    ("A0313", "牧业", 0.4, 0),
    ("A0511", "种业", 0.3, 1),
    ("B1011", "矿业", 0.3, 0),
    ("C1331", "粮油", 0.8, 0),
    ("C1431", "食品", 1.2, 0),
    ("C1512", "酒业", 0.4, 0),
    ("C1522", "饮品", 0.4, 0),
    ("C1810", "服饰", 1.0, 0),
    ("C2110", "家具", 0.8, 0),
    ("C2231", "包装", 0.7, 0),
    ("C2319", "印务", 0.7, 0),
    ("C2614", "化工", 0.8, 1),
    ("C2720", "药业", 0.6, 2),
    ("C2761", "生物科技", 0.5, 2),
    ("C2927", "塑业", 0.8, 0),
    ("C3021", "建材", 1.0, 0),
    ("C3130", "钢铁", 0.3, 0),
    ("C3311", "钢结构", 1.2, 0),
    ("C3421", "机床", 0.9, 1),
    ("C3441", "泵业", 0.6, 1),
    ("C3511", "重工", 0.7, 1),
    ("C3581", "医疗器械", 0.6, 2),
    ("C3612", "新能源汽车", 0.2, 2),
    ("C3670", "汽车配件", 1.4, 1),
    ("C3823", "电气", 1.2, 1),
    ("C3825", "光伏科技", 0.5, 2),
    ("C3911", "电子科技", 0.7, 2),
    ("C3982", "电子", 0.9, 2),
    ("C4011", "自动化", 0.8, 2),
    ("D4415", "新能源", 0.3, 1),
    ("D4430", "热力", 0.15, 0),
    ("D4610", "水务", 0.15, 0),
    ("E4710", "建设", 2.2, 0),
    ("E4813", "市政工程", 1.2, 0),
    ("E4910", "机电安装", 1.2, 0),
    ("E5011", "装饰工程", 1.4, 0),
    ("E5012", "装饰", 1.2, 0),
    ("F5111", "粮油贸易", 1.0, 0),
    ("F5165", "建材贸易", 2.2, 0),
    ("F5174", "科贸", 2.0, 1),
    ("F5181", "商贸", 3.8, 0),
    ("F5193", "电子商务", 1.6, 1),
    ("F5199", "贸易", 4.0, 0),
    ("F5211", "百货", 0.8, 0),
    ("F5212", "超市", 1.2, 0),
    ("F5232", "服装", 1.0, 0),
    ("F5261", "汽车销售", 1.2, 0),
    ("F5265", "石化", 0.4, 0),
    ("F5271", "电器", 1.0, 0),
    ("F5292", "网络科技", 2.0, 1),
    ("G5431", "物流", 2.6, 0),
    ("G5821", "国际货运代理", 0.8, 0),
    ("G5910", "装卸", 0.3, 0),
    ("G5920", "仓储", 0.8, 0),
    ("G6020", "速递", 0.5, 0),
    ("H6110", "酒店", 0.7, 0),
    ("H6121", "宾馆", 0.6, 0),
    ("H6210", "餐饮", 2.4, 0),
    ("H6220", "餐饮管理", 1.2, 0),
    ("I6311", "通信", 0.3, 1),
    ("I6429", "网络科技", 1.0, 2),
    ("I6432", "互联网", 0.3, 2),
    ("I6511", "软件", 0.8, 2),
    ("I6513", "信息技术", 2.8, 2),
    ("I6531", "信息系统", 1.4, 2),
    ("I6550", "数据科技", 0.8, 2),
    ("I6560", "信息咨询", 0.8, 1),
    ("J6930", "支付服务", 0.1, 1),
    ("J6940", "金融信息", 0.3, 1),
    ("K7010", "置业", 1.0, 0),
    ("K7020", "物业管理", 1.5, 0),
    ("K7030", "房地产经纪", 0.8, 0),
    ("K7040", "房屋租赁", 0.3, 0),
    ("L7111", "汽车租赁", 0.6, 0),
    ("L7212", "投资管理", 1.4, 0),
    ("L7224", "供应链管理", 1.0, 0),
    ("L7243", "企业管理咨询", 2.4, 0),
    ("L7251", "广告传媒", 1.0, 1),
    ("L7259", "广告", 1.0, 0),
    ("L7263", "人力资源", 1.2, 0),
    ("M7320", "科技研发", 1.0, 2),
    ("M7340", "医学研究", 0.2, 2),
    ("M7452", "检测", 0.6, 1),
    ("M7484", "工程设计", 0.8, 1),
    ("M7491", "工业设计", 0.4, 1),
    ("M7515", "新能源科技", 0.4, 2),
    ("M7519", "科技", 1.8, 1),
    ("N7724", "环保", 0.5, 1),
    ("N7820", "环卫", 0.3, 0),
    ("O8010", "家政服务", 0.8, 0),
    ("O8040", "美容", 0.5, 0),
    ("O8111", "汽车服务", 1.2, 0),
    ("O8219", "保洁", 0.5, 0),
    ("P8391", "职业培训", 0.3, 0),
    ("Q8425", "门诊部", 0.3, 0),
    ("R8730", "影视文化", 0.6, 0),
    ("R8810", "文化传媒", 1.2, 0),
    ("R8930", "健身", 0.5, 0),
    ("R9011", "娱乐", 0.3, 0),
)

# 个体工商户: (industry code, shop word, weight).
SHOP_INDUSTRIES: tuple[tuple[str, str, float, int], ...] = (
    ("F5212", "便利店", 3.0, 0),
    ("F5232", "服装店", 1.2, 0),
    ("F5271", "家电维修部", 0.5, 0),
    ("H6210", "饭店", 2.0, 0),
    ("H6220", "快餐店", 1.6, 0),
    ("O8040", "理发店", 1.0, 0),
    ("O8111", "汽车维修部", 0.8, 0),
    ("R9011", "棋牌室", 0.3, 0),
    ("G5431", "货运部", 0.6, 0),
)

# 农民专业合作社: (industry code, word before 专业合作社, weight).
COOPERATIVE_INDUSTRIES: tuple[tuple[str, str, float, int], ...] = (
    ("A0141", "蔬菜种植", 2.0, 0),
    ("A0151", "果品种植", 1.2, 0),
    ("A0111", "粮食种植", 1.0, 0),
    ("A0313", "生猪养殖", 0.8, 0),
    ("A0321", "家禽养殖", 0.8, 0),
    ("A0511", "农机服务", 0.6, 0),
)

TRADE_NAME_FIRST = tuple("华泰金瑞鑫鲁齐泉明舜恒宏昌盛顺德嘉诚信达佳和润丰中天宇鼎浩博通安新世远立联创康汇")
TRADE_NAME_SECOND = tuple("华泰源瑞鑫祥兴盛达通诚信远航宇科创力邦业德丰安康顺宏恒晟利成能云杰越辰铭辉海")

MOBILE_PREFIXES = tuple(
    str(p)
    for p in (
        *range(130, 140),
        *(150, 151, 152, 153, 155, 156, 157, 158, 159),
        *(166, 176, 177, 178),
        *range(180, 190),
        *(198, 199),
    )
)

# Registration kind: (authority char, category char, share).
KINDS = (("9", "1", 0.910), ("9", "2", 0.060), ("9", "3", 0.027), ("N", "2", 0.003))

# Size class shares for enterprises (个体工商户 are all micro, cooperatives micro or small).
SIZE_SHARES = (0.74, 0.19, 0.055, 0.015)

# Jinan districts and counties by share of registered enterprises (370100: registered at city level).
JINAN_REGION_WEIGHTS = {
    "370100": 4,
    "370102": 12,
    "370103": 9,
    "370104": 8,
    "370105": 8,
    "370112": 16,
    "370113": 5,
    "370114": 9,
    "370115": 5,
    "370116": 8,
    "370117": 3,
    "370124": 3,
    "370126": 3,
}

# Revenue above which an enterprise counts as 规上 (规模以上工业 2000万, 限额以上批发 2000万, 零售 500万,
# 住宿餐饮 200万, 规模以上服务业 1000万); a simplification of the statistical rules, for tags only.
ABOVE_SCALE_REVENUE_WAN = {
    "industry": 2000,
    "construction": 2000,
    "wholesale": 2000,
    "retail": 500,
    "accommodation": 200,
    "catering": 200,
    "real_estate_development": 2000,
}
ABOVE_SCALE_DEFAULT_WAN = 1000


# Manufacturing is the backbone of the demo city's enterprise services (工信 is the busiest department).
SECTION_WEIGHT = {"C": 1.7}

# 注册资本 (yuan) by size class micro, small, medium, large: round amounts as registered.
REGISTERED_CAPITAL_CHOICES: tuple[tuple[int, ...], ...] = (
    (10_000, 30_000, 50_000, 100_000, 200_000, 300_000, 500_000, 1_000_000, 2_000_000, 5_000_000),
    (500_000, 1_000_000, 2_000_000, 3_000_000, 5_000_000, 10_000_000, 20_000_000),
    (5_000_000, 10_000_000, 20_000_000, 30_000_000, 50_000_000, 100_000_000),
    (50_000_000, 100_000_000, 200_000_000, 500_000_000, 1_000_000_000),
)

# Ownership of enterprises (个体工商户 are private, cooperatives and collectives collective).
OWNERSHIP_SHARES: tuple[tuple[str, float], ...] = (
    ("private", 0.87),
    ("state", 0.035),
    ("foreign", 0.02),
    ("hmt", 0.015),
    ("collective", 0.01),
    ("other", 0.05),
)

# Share of cells left empty (unknown) per column.
UNKNOWN_SHARES: dict[str, float] = {
    "ownership": 0.03,
    "registered_capital": 0.05,
    "employees": 0.07,
    "revenue": 0.08,
    "total_assets": 0.10,
    "tax_paid": 0.15,
    "rd_expense": 0.20,  # and 60% of enterprises outside technology industries report none
    "contact_phone": 0.04,
}
RED_LIST_SHARE = 0.02
DISHONEST_SHARE = 0.003  # 失信被执行人
