//! Plausible Chinese names for demo people and places (港北区, 贵港市, 广西).

use rand::Rng;
use rand::seq::IndexedRandom;

/// Surnames weighted towards those common in Guangxi (韦, 黄, 覃, 梁 …).
const SURNAMES: [&str; 24] = [
    "韦", "黄", "覃", "梁", "李", "陈", "莫", "蒙", "刘", "张", "王", "廖", "谢", "罗", "农", "陆",
    "韦", "黄", "覃", "梁", "杨", "周", "吴", "邓",
];
const GIVEN: [&str; 40] = [
    "海", "丽", "建", "华", "秀", "英", "志", "强", "玉", "兰", "春", "梅", "军", "红", "桂", "芳",
    "明", "文", "德", "平", "燕", "勇", "静", "伟", "霞", "林", "国", "荣", "敏", "琳", "凤", "宁",
    "鹏", "娟", "斌", "萍", "俊", "艳", "新", "云",
];

/// A person's name: surname and one or two given characters.
pub fn person(rng: &mut impl Rng) -> String {
    let s = SURNAMES.choose(rng).copied().unwrap_or("韦");
    let a = GIVEN.choose(rng).copied().unwrap_or("海");
    if rng.random_bool(0.7) {
        let b = GIVEN.choose(rng).copied().unwrap_or("华");
        format!("{s}{a}{b}")
    } else {
        format!("{s}{a}")
    }
}

/// Chinese numerals for 第N网格, 1–99.
pub fn numeral(n: usize) -> String {
    const D: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    match n {
        0..=9 => D[n].to_owned(),
        10 => "十".to_owned(),
        11..=19 => format!("十{}", D[n % 10]),
        _ if n.is_multiple_of(10) => format!("{}十", D[n / 10 % 10]),
        _ => format!("{}十{}", D[n / 10 % 10], D[n % 10]),
    }
}

/// 一网格一特色: the practices the field reports describe.
pub const FEATURES: [&str; 10] = [
    "红色物业·党员楼栋长",
    "老书记工作室",
    "家门口调解",
    "一日双巡",
    "独居老人结对帮扶",
    "有事好商量议事点",
    "爱心超市积分兑换",
    "消防通道常态清理",
    "庭院协商",
    "田间协商",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numerals() {
        assert_eq!(numeral(1), "一");
        assert_eq!(numeral(10), "十");
        assert_eq!(numeral(12), "十二");
        assert_eq!(numeral(20), "二十");
        assert_eq!(numeral(23), "二十三");
    }
}
