//! What of the resident register a caller sees: which people (its subtree, or for a department
//! the people carrying a tag it has a duty for) and which of their tags (sensitive tags only
//! where the policy lists them; elsewhere they are counted in figures, never shown by person).

use crate::policy::{self, Ask, Reach, Resource, Verb};
use crate::{AppError, Principal};
use shanzhi_store::duties::{self, DutyRow};
use shanzhi_store::residents::PersonTagRow;
use shanzhi_store::{Exec, accounts};

/// What a caller sees of the resident register.
#[derive(Debug, Clone)]
pub struct Sight {
    /// How far into the register: the subtree, or a department's duty.
    pub reach: Reach,
    /// Every tag with its sensitivity and duties.
    tags: Vec<DutyRow>,
    /// The tags whose people a department lists (duty reach only).
    duty: Vec<String>,
    /// How far sensitive tags are shown (None: never by person).
    sensitive: Option<Reach>,
}

impl Sight {
    /// The caller's sight of residents for `verb`; refused when the role has none.
    pub async fn of(ex: &mut impl Exec, p: &Principal, verb: Verb) -> Result<Sight, AppError> {
        let reach = p.may(Resource::Resident, verb)?;
        let tags = duties::all(ex).await?;
        let kind = match (reach, p.actor.department_id) {
            (Reach::Duty, Some(d)) => accounts::department(ex, d).await?.map(|d| d.kind),
            _ => None,
        };
        let duty = tags
            .iter()
            .filter(|t| kind.as_ref().is_some_and(|k| t.departments.contains(k)))
            .map(|t| t.tag.clone())
            .collect();
        Ok(Sight {
            reach,
            tags,
            duty,
            sensitive: policy::reach(p.actor.role, Resource::SensitiveTag, Verb::Read),
        })
    }

    /// Whether the caller sees `tag` (a code) on a person.
    pub fn shows(&self, tag: &str) -> bool {
        let Some(t) = self.tags.iter().find(|t| t.tag == tag) else {
            return false;
        };
        match (t.sensitive, self.sensitive) {
            (false, _) => true,
            (true, Some(Reach::Duty)) => self.duty.contains(&t.tag),
            (true, Some(_)) => true,
            (true, None) => false,
        }
    }

    /// For a department: the tags whose people it may list (None: the whole subtree).
    pub fn duty(&self) -> Option<&[String]> {
        (self.reach == Reach::Duty).then_some(self.duty.as_slice())
    }

    /// Whether a person carrying `tags` (codes) is within reach.
    pub fn reaches<'a>(&self, mut tags: impl Iterator<Item = &'a str>) -> bool {
        match self.duty() {
            Some(duty) => tags.any(|t| duty.iter().any(|d| d == t)),
            None => true,
        }
    }

    /// Refuses listing people by `tag` (a code) unless the caller sees it by person — and, for
    /// a department, unless it is one of its duties. The refusal names the tag, nothing more.
    pub fn may_list_by(&self, p: &Principal, tag: &str) -> Result<(), AppError> {
        let name = self
            .tags
            .iter()
            .find(|t| t.tag == tag)
            .map_or(tag, |t| t.name.as_str());
        let allowed = match self.duty() {
            Some(duty) => duty.iter().any(|d| d == tag),
            None => self.shows(tag),
        };
        if allowed {
            Ok(())
        } else {
            Err(AppError::NotPermitted(format!(
                "{}不能按“{name}”查看人员名单：该标签只向负有职责的网格、社区和部门显示",
                p.actor.role.label()
            )))
        }
    }

    /// The tags of `rows` the caller may see.
    pub fn visible_tags(&self, rows: Vec<PersonTagRow>) -> Vec<PersonTagRow> {
        rows.into_iter().filter(|t| self.shows(&t.tag)).collect()
    }

    /// The codes of the tags the caller may see, for queries that list tagged people.
    pub fn shown_codes(&self) -> Vec<String> {
        self.tags
            .iter()
            .filter(|t| self.shows(&t.tag))
            .map(|t| t.tag.clone())
            .collect()
    }
}
