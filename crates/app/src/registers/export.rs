//! Register sheets going out: the blank templates people fill in, and exports of a subtree's
//! register in the same columns (so an export can be imported elsewhere), with ID and phone
//! numbers masked unless the exporter's role hands the full register upward.

use super::sight::Sight;
use crate::audit;
use crate::policy::{Ask, Resource, Verb};
use crate::{App, AppError, Principal};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use shanzhi_domain::register::sheet::{Column, PLACE_COLUMNS, RESIDENT_COLUMNS, STAFF_COLUMNS};
use shanzhi_domain::register::vocab::{Attention, PlaceKind, Relation, Residence, Risk, StaffRole};
use shanzhi_store::residents::{self as store, PersonFilter};
use shanzhi_store::vault::Field;
use shanzhi_store::{places, regions as region_store};
use std::collections::HashMap;

/// Persons read per page while exporting.
const PAGE: u32 = 1000;

fn xlsx_error(e: XlsxError) -> AppError {
    AppError::Internal(format!("xlsx: {e}"))
}

/// Writes the header row (required columns marked with *) and sets widths; ID and phone
/// columns are formatted as text, so Excel never turns an ID number into 4.50802E+17.
fn header(sheet: &mut Worksheet, columns: &[Column]) -> Result<Format, AppError> {
    let bold = Format::new().set_bold().set_background_color("#DDEBF7");
    let text = Format::new().set_num_format("@");
    for (i, c) in columns.iter().enumerate() {
        let col = i as u16;
        let title = if c.required {
            format!("{}*", c.header)
        } else {
            c.header.to_owned()
        };
        sheet
            .write_string_with_format(0, col, title, &bold)
            .map_err(xlsx_error)?;
        let wide = matches!(
            c.key,
            "id_number" | "grid" | "grids" | "address" | "tags" | "name" | "note" | "duties"
        );
        sheet
            .set_column_width(col, if wide { 22 } else { 12 })
            .map_err(xlsx_error)?;
        if matches!(
            c.key,
            "id_number" | "phone" | "contact_phone" | "grid" | "grids"
        ) {
            sheet.set_column_format(col, &text).map_err(xlsx_error)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
    Ok(text)
}

fn guide(book: &mut Workbook, lines: &[(String, String)]) -> Result<(), AppError> {
    let sheet = book
        .add_worksheet()
        .set_name("填写说明")
        .map_err(xlsx_error)?;
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, "栏目", &bold)
        .map_err(xlsx_error)?;
    sheet
        .write_string_with_format(0, 1, "怎么填", &bold)
        .map_err(xlsx_error)?;
    sheet.set_column_width(0, 16).map_err(xlsx_error)?;
    sheet.set_column_width(1, 90).map_err(xlsx_error)?;
    for (i, (k, v)) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_string(r, 0, k).map_err(xlsx_error)?;
        sheet.write_string(r, 1, v).map_err(xlsx_error)?;
    }
    Ok(())
}

/// The blank residents template, with two example rows (one household) and a guide sheet
/// listing every accepted value.
pub fn residents_template(tag_names: &[String], grid_example: &str) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let sheet = book
        .add_worksheet()
        .set_name("居民信息")
        .map_err(xlsx_error)?;
    let text = header(sheet, RESIDENT_COLUMNS)?;
    let examples: [[&str; 17]; 2] = [
        [
            grid_example,
            "金港花园3栋",
            "港北区金港大道168号",
            "1",
            "2",
            "201",
            "H0001",
            "黄秀兰",
            "女",
            "450802195203140023",
            "13877512345",
            "户主",
            "户籍",
            "",
            "",
            "独居老人(重点)",
            "",
        ],
        [
            grid_example,
            "金港花园3栋",
            "港北区金港大道168号",
            "1",
            "2",
            "202",
            "H0002",
            "覃建国",
            "男",
            "450802195007080019",
            "",
            "户主",
            "常住",
            "2019-05-01",
            "",
            "退役军人",
            "",
        ],
    ];
    for (r, row) in examples.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            sheet
                .write_string_with_format(r as u32 + 1, c as u16, *v, &text)
                .map_err(xlsx_error)?;
        }
    }
    guide(
        &mut book,
        &[
            (
                "网格编码".into(),
                "15 位（或微网格 18 位）网格编码，须在您的管辖范围内".into(),
            ),
            (
                "楼栋、房号".into(),
                "同一楼栋名称在同一网格内视为同一栋；单元可空".into(),
            ),
            (
                "户编号".into(),
                "本表内同一户成员填同一个编号（如 H0001），每户须有且只有一名户主".into(),
            ),
            (
                "公民身份号码".into(),
                "18 位，校验位须正确；出生日期和性别由身份证号自动得出。请将此列设为“文本”".into(),
            ),
            (
                "联系电话".into(),
                "11 位手机号，或带区号的固定电话（如 0775-2812345），可空".into(),
            ),
            ("与户主关系".into(), Relation::choices()),
            (
                "居住状态".into(),
                format!("{}；流动人口须填迁入日期", Residence::choices()),
            ),
            ("迁入/迁出日期".into(), "写成 2026-03-01".into()),
            (
                "重点人群标签".into(),
                format!(
                    "可空；多个用“；”分隔，括号内写关注等级（{}），如：独居老人(重点)；残疾人。可用标签：{}",
                    Attention::choices(),
                    tag_names.join("、")
                ),
            ),
        ],
    )?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// The blank places template.
pub fn places_template(grid_example: &str) -> Result<Vec<u8>, AppError> {
    template(
        "重点场所",
        PLACE_COLUMNS,
        &[
            grid_example,
            "金港小食店",
            "九小场所",
            "港北区金港大道170号",
            "109.6012",
            "23.1105",
            "李海燕",
            "13907751234",
            "中",
            "后厨使用液化气",
        ],
        &[
            (
                "网格编码".into(),
                "可空：填了经纬度时按位置自动落格；两者都填时位置须在该网格内".into(),
            ),
            ("场所类型".into(), PlaceKind::choices()),
            ("风险等级".into(), Risk::choices()),
            (
                "经度/纬度".into(),
                "WGS-84 坐标（手机定位的坐标），可空".into(),
            ),
        ],
    )
}

/// A blank template: the header, one example row and a guide sheet.
fn template(
    name: &str,
    columns: &[Column],
    example: &[&str],
    lines: &[(String, String)],
) -> Result<Vec<u8>, AppError> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name(name).map_err(xlsx_error)?;
    let text = header(sheet, columns)?;
    for (c, v) in example.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *v, &text)
            .map_err(xlsx_error)?;
    }
    guide(&mut book, lines)?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// The residents register under `root` as xlsx, in the template's columns. Full ID and phone
/// numbers only for roles that hand the register upward; the export is audited either way.
pub async fn residents(state: &App, k: &Principal, root: &str) -> Result<Vec<u8>, AppError> {
    k.may(Resource::Resident, Verb::Export)?;
    k.must_see(root)?;
    let full = k.can(Resource::PersonalNumbers, Verb::Export);
    let mut conn = state.store().conn().await?;
    let sight = Sight::of(&mut conn, k, Verb::Export).await?;
    let tag_names: HashMap<String, String> = store::tag_kinds(&mut conn)
        .await?
        .into_iter()
        .map(|t| (t.code, t.name))
        .collect();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name("居民信息").map_err(xlsx_error)?;
    let text = header(sheet, RESIDENT_COLUMNS)?;
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let filter = PersonFilter {
        within: Some(root),
        ..PersonFilter::default()
    };
    let (mut after, mut r, mut count) = (0i64, 1u32, 0u64);
    loop {
        let page = store::search(&mut conn, &filter, after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        let ids: Vec<i64> = page.iter().map(|p| p.id).collect();
        let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
        for t in sight.visible_tags(store::tags_of(&mut conn, &ids).await?) {
            let level = t.level.label();
            tags.entry(t.person_id).or_default().push(format!(
                "{}({level})",
                tag_names.get(&t.tag).unwrap_or(&t.tag)
            ));
        }
        let sealed: HashMap<i64, store::SealedRow> = if full {
            store::sealed_of(&mut conn, &ids)
                .await?
                .into_iter()
                .map(|row| (row.0, row))
                .collect()
        } else {
            HashMap::new()
        };
        let open = |f: Field, v: &Option<Vec<u8>>| -> Result<Option<String>, AppError> {
            v.as_ref()
                .map(|b| state.vault().open(f, b))
                .transpose()
                .map_err(|e| AppError::Internal(e.to_string()))
        };
        for p in &page {
            let (id_number, phone) = match sealed.get(&p.id) {
                Some((_, i, ph)) => (open(Field::IdNumber, i)?, open(Field::Phone, ph)?),
                None => (p.id_masked.clone(), p.phone_masked.clone()),
            };
            let cells = [
                p.node_code.clone(),
                p.building.clone(),
                p.address.clone(),
                p.unit.clone(),
                p.floor.map(|f| f.to_string()).unwrap_or_default(),
                p.room.clone(),
                if p.household_ref.is_empty() {
                    format!("H{}", p.household_id)
                } else {
                    p.household_ref.clone()
                },
                p.name.clone(),
                p.sex.map(|s| s.label().to_owned()).unwrap_or_default(),
                id_number.unwrap_or_default(),
                phone.unwrap_or_default(),
                p.relation.label().to_owned(),
                p.status.label().to_owned(),
                p.moved_in.clone().unwrap_or_default(),
                p.moved_out.clone().unwrap_or_default(),
                tags.remove(&p.id).unwrap_or_default().join("；"),
                p.note.clone(),
            ];
            for (c, v) in cells.iter().enumerate() {
                if v.is_empty() {
                    continue;
                }
                // Dates are date cells (Excel sorts and filters them); the rest stays text.
                let key = RESIDENT_COLUMNS.get(c).map_or("", |col| col.key);
                match ExcelDateTime::parse_from_str(v) {
                    Ok(d) if matches!(key, "moved_in" | "moved_out") => {
                        sheet.write_datetime_with_format(r, c as u16, &d, &date)
                    }
                    _ => sheet.write_string_with_format(r, c as u16, v, &text),
                }
                .map_err(xlsx_error)?;
            }
            r += 1;
            count += 1;
        }
    }
    audit_export(state, k, root, "residents", full, count).await?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// Records an export of `register` under `root` (`count` records, full numbers or masked) in
/// a transaction of its own.
async fn audit_export(
    state: &App,
    k: &Principal,
    root: &str,
    register: &str,
    full: bool,
    count: u64,
) -> Result<(), AppError> {
    let mut tx = state.store().begin().await?;
    let record = audit::entry(
        state.now_ms(),
        &crate::audit::Actor::of(k),
        &format!(
            "register.export_{register}_{}",
            if full { "full" } else { "masked" }
        ),
        format!("node:{root}"),
        Some(root),
        serde_json::json!({"records": count, "full": full}),
    );
    audit::record(&mut tx, [record]);
    tx.commit().await?;
    Ok(())
}

/// The places register under `root` as xlsx, in the template's columns so that it imports
/// again: positions as numbers (empty where there is none), contact phones in full for roles
/// that hand the register upward and masked for the others.
pub async fn places(state: &App, k: &Principal, root: &str) -> Result<Vec<u8>, AppError> {
    k.may(Resource::Place, Verb::Export)?;
    k.must_see(root)?;
    let full = k.can(Resource::PersonalNumbers, Verb::Export);
    let mut conn = state.store().conn().await?;
    let mut book = Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name("重点场所").map_err(xlsx_error)?;
    let text = header(sheet, PLACE_COLUMNS)?;
    let degrees = Format::new().set_num_format("0.000000");
    let column = |key: &str| PLACE_COLUMNS.iter().position(|c| c.key == key).unwrap_or(0) as u16;
    let (lon_at, lat_at) = (column("lon"), column("lat"));
    let (mut after, mut r, mut count) = (0i64, 1u32, 0u64);
    loop {
        let page = places::list(&mut conn, Some(root), None, None, after, PAGE).await?;
        let Some(last) = page.last() else {
            break;
        };
        after = last.id;
        let phones: HashMap<i64, Option<Vec<u8>>> = if full {
            let ids: Vec<i64> = page.iter().map(|p| p.id).collect();
            places::phones_of(&mut conn, &ids)
                .await?
                .into_iter()
                .collect()
        } else {
            HashMap::new()
        };
        for p in &page {
            let phone = phone_of(state, &phones, p.id, &p.contact_phone_masked)?;
            let cells = [
                p.node_code.clone(),
                p.name.clone(),
                p.kind.label().to_owned(),
                p.address.clone(),
                String::new(),
                String::new(),
                p.contact.clone(),
                phone.unwrap_or_default(),
                p.risk.label().to_owned(),
                p.note.clone(),
            ];
            for (c, v) in cells.iter().enumerate() {
                if !v.is_empty() {
                    sheet
                        .write_string_with_format(r, c as u16, v, &text)
                        .map_err(xlsx_error)?;
                }
            }
            // A position is a pair of numbers, or nothing.
            if let (Some(lon), Some(lat)) = (p.lon, p.lat)
                && lon.is_finite()
                && lat.is_finite()
            {
                sheet
                    .write_number_with_format(r, lon_at, lon, &degrees)
                    .map_err(xlsx_error)?;
                sheet
                    .write_number_with_format(r, lat_at, lat, &degrees)
                    .map_err(xlsx_error)?;
            }
            r += 1;
            count += 1;
        }
    }
    audit_export(state, k, root, "places", full, count).await?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// The blank staff template, with an example row and a guide sheet.
pub fn staff_template(grid_example: &str) -> Result<Vec<u8>, AppError> {
    template(
        "网格人员",
        STAFF_COLUMNS,
        &[
            "韦丽萍",
            "专职网格员",
            "13877512345",
            "中共党员",
            "是",
            grid_example,
            "巡查走访、信息采集、矛盾调解",
            "",
        ],
        &[
            ("角色".into(), StaffRole::choices()),
            (
                "党员".into(),
                "是/否，或填政治面貌（中共党员、预备党员算党员；群众、共青团员等不算）".into(),
            ),
            (
                "公开电话".into(),
                "是/否：本人同意后填“是”，电话会显示在居民页面和二维码海报上，方便不会打字的居民打电话反映".into(),
            ),
            (
                "服务网格".into(),
                "网格编码；服务几个网格就填几个，用顿号或逗号隔开".into(),
            ),
            (
                "用户名".into(),
                "可空：本人有系统账号时填写，把名册与账号关联".into(),
            ),
        ],
    )
}

/// The staff register under `root` as xlsx, in the template's columns (so it imports
/// elsewhere) plus their training hours; full phones only for roles that hand registers
/// upward; audited.
pub async fn staff(state: &App, k: &Principal, root: &str) -> Result<Vec<u8>, AppError> {
    k.may(Resource::Staff, Verb::Export)?;
    k.must_see(root)?;
    let full = k.can(Resource::PersonalNumbers, Verb::Export);
    let mut conn = state.store().conn().await?;
    let rows = shanzhi_store::staff::list(&mut conn, Some(root)).await?;
    let phones: HashMap<i64, Option<Vec<u8>>> = if full {
        let ids: Vec<i64> = rows.iter().map(|s| s.id).collect();
        shanzhi_store::staff::phones_of(&mut conn, &ids)
            .await?
            .into_iter()
            .collect()
    } else {
        HashMap::new()
    };
    let mut usernames: HashMap<i64, String> = HashMap::new();
    for id in rows.iter().filter_map(|s| s.account_id) {
        if let Some(a) = shanzhi_store::accounts::by_id(&mut conn, id).await? {
            usernames.insert(id, a.username);
        }
    }
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("网格人员").map_err(xlsx_error)?;
    let text = header(sheet, STAFF_COLUMNS)?;
    let hours_at = STAFF_COLUMNS.len() as u16;
    sheet
        .write_string_with_format(
            0,
            hours_at,
            "培训学时",
            &Format::new().set_bold().set_background_color("#DDEBF7"),
        )
        .map_err(xlsx_error)?;
    let hours = Format::new().set_num_format("0.0");
    for (i, s) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        let phone = phone_of(state, &phones, s.id, &s.phone_masked)?;
        let cells = [
            s.name.clone(),
            s.role.label().to_owned(),
            phone.unwrap_or_default(),
            if s.party_member { "是" } else { "否" }.to_owned(),
            if s.public_phone.is_some() {
                "是"
            } else {
                "否"
            }
            .to_owned(),
            s.grids.as_deref().unwrap_or_default().replace(',', "、"),
            s.duties.clone(),
            s.account_id
                .and_then(|a| usernames.get(&a).cloned())
                .unwrap_or_default(),
        ];
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                sheet
                    .write_string_with_format(r, c as u16, v, &text)
                    .map_err(xlsx_error)?;
            }
        }
        if let Some(h) = s.training_hours.filter(|h| h.is_finite()) {
            sheet
                .write_number_with_format(r, hours_at, h, &hours)
                .map_err(xlsx_error)?;
        }
    }
    audit_export(state, k, root, "staff", full, rows.len() as u64).await?;
    book.save_to_buffer().map_err(xlsx_error)
}

/// A record's phone as exported: opened when `phones` (fetched for a full export) holds it
/// sealed, else the masked form.
fn phone_of(
    state: &App,
    phones: &HashMap<i64, Option<Vec<u8>>>,
    id: i64,
    masked: &Option<String>,
) -> Result<Option<String>, AppError> {
    match phones.get(&id) {
        Some(Some(sealed)) => state
            .vault()
            .open(Field::Phone, sealed)
            .map(Some)
            .map_err(|e| AppError::Internal(e.to_string())),
        _ => Ok(masked.clone()),
    }
}

/// A grid code to show in templates: the first grid in the keeper's scope.
pub async fn example_grid(state: &App, k: &Principal) -> Result<String, AppError> {
    let mut conn = state.store().conn().await?;
    let first = region_store::subtree_page(
        &mut conn,
        k.actor.node.as_ref(),
        Some(shanzhi_domain::region::Level::Grid),
        None,
        1,
    )
    .await?;
    Ok(first
        .into_iter()
        .next()
        .map_or_else(|| "450802001001001".to_owned(), |n| n.code))
}
