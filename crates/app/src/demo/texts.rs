//! What the demo's reports say: per category, several ways people put the same kind of
//! matter (a resident's complaint, a grid worker's note, a 12345 operator's summary), with
//! the building, place and time filled in, openings and closings people add, asides that
//! belong to no category, dropped punctuation, titles that are only the start of the text, and
//! one report in ten of a straddling matter worded like its neighbour. Varied enough that the
//! suggestions' measured accuracy means something — though text written from templates is
//! easier than what residents really write, and BENCHMARKS.md says so.

use rand::Rng;
use rand::seq::IndexedRandom;

/// Per category: titles, and descriptions with `{b}` (a building), `{p}` (a place), `{t}` (a
/// time) to fill.
const TEMPLATES: &[(&str, &[&str], &[&str])] = &[
    (
        "0101",
        &[
            "楼上噪音扰民",
            "邻里漏水纠纷",
            "邻居装修噪音",
            "邻居占用公共过道",
            "养狗扰民",
        ],
        &[
            "{b}楼上住户{t}拖动家具、跑跳，多次沟通无果",
            "楼上卫生间漏水渗到楼下天花板，双方对维修费用有争议",
            "{b}有住户{t}装修，早上七点就开始电钻，影响老人休息",
            "邻居把鞋柜和杂物摆在{b}公共过道，说了不听，两家吵了起来",
            "隔壁养的狗{t}叫个不停，晚上睡不着，找过对方没用",
            "两户因为{b}楼道灯电费分摊闹矛盾，请网格员帮忙调解",
        ],
    ),
    (
        "0102",
        &[
            "物业保洁不到位",
            "电梯停运",
            "物业收费争议",
            "小区停车位纠纷",
        ],
        &[
            "小区垃圾清运不及时，{b}楼道长期未打扫，物业不管",
            "{b}电梯停运{t}，物业迟迟未维修，老人上下楼困难",
            "物业今年突然涨物业费，业主不认可，双方僵持",
            "{p}的停车位被物业划给外来车辆，业主有意见",
            "物业公司撤场后没人管，{b}水泵坏了没人修",
        ],
    ),
    (
        "0103",
        &["家庭赡养纠纷", "夫妻矛盾", "老人赡养问题", "遗产分割争执"],
        &[
            "兄妹三人对母亲赡养费分担意见不一，老人生活没着落",
            "{b}一对夫妻{t}经常吵架，邻居担心出事",
            "儿子儿媳不管八十多岁的父亲，老人希望社区出面协调",
            "父亲去世后子女对房子怎么分吵得很厉害，想请人调解",
        ],
    ),
    (
        "0104",
        &["宅基地界址纠纷", "承包地边界争议", "林地权属纠纷"],
        &[
            "两户村民因宅基地界址问题发生争执，一方砌墙占了通道",
            "村民反映承包地被邻村的人种上了，地界说不清",
            "两个村民小组对山上一片林地的归属有争议，{t}吵了几次",
        ],
    ),
    (
        "0105",
        &["工地拖欠工资", "讨薪求助", "劳务费纠纷"],
        &[
            "{p}工地老板拖欠二十多名工人工资，年底了还没结",
            "在饭店打工三个月没拿到工资，老板电话不接",
            "装修队做完活，包工头拖着劳务费不给，工人想讨个说法",
        ],
    ),
    (
        "0106",
        &[
            "商户经营占道",
            "水果摊占用通道",
            "夜市摊贩占道",
            "门店出店经营",
        ],
        &[
            "沿街餐馆在{p}人行道摆桌经营，行人只能走机动车道",
            "流动水果摊长期占用小区出入口，车辆进出困难",
            "{p}夜市摊贩{t}占道摆卖，油烟噪音扰民",
            "五金店把货物摆到店门外一大片，影响通行",
        ],
    ),
    (
        "0201",
        &[
            "楼道堆放杂物",
            "电动车楼道充电",
            "消防通道被占",
            "飞线充电隐患",
        ],
        &[
            "{b}楼道堆放纸箱和旧家具，堵塞消防通道",
            "多户在{b}楼道内给电动车充电，存在火灾隐患",
            "{p}消防通道被私家车长期占用，消防车进不来",
            "有住户从{b}窗户拉电线下来给电瓶车充电，很危险",
            "安全出口被锁住还堆了杂物，万一着火跑不出去",
        ],
    ),
    (
        "0202",
        &["燃气管道老化", "闻到煤气味", "液化气罐违规存放"],
        &[
            "老旧小区燃气立管锈蚀，{b}附近有轻微异味",
            "{b}楼道里{t}总有一股煤气味，担心漏气",
            "{p}的小餐馆后厨放了好几个液化气罐，没有防护",
        ],
    ),
    (
        "0203",
        &["外墙瓷砖脱落", "房屋墙体开裂", "危房有人居住"],
        &[
            "临街{b}外墙瓷砖松动脱落，危及楼下行人",
            "{b}承重墙出现裂缝，{t}越来越宽，住户很害怕",
            "{p}一栋老房子已经倾斜，还有老人住在里面",
        ],
    ),
    (
        "0204",
        &["有人野外烧荒", "林区附近烧纸", "山上冒烟"],
        &[
            "{p}后山有人烧荒，火借风势，离林区很近",
            "清明前有人在林区边上烧纸钱，没人看着",
            "村民看到山上冒烟，担心是山火，请赶紧派人看看",
        ],
    ),
    (
        "03",
        &[
            "垃圾未及时清运",
            "绿化带积水发臭",
            "乱倒建筑垃圾",
            "公厕脏乱",
        ],
        &[
            "{p}垃圾桶满溢{t}未清运，臭气熏天",
            "绿化带排水不畅，积水发臭滋生蚊虫",
            "有人在{p}乱倒装修垃圾，堆成小山",
            "{p}公厕没人打扫，又脏又臭",
            "{b}后面卫生死角老鼠多，垃圾很久没人清理",
        ],
    ),
    (
        "0401",
        &["下水道堵塞", "污水漫溢", "排水管堵了"],
        &[
            "商铺外围下水道堵塞，雨后污水漫溢",
            "{p}下水道返水，污水流到路面上，{t}都这样",
            "{b}化粪池满了往外冒，排水管堵住了",
            "一下雨{p}就积水，排水口被垃圾堵住",
        ],
    ),
    (
        "0402",
        &["路灯不亮", "路灯损坏", "巷道没有照明"],
        &[
            "巷道路灯{t}不亮，居民夜间出行不便",
            "{p}的路灯一闪一闪的，晚上很黑",
            "{p}有好几盏路灯坏了，孩子晚上放学走路害怕",
        ],
    ),
    (
        "0403",
        &["井盖缺失", "井盖破损", "窨井盖下陷"],
        &[
            "{p}井盖缺失，已用杂物临时遮挡",
            "{p}的井盖裂了一半，车一压就响，怕有人掉下去",
            "人行道上的窨井盖下陷，{t}已经有人崴了脚",
        ],
    ),
    (
        "0501",
        &["独居老人生活困难", "老人需要助餐", "高龄老人无人照顾"],
        &[
            "{b}独居老人行动不便，需要助餐和定期探访",
            "八十多岁的老人子女在外地，{t}没人照顾，希望社区多去看看",
            "老人腿脚不好，想问社区食堂能不能送餐上门",
        ],
    ),
    (
        "0502",
        &["困难家庭申请救助", "低保咨询", "临时救助申请"],
        &[
            "家庭主要劳动力患病，生活困难，咨询救助办理",
            "{b}一户人家孩子生病花光积蓄，想申请临时救助",
            "下岗后没有收入，问低保怎么申请，要什么材料",
        ],
    ),
    (
        "0503",
        &["医保报销咨询", "异地就医备案", "住院报销问题"],
        &[
            "异地就医备案和报销流程不清楚",
            "老人在外地住院，回来报销被退回，说材料不全",
            "门诊慢性病医保怎么办理，{t}跑了两趟没办成",
        ],
    ),
    (
        "0504",
        &["失业人员求职", "想参加技能培训", "就业帮扶"],
        &[
            "社区失业人员希望参加技能培训和推荐就业",
            "刚毕业的孩子找不到工作，问社区有没有招聘信息",
            "{b}有几个中年人失业在家，想学电工焊工",
        ],
    ),
    (
        "0601",
        &["疑似电信诈骗", "冒充公检法电话", "刷单被骗"],
        &[
            "老人接到自称公检法的电话要求转账",
            "{b}有位阿姨{t}被人拉进群刷单，已经转了几千块",
            "有人冒充社保局打电话说要激活账户，让报验证码",
        ],
    ),
    (
        "0602",
        &["可疑人员聚集", "疑似吸毒线索"],
        &[
            "{p}一间出租屋{t}常有陌生人进出，行为可疑",
            "{b}楼道里发现针管，怀疑有人吸毒",
        ],
    ),
    (
        "0701",
        &["建议增设休闲座椅", "建议加装充电桩", "希望增加健身器材"],
        &[
            "{p}缺少座椅，老人活动没地方休息",
            "建议在{p}集中建电动车充电棚，解决楼道充电问题",
            "希望在{p}增加几件健身器材",
        ],
    ),
    (
        "0702",
        &["政策咨询", "办事流程咨询"],
        &[
            "想问一下居住证怎么办理，需要哪些材料",
            "孩子入学要开居住证明，问社区怎么开",
            "咨询老旧小区改造政策，{b}能不能加装电梯",
        ],
    ),
];

const BUILDINGS: &[&str] = &[
    "3栋2单元",
    "5栋",
    "12幢",
    "B座",
    "7号楼",
    "1栋1单元",
    "18栋",
    "9栋3单元",
];
const PLACES: &[&str] = &[
    "小区门口",
    "菜市场旁边",
    "学校对面",
    "中山路口",
    "停车场",
    "幼儿园后面",
    "公交站附近",
    "广场",
    "村口",
    "江边步道",
];
const TIMES: &[&str] = &[
    "最近一周",
    "这几天",
    "每天晚上",
    "连续三天",
    "从上个月开始",
    "好几天了",
    "一个多月",
];
const OPENINGS: &[&str] = &[
    "",
    "",
    "",
    "您好，",
    "我要反映一下，",
    "网格员巡查发现：",
    "来电人反映：",
    "居民反映，",
];
const CLOSINGS: &[&str] = &[
    "",
    "",
    "",
    "希望尽快处理。",
    "请相关部门尽快解决！",
    "谢谢。",
    "多次反映未解决。",
    "麻烦尽快安排人来看看。",
];
/// Matters that straddle two categories: one report in ten of the first is worded like the
/// second (a 物业 complaint about rubbish, a drain blocked by it), as real reports are.
const STRADDLING: &[(&str, &str)] = &[
    ("0102", "03"),
    ("03", "0102"),
    ("0401", "03"),
    ("0201", "0102"),
    ("0101", "0102"),
    ("0402", "0102"),
    ("0106", "03"),
    ("0501", "0502"),
    ("0502", "0503"),
    ("0601", "0702"),
    ("0203", "0102"),
    ("0105", "0702"),
];

/// Asides that belong to no category.
const ASIDES: &[&str] = &[
    "附近居民意见很大",
    "孩子上学要经过这里",
    "老人晚上出门不方便",
    "之前打过电话",
    "拍了照片",
];

/// The categories the demo writes reports in.
pub fn categories() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(code, _, _)| *code)
}

/// A title and description for a report of `category` (a generic one for a category with
/// no templates).
pub fn story(category: &str, rng: &mut impl Rng) -> (String, String) {
    let worded_as = match STRADDLING.iter().find(|(c, _)| *c == category) {
        Some((_, other)) if rng.random_bool(0.1) => *other,
        _ => category,
    };
    let Some((_, titles, descriptions)) = TEMPLATES.iter().find(|(c, _, _)| *c == worded_as) else {
        return ("其他事项".into(), "其他事项，请核实".into());
    };
    let pick = |list: &[&'static str], rng: &mut dyn rand::RngCore| -> &'static str {
        list.choose(rng).copied().unwrap_or_default()
    };
    let mut body = pick(descriptions, rng)
        .replace("{b}", pick(BUILDINGS, rng))
        .replace("{p}", pick(PLACES, rng))
        .replace("{t}", pick(TIMES, rng));
    if rng.random_bool(0.3) {
        body = format!("{body}，{}", pick(ASIDES, rng));
    }
    if rng.random_bool(0.2) {
        body.retain(|c| !matches!(c, '，' | '、'));
    }
    // Four reports in ten have no title of their own: the start of what was written.
    let title = if rng.random_bool(0.4) {
        body.chars().take(12).collect()
    } else {
        pick(titles, rng).to_owned()
    };
    let description = format!("{}{body}{}", pick(OPENINGS, rng), pick(CLOSINGS, rng));
    (title, description)
}
