//! The registers' closed lists. Codes are what the database stores; labels are what people
//! read and type. Relations follow the household-relation groups of GB/T 4761, residence status
//! and place kinds the categories grid workers are asked to report under GB/T 31000.

use super::labels::labelled;

labelled! {
    /// Relation to the head of household (与户主关系).
    Relation {
        /// 户主.
        Head = "head", "户主" | "本人";
        /// 配偶.
        Spouse = "spouse", "配偶" | "妻子" | "丈夫" | "妻" | "夫";
        /// 子女.
        Child = "child", "子女" | "子" | "女" | "儿子" | "女儿";
        /// 父母.
        Parent = "parent", "父母" | "父亲" | "母亲";
        /// 孙子女.
        Grandchild = "grandchild", "孙子女" | "孙子" | "孙女" | "外孙" | "外孙女";
        /// 祖父母.
        Grandparent = "grandparent", "祖父母" | "祖父" | "祖母" | "外祖父" | "外祖母";
        /// 兄弟姐妹.
        Sibling = "sibling", "兄弟姐妹" | "兄" | "弟" | "姐" | "妹";
        /// 儿媳、女婿.
        InLaw = "in_law", "儿媳女婿" | "儿媳" | "女婿";
        /// 其他亲属.
        Relative = "relative", "其他亲属";
        /// 非亲属 (a tenant sharing the household, a carer).
        Other = "other", "非亲属" | "其他";
    }
}

labelled! {
    /// Residence status (居住状态).
    Residence {
        /// 户籍人口, living here.
        Registered = "registered", "户籍" | "户籍人口";
        /// 常住 without household registration here (人户分离 from elsewhere).
        Resident = "resident", "常住" | "常住人口";
        /// 流动人口.
        Floating = "floating", "流动" | "流动人口";
    }
}

labelled! {
    /// How closely a tagged person is looked after (关注等级).
    Attention {
        /// 一般.
        Normal = "normal", "一般" | "低";
        /// 关注.
        Watch = "watch", "关注" | "中";
        /// 重点.
        Close = "close", "重点" | "高";
    }
}

labelled! {
    /// Kinds of key places (重点场所).
    PlaceKind {
        /// 九小场所 (small shops, restaurants, hostels, workshops …).
        NineSmall = "nine_small", "九小场所";
        /// 学校、幼儿园.
        School = "school", "学校" | "幼儿园";
        /// 医院、诊所.
        Clinic = "clinic", "医院诊所" | "医院" | "诊所" | "卫生室";
        /// 出租屋.
        Rental = "rental", "出租屋" | "出租房";
        /// 危化品 storage or use.
        Hazardous = "hazardous", "危化品" | "危险化学品";
        /// 商户.
        Shop = "shop", "商户" | "商铺";
        /// 养老机构.
        Elderly = "elderly", "养老机构" | "养老院";
        /// 农贸市场.
        Market = "market", "农贸市场" | "市场";
        /// 其他.
        Other = "other", "其他";
    }
}

labelled! {
    /// Risk level of a place (风险等级).
    Risk {
        /// 低.
        Low = "low", "低" | "低风险";
        /// 中.
        Medium = "medium", "中" | "中风险" | "一般";
        /// 高.
        High = "high", "高" | "高风险" | "较高";
    }
}

labelled! {
    /// Roles on the staff register (网格长(员)信息册).
    StaffRole {
        /// 网格长.
        Leader = "leader", "网格长";
        /// 专职网格员.
        FullTime = "full_time", "专职网格员" | "网格员";
        /// 兼职网格员.
        PartTime = "part_time", "兼职网格员";
        /// 微网格联络员.
        MicroLiaison = "micro_liaison", "微网格联络员" | "微网格员";
        /// 楼栋长.
        BuildingHead = "building_head", "楼栋长";
        /// 下沉干部.
        Seconded = "seconded", "下沉干部";
        /// 移动网格员 (couriers, drivers and others who report while they work).
        Mobile = "mobile", "移动网格员";
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_aliases_and_codes_all_parse_and_codes_round_trip() {
        assert_eq!(Relation::from_typed("本人"), Some(Relation::Head));
        assert_eq!(Relation::from_typed(" 女儿 "), Some(Relation::Child));
        assert_eq!(Relation::from_typed("spouse"), Some(Relation::Spouse));
        assert_eq!(Relation::from_typed("邻居"), None);
        assert_eq!(Residence::from_typed("流动人口"), Some(Residence::Floating));
        assert_eq!(PlaceKind::from_typed("诊所"), Some(PlaceKind::Clinic));
        assert_eq!(Risk::from_typed("高风险"), Some(Risk::High));
        for r in Relation::ALL {
            assert_eq!(r.as_str().parse(), Ok(*r));
            assert_eq!(Relation::from_typed(r.label()), Some(*r));
        }
        for s in StaffRole::ALL {
            assert_eq!(s.as_str().parse(), Ok(*s));
        }
        assert!(Attention::choices().starts_with("一般、关注"));
    }
}

labelled! {
    /// Why a grid worker visits a household or a place (走访事由).
    VisitPurpose {
        /// 关爱走访: looking in on the elderly, the disabled, families in difficulty.
        Care = "care", "关爱走访" | "走访慰问" | "关爱";
        /// 信息核实: checking and updating the register.
        Verify = "verify", "信息核实" | "核实";
        /// 矛盾排查: looking for disputes before they grow.
        Disputes = "disputes", "矛盾排查" | "纠纷排查";
        /// 安全检查: fire, gas, electric bicycles.
        Safety = "safety", "安全检查" | "安全";
        /// 政策宣传: explaining a policy, collecting opinions.
        Policy = "policy", "政策宣传" | "宣传";
        /// 帮扶服务: help with an application, an errand.
        Help = "help", "帮扶服务" | "帮办代办";
    }
}
