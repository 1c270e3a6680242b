//! Every route's entry in the access policy, and the middleware that asks it before a handler
//! runs. A route missing here is refused (deny by default), so a new endpoint cannot ship
//! unguarded; the route-by-role test walks this table, the OpenAPI document and the policy.
//!
//! The operations ask the policy again for their reach (which records); this first question
//! only decides whether the role has the feature at all, so the refusal is the same 403 whatever
//! body or parameters were sent.

use crate::auth::{Caller, SESSION_COOKIE, bearer};
use crate::pages::PageError;
use crate::{ApiError, WebState};
use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::CookieJar;
use shanzhi_app::policy::{self, Resource, Verb};
use shanzhi_app::{AppError, Principal, accounts, audit};
use shanzhi_domain::auth::Role;
use std::collections::HashMap;
use std::sync::LazyLock;

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone: residents' QR pages, logging in, Open311 (its api_key is checked inside),
    /// health and assets.
    Open,
    /// Any signed-in account: its own profile, logging out.
    Signed,
    /// A signed-in account whose role may do this.
    Needs(Resource, Verb),
    /// A signed-in account whose role may do one of these (routes that name the register in
    /// a path parameter; the operation asks for the one named).
    Any(&'static [(Resource, Verb)]),
}

impl Guard {
    /// Whether `role` passes.
    pub fn admits(self, role: Role) -> bool {
        match self {
            Guard::Open | Guard::Signed => true,
            Guard::Needs(r, v) => policy::allows(role, r, v),
            Guard::Any(all) => all.iter().any(|(r, v)| policy::allows(role, *r, *v)),
        }
    }

    /// The first resource the guard names, for refusals and the audit trail.
    pub fn resource(self) -> Option<(Resource, Verb)> {
        match self {
            Guard::Needs(r, v) => Some((r, v)),
            Guard::Any(all) => all.first().copied(),
            Guard::Open | Guard::Signed => None,
        }
    }
}

/// One route: method, path as the router writes it, guard.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// HTTP method.
    pub method: &'static str,
    /// Path template, e.g. `/api/v1/cases/{id}`.
    pub path: &'static str,
    /// What it asks.
    pub guard: Guard,
}

const fn r(method: &'static str, path: &'static str, guard: Guard) -> Route {
    Route {
        method,
        path,
        guard,
    }
}

use Guard::{Needs, Open, Signed};
use Resource as R;
use Verb::{Export, List, Read, Reveal, Write};

const REGISTER_WRITE: Guard =
    Guard::Any(&[(R::Resident, Write), (R::Place, Write), (R::Staff, Write)]);
const REGISTER_EXPORT: Guard = Guard::Any(&[
    (R::Resident, Export),
    (R::Place, Export),
    (R::Staff, Export),
]);

/// Every route of the server.
pub const ROUTES: &[Route] = &[
    // The JSON API.
    r("GET", "/api/v1/openapi.json", Open),
    r("POST", "/api/v1/auth/token", Open),
    r("DELETE", "/api/v1/auth/token", Signed),
    r("GET", "/api/v1/me", Signed),
    r("GET", "/api/v1/policy", Signed),
    r("GET", "/api/v1/policy/duties", Needs(R::Duty, Read)),
    r("PUT", "/api/v1/policy/duties/{tag}", Needs(R::Duty, Write)),
    r("GET", "/api/v1/accounts", Needs(R::Account, List)),
    r("POST", "/api/v1/accounts", Needs(R::Account, Write)),
    r("PUT", "/api/v1/accounts/{username}/password", Signed),
    r(
        "PUT",
        "/api/v1/accounts/{username}/role",
        Needs(R::Grant, Write),
    ),
    r("GET", "/api/v1/departments", Needs(R::Department, List)),
    r("POST", "/api/v1/departments", Needs(R::Department, Write)),
    r("GET", "/api/v1/assessment", Needs(R::Assessment, Read)),
    r(
        "GET",
        "/api/v1/assessment/units",
        Needs(R::Assessment, Read),
    ),
    r(
        "PUT",
        "/api/v1/assessment/workers/{account}",
        Needs(R::Assessment, Write),
    ),
    r(
        "GET",
        "/api/v1/assessment/weights",
        Guard::Any(&[(R::Setting, Read), (R::Assessment, Read)]),
    ),
    r(
        "PUT",
        "/api/v1/assessment/weights",
        Needs(R::Setting, Write),
    ),
    r("GET", "/api/v1/audit", Needs(R::Audit, List)),
    r("POST", "/api/v1/audit/verify", Needs(R::Audit, Read)),
    r("GET", "/api/v1/calendar", Needs(R::Calendar, Read)),
    r("PUT", "/api/v1/calendar/{day}", Needs(R::Calendar, Write)),
    r(
        "DELETE",
        "/api/v1/calendar/{day}",
        Needs(R::Calendar, Write),
    ),
    r("GET", "/api/v1/cases", Needs(R::Case, List)),
    r("POST", "/api/v1/cases", Needs(R::Case, Write)),
    r("GET", "/api/v1/cases/{id}", Needs(R::Case, Read)),
    r("POST", "/api/v1/cases/{id}/actions", Needs(R::Case, Write)),
    r("GET", "/api/v1/cases/{id}/dispute", Needs(R::Case, Read)),
    r("PUT", "/api/v1/cases/{id}/dispute", Needs(R::Case, Write)),
    r(
        "POST",
        "/api/v1/cases/{id}/dispute/followups",
        Needs(R::Case, Write),
    ),
    r(
        "POST",
        "/api/v1/cases/{id}/dispute/outcome",
        Needs(R::Case, Write),
    ),
    r(
        "POST",
        "/api/v1/cases/{id}/dispute/sessions",
        Needs(R::Case, Write),
    ),
    r("GET", "/api/v1/cases/{id}/duplicates", Needs(R::Case, Read)),
    r("GET", "/api/v1/cases/{id}/photos", Needs(R::Photo, List)),
    r("POST", "/api/v1/cases/{id}/photos", Needs(R::Photo, Write)),
    r(
        "GET",
        "/api/v1/cases/{id}/photos/{photo_id}",
        Needs(R::Photo, Read),
    ),
    r(
        "POST",
        "/api/v1/cases/{id}/reporter-phone",
        Needs(R::ReporterContact, Reveal),
    ),
    r("GET", "/api/v1/cases/{id}/requests", Needs(R::Case, Read)),
    r("POST", "/api/v1/cases/{id}/requests", Needs(R::Case, Write)),
    r(
        "POST",
        "/api/v1/cases/{id}/requests/decision",
        Needs(R::Case, Write),
    ),
    r("POST", "/api/v1/cases/{id}/resume", Needs(R::Case, Write)),
    r("POST", "/api/v1/cases/{id}/category", Needs(R::Case, Write)),
    r("GET", "/api/v1/cases/{id}/texts", Needs(R::Case, Read)),
    r("GET", "/api/v1/cases/{id}/summons", Needs(R::Case, Read)),
    r("POST", "/api/v1/cases/{id}/summons", Needs(R::Case, Write)),
    r(
        "POST",
        "/api/v1/cases/{id}/summons/report-in",
        Needs(R::Case, Write),
    ),
    r("GET", "/api/v1/events", Needs(R::Case, List)),
    r("POST", "/api/v1/hotline/import", Needs(R::Hotline, Write)),
    r("GET", "/api/v1/hotline/pending", Needs(R::Hotline, Write)),
    r(
        "POST",
        "/api/v1/hotline/pending/{id}/place",
        Needs(R::Hotline, Write),
    ),
    r("GET", "/api/v1/categories", Needs(R::Category, List)),
    r(
        "PATCH",
        "/api/v1/categories/{code}",
        Needs(R::Category, Write),
    ),
    r("GET", "/api/v1/dashboard", Needs(R::Figures, Read)),
    r(
        "GET",
        "/api/v1/disputes/success-rate",
        Needs(R::Figures, Read),
    ),
    r("GET", "/api/v1/patrol-coverage", Needs(R::Figures, Read)),
    r("GET", "/api/v1/summons/responses", Needs(R::Figures, Read)),
    r("GET", "/api/v1/reports/monthly", Needs(R::Figures, Export)),
    r("POST", "/api/v1/households", Needs(R::Resident, Write)),
    r(
        "POST",
        "/api/v1/households/{id}/members",
        Needs(R::Resident, Write),
    ),
    r(
        "POST",
        "/api/v1/households/{id}/move",
        Needs(R::Resident, Write),
    ),
    r("GET", "/api/v1/residents", Needs(R::Resident, List)),
    r("GET", "/api/v1/residents/{id}", Needs(R::Resident, Read)),
    r("PUT", "/api/v1/residents/{id}", Needs(R::Resident, Write)),
    r(
        "POST",
        "/api/v1/residents/{id}/reveal",
        Needs(R::PersonalNumbers, Reveal),
    ),
    r("GET", "/api/v1/places", Needs(R::Place, List)),
    r("POST", "/api/v1/places", Needs(R::Place, Write)),
    r("GET", "/api/v1/places/{id}", Needs(R::Place, Read)),
    r(
        "POST",
        "/api/v1/places/{id}/inspections",
        Needs(R::Place, Write),
    ),
    r("GET", "/api/v1/staff", Needs(R::Staff, List)),
    r("POST", "/api/v1/staff", Needs(R::Staff, Write)),
    r(
        "POST",
        "/api/v1/staff/{id}/trainings",
        Needs(R::Staff, Write),
    ),
    r("GET", "/api/v1/registers/{code}", Needs(R::GridFacts, Read)),
    r(
        "PUT",
        "/api/v1/registers/{code}/facts",
        Needs(R::GridFacts, Write),
    ),
    r(
        "GET",
        "/api/v1/registers/export/{register}",
        REGISTER_EXPORT,
    ),
    r(
        "POST",
        "/api/v1/registers/import/{register}",
        REGISTER_WRITE,
    ),
    r("GET", "/api/v1/registers/imports/{job}", REGISTER_WRITE),
    r(
        "GET",
        "/api/v1/registers/templates/{register}",
        REGISTER_WRITE,
    ),
    r("GET", "/api/v1/patrols", Needs(R::Patrol, List)),
    r("POST", "/api/v1/patrols", Needs(R::Patrol, Write)),
    r("GET", "/api/v1/patrols/{id}", Needs(R::Patrol, Read)),
    r("POST", "/api/v1/patrols/{id}/end", Needs(R::Patrol, Write)),
    r(
        "POST",
        "/api/v1/patrols/{id}/fixes",
        Needs(R::Patrol, Write),
    ),
    r(
        "POST",
        "/api/v1/patrols/{id}/notes",
        Needs(R::Patrol, Write),
    ),
    r(
        "POST",
        "/api/v1/patrols/{id}/notes/{note}/case",
        Needs(R::Patrol, Write),
    ),
    r("GET", "/api/v1/visits", Needs(R::Visit, List)),
    r("POST", "/api/v1/visits", Needs(R::Visit, Write)),
    r("GET", "/api/v1/visits/due", Needs(R::Visit, List)),
    r("GET", "/api/v1/visits/{id}", Needs(R::Visit, Read)),
    r("GET", "/api/v1/members", Needs(R::Participation, List)),
    r("POST", "/api/v1/members", Needs(R::Participation, Write)),
    r("GET", "/api/v1/members/me", Needs(R::Participation, Read)),
    r(
        "GET",
        "/api/v1/members/report",
        Needs(R::ParticipationDesk, Export),
    ),
    r(
        "POST",
        "/api/v1/members/{id}/decision",
        Needs(R::ParticipationDesk, Write),
    ),
    r("GET", "/api/v1/services", Needs(R::Participation, List)),
    r("POST", "/api/v1/services", Needs(R::Participation, Write)),
    r(
        "POST",
        "/api/v1/services/{id}/verification",
        Needs(R::ParticipationDesk, Write),
    ),
    r("GET", "/api/v1/wishes", Needs(R::Participation, List)),
    r("POST", "/api/v1/wishes", Needs(R::Participation, Write)),
    r("GET", "/api/v1/wishes/{id}", Needs(R::Participation, Read)),
    r(
        "POST",
        "/api/v1/wishes/{id}/actions",
        Needs(R::Participation, Write),
    ),
    r("GET", "/api/v1/shop/items", Needs(R::Participation, List)),
    r(
        "POST",
        "/api/v1/shop/items",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/api/v1/shop/items/{id}/stock",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/api/v1/shop/redemptions",
        Needs(R::Participation, Write),
    ),
    r(
        "GET",
        "/api/v1/points/statement",
        Needs(R::Participation, Read),
    ),
    r(
        "GET",
        "/api/v1/points/postings",
        Needs(R::ParticipationDesk, List),
    ),
    r(
        "POST",
        "/api/v1/points/postings/{id}/reversal",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "GET",
        "/api/v1/points/reconciliation",
        Needs(R::ParticipationDesk, Read),
    ),
    r("GET", "/api/v1/units", Needs(R::ParticipationDesk, List)),
    r("POST", "/api/v1/units", Needs(R::ParticipationDesk, Write)),
    r(
        "POST",
        "/api/v1/units/{id}/listings",
        Needs(R::ParticipationDesk, Write),
    ),
    r("GET", "/api/v1/opinions", Needs(R::Consultation, List)),
    r(
        "POST",
        "/api/v1/opinions/{id}/triage",
        Needs(R::ParticipationDesk, Write),
    ),
    r("GET", "/api/v1/surveys", Needs(R::Consultation, List)),
    r("POST", "/api/v1/surveys", Needs(R::Consultation, Write)),
    r("PUT", "/api/v1/surveys/{id}", Needs(R::Consultation, Write)),
    r(
        "POST",
        "/api/v1/surveys/{id}/close",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/api/v1/surveys/{id}/proxy-answers",
        Needs(R::Participation, Write),
    ),
    r(
        "GET",
        "/api/v1/surveys/{id}/results",
        Needs(R::Consultation, Read),
    ),
    r(
        "GET",
        "/api/v1/surveys/{id}/answers.xlsx",
        Needs(R::Consultation, Export),
    ),
    r("GET", "/api/v1/notices", Needs(R::Notice, List)),
    r("POST", "/api/v1/notices", Needs(R::Notice, Write)),
    r("POST", "/api/v1/notices/cap", Needs(R::Notice, Write)),
    r("GET", "/api/v1/geocode", Needs(R::Case, Write)),
    r("GET", "/api/v1/classify", Needs(R::Case, Write)),
    r("GET", "/api/v1/classifier", Needs(R::Category, Read)),
    r(
        "POST",
        "/api/v1/classifier/retrain",
        Needs(R::Category, Write),
    ),
    r("PUT", "/api/v1/geocode/roads", Needs(R::Region, Write)),
    r(
        "PUT",
        "/api/v1/residents/{id}/notice-consent",
        Needs(R::Resident, Write),
    ),
    // The gateway's callbacks: its key is checked inside.
    r("POST", "/api/v1/sms/receipts", Open),
    r("POST", "/api/v1/sms/replies", Open),
    r(
        "GET",
        "/api/v1/notices/{id}/progress",
        Needs(R::NoticeCall, List),
    ),
    r(
        "GET",
        "/api/v1/notices/{id}/calls",
        Needs(R::NoticeCall, List),
    ),
    r(
        "POST",
        "/api/v1/notice-calls/{id}",
        Needs(R::NoticeCall, Write),
    ),
    r("POST", "/api/v1/topics", Needs(R::Consultation, Write)),
    r("GET", "/api/v1/topics/{id}", Needs(R::Consultation, Read)),
    r(
        "POST",
        "/api/v1/topics/{id}/decision",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/api/v1/topics/{id}/meetings",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/api/v1/topics/{id}/resolutions",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/api/v1/meetings/{id}/votes",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/api/v1/suggestions/{id}/progress",
        Needs(R::Consultation, Write),
    ),
    r("GET", "/api/v1/regions", Needs(R::Region, List)),
    r("POST", "/api/v1/regions", Needs(R::Region, Write)),
    r("GET", "/api/v1/regions/export", Needs(R::Region, Export)),
    r("POST", "/api/v1/regions/import", Needs(R::Region, Write)),
    r("GET", "/api/v1/regions/{code}", Needs(R::Region, Read)),
    r("PATCH", "/api/v1/regions/{code}", Needs(R::Region, Write)),
    r(
        "GET",
        "/api/v1/regions/{code}/children",
        Needs(R::Region, List),
    ),
    r(
        "GET",
        "/api/v1/regions/{code}/coverage",
        Needs(R::Region, Read),
    ),
    r(
        "GET",
        "/api/v1/regions/{code}/history",
        Needs(R::Region, Read),
    ),
    r(
        "POST",
        "/api/v1/regions/{code}/retire",
        Needs(R::Region, Write),
    ),
    r(
        "POST",
        "/api/v1/regions/{code}/restore",
        Needs(R::Region, Write),
    ),
    r("GET", "/api/v1/locate", Needs(R::Region, Read)),
    r("GET", "/api/v1/webhooks", Needs(R::Webhook, List)),
    r("POST", "/api/v1/webhooks", Needs(R::Webhook, Write)),
    r("DELETE", "/api/v1/webhooks/{id}", Needs(R::Webhook, Write)),
    r(
        "GET",
        "/api/v1/webhooks/{id}/deliveries",
        Needs(R::Webhook, Read),
    ),
    r(
        "GET",
        "/api/v1/open311/clients",
        Needs(R::Open311Client, List),
    ),
    r(
        "POST",
        "/api/v1/open311/clients",
        Needs(R::Open311Client, Write),
    ),
    r(
        "DELETE",
        "/api/v1/open311/clients/{id}",
        Needs(R::Open311Client, Write),
    ),
    // Residents, without an account.
    r("POST", "/api/v1/public/cases/{tracking}/rating", Open),
    r("POST", "/api/v1/public/grids/{code}/ratings", Open),
    r("POST", "/api/v1/public/grids/{code}/ratings/codes", Open),
    r("GET", "/api/v1/public/classify", Open),
    r("POST", "/api/v1/public/opinions", Open),
    r("GET", "/api/v1/public/opinions/{code}", Open),
    r("GET", "/api/v1/public/surveys/{id}", Open),
    r("POST", "/api/v1/public/surveys/{id}/answers", Open),
    r("POST", "/api/v1/public/surveys/{id}/codes", Open),
    r("GET", "/api/v1/public/topics", Open),
    r("POST", "/api/v1/public/topics", Open),
    r("GET", "/api/v1/public/topics/tracking/{code}", Open),
    r("GET", "/api/v1/public/topics/{id}", Open),
    r("POST", "/api/v1/public/topics/{id}/followers", Open),
    r("POST", "/api/v1/public/wishes", Open),
    r("GET", "/api/v1/public/wishes/{code}", Open),
    r("POST", "/api/v1/public/wishes/{code}/actions", Open),
    // Open311 GeoReport v2: each client's api_key is checked by the operation.
    r("GET", "/open311/v2/{file}", Open),
    r("POST", "/open311/v2/{file}", Open),
    r("GET", "/open311/v2/services/{file}", Open),
    r("GET", "/open311/v2/requests/{file}", Open),
    r("GET", "/open311/v2/tokens/{file}", Open),
    // Operations and static files.
    r("GET", "/healthz", Open),
    r("GET", "/metrics", Open),
    r("GET", "/assets/{name}", Open),
    r("GET", "/favicon.ico", Open),
    r("GET", "/manifest.webmanifest", Open),
    r("GET", "/sw.js", Open),
    r("GET", "/icons/{name}", Open),
    r("GET", "/mode", Open),
    // Pages: signing in.
    r("GET", "/", Signed),
    r("GET", "/login", Open),
    r("POST", "/login", Open),
    r("POST", "/logout", Signed),
    // Pages residents reach by QR code.
    r("GET", "/r/{code}", Open),
    r("POST", "/r/{code}", Open),
    r("POST", "/r/{code}/support", Open),
    r("GET", "/r/{code}/rate", Open),
    r("POST", "/r/{code}/rate", Open),
    r("POST", "/r/{code}/rate/code", Open),
    r("GET", "/t", Open),
    r("POST", "/t/code", Open),
    r("POST", "/t/mine", Open),
    r("GET", "/r/{code}/notices", Open),
    r("POST", "/r/{code}/notices", Open),
    r("GET", "/n/{code}", Open),
    r("POST", "/n/{code}/stop", Open),
    r("GET", "/t/{tracking}", Open),
    r("GET", "/t/{tracking}/photos/{id}", Open),
    r("GET", "/t/{tracking}/photos/{id}/thumb", Open),
    r("POST", "/t/{tracking}/rate", Open),
    r("GET", "/o/{community}", Open),
    r("POST", "/o/{community}", Open),
    r("GET", "/ot/{code}", Open),
    r("GET", "/s/{id}", Open),
    r("POST", "/s/{id}", Open),
    r("POST", "/s/{id}/code", Open),
    r("GET", "/p/{node}", Open),
    r("POST", "/p/{node}", Open),
    r("GET", "/pt/{id}", Open),
    r("POST", "/pt/{id}", Open),
    r("GET", "/w/{node}", Open),
    r("POST", "/w/{node}", Open),
    r("GET", "/wt/{code}", Open),
    r("POST", "/wt/{code}/answer", Open),
    // Staff pages.
    r("GET", "/admin/policy", Needs(R::Duty, Read)),
    r("POST", "/admin/policy/duties", Needs(R::Duty, Write)),
    r("POST", "/admin/policy/roles", Needs(R::Grant, Write)),
    r("GET", "/admin/calendar", Needs(R::Calendar, Read)),
    r("POST", "/admin/calendar/set", Needs(R::Calendar, Write)),
    r("POST", "/admin/calendar/remove", Needs(R::Calendar, Write)),
    r("GET", "/admin/open311", Needs(R::Open311Client, List)),
    r("POST", "/admin/open311", Needs(R::Open311Client, Write)),
    r(
        "POST",
        "/admin/open311/revoke",
        Needs(R::Open311Client, Write),
    ),
    r("GET", "/admin/audit", Needs(R::Audit, List)),
    r("GET", "/assessment", Needs(R::Assessment, Read)),
    r(
        "POST",
        "/assessment/workers/{account}",
        Needs(R::Assessment, Write),
    ),
    r("POST", "/assessment/weights", Needs(R::Setting, Write)),
    r("GET", "/cases", Needs(R::Case, List)),
    r("GET", "/todo", Needs(R::Case, List)),
    r("GET", "/app", Needs(R::Patrol, Write)),
    r("GET", "/app/pack", Needs(R::Patrol, Write)),
    r("POST", "/app/send", Needs(R::Patrol, Write)),
    r("POST", "/cases/{id}/category", Needs(R::Case, Write)),
    r("GET", "/cases/events", Needs(R::Case, List)),
    r("GET", "/cases/new", Needs(R::Case, Write)),
    r("POST", "/cases/new", Needs(R::Case, Write)),
    r("GET", "/cases/new/suggest", Needs(R::Case, Write)),
    r("GET", "/cases/import", Needs(R::Hotline, Write)),
    r("POST", "/cases/import", Needs(R::Hotline, Write)),
    r(
        "POST",
        "/cases/import/pending/{id}",
        Needs(R::Hotline, Write),
    ),
    r(
        "GET",
        "/cases/import/pending/{id}/map",
        Needs(R::Hotline, Write),
    ),
    r("GET", "/cases/{id}", Needs(R::Case, Read)),
    r("POST", "/cases/{id}/act", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/summon", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/report-in", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/request", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/decide", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/resume", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/dispute", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/dispute/session", Needs(R::Case, Write)),
    r("POST", "/cases/{id}/dispute/outcome", Needs(R::Case, Write)),
    r(
        "POST",
        "/cases/{id}/dispute/follow-up",
        Needs(R::Case, Write),
    ),
    r(
        "POST",
        "/cases/{id}/reporter-phone",
        Needs(R::ReporterContact, Reveal),
    ),
    r("POST", "/cases/{id}/photos", Needs(R::Photo, Write)),
    r("GET", "/cases/{id}/photos/{photo}", Needs(R::Photo, Read)),
    r("GET", "/cases/{id}/voices/{voice}", Needs(R::Photo, Read)),
    r(
        "GET",
        "/cases/{id}/photos/{photo}/thumb",
        Needs(R::Photo, Read),
    ),
    r("GET", "/dashboard", Needs(R::Figures, Read)),
    r("GET", "/dashboard/report", Needs(R::Figures, Export)),
    r("GET", "/regions", Needs(R::Region, List)),
    r("GET", "/regions/{code}/boundaries", Needs(R::Region, Write)),
    r(
        "POST",
        "/regions/{code}/boundaries",
        Needs(R::Region, Write),
    ),
    r(
        "GET",
        "/regions/{code}/boundaries/export",
        Needs(R::Region, Export),
    ),
    r("GET", "/regions/{code}", Needs(R::Region, Read)),
    r("POST", "/regions/{code}/children", Needs(R::Region, Write)),
    r("POST", "/regions/{code}/rename", Needs(R::Region, Write)),
    r("POST", "/regions/{code}/retire", Needs(R::Region, Write)),
    r("POST", "/regions/{code}/restore", Needs(R::Region, Write)),
    r("GET", "/regions/{code}/poster", Needs(R::Region, Read)),
    r("GET", "/regions/{code}/qr.svg", Needs(R::Region, Read)),
    r("GET", "/regions/{code}/qr.png", Needs(R::Region, Read)),
    r("GET", "/registers", Needs(R::GridFacts, List)),
    r("GET", "/registers/{code}", Needs(R::GridFacts, Read)),
    r(
        "POST",
        "/registers/{code}/facts",
        Needs(R::GridFacts, Write),
    ),
    r("POST", "/registers/{code}/staff", Needs(R::Staff, Write)),
    r("POST", "/registers/{code}/places", Needs(R::Place, Write)),
    r(
        "POST",
        "/registers/{code}/households",
        Needs(R::Resident, Write),
    ),
    r(
        "GET",
        "/registers/{code}/households/new",
        Needs(R::Resident, Write),
    ),
    r("POST", "/registers/{code}/import", REGISTER_WRITE),
    r(
        "GET",
        "/registers/{code}/export/{register}",
        REGISTER_EXPORT,
    ),
    r(
        "GET",
        "/registers/{code}/template/{register}",
        REGISTER_WRITE,
    ),
    r("GET", "/registers/imports/{job}", REGISTER_WRITE),
    r("POST", "/registers/imports/{job}/confirm", REGISTER_WRITE),
    r("GET", "/people", Needs(R::Resident, List)),
    r("GET", "/residents/{id}", Needs(R::Resident, Read)),
    r("POST", "/residents/{id}", Needs(R::Resident, Write)),
    r(
        "POST",
        "/residents/{id}/reveal/{field}",
        Needs(R::PersonalNumbers, Reveal),
    ),
    r("POST", "/residents/{id}/members", Needs(R::Resident, Write)),
    r("POST", "/residents/{id}/move", Needs(R::Resident, Write)),
    r("POST", "/residents/{id}/visits", Needs(R::Visit, Write)),
    r("GET", "/places/{id}", Needs(R::Place, Read)),
    r("POST", "/places/{id}", Needs(R::Place, Write)),
    r("POST", "/places/{id}/visits", Needs(R::Visit, Write)),
    r("GET", "/visits/due", Needs(R::Visit, List)),
    r("GET", "/patrol", Needs(R::Patrol, List)),
    r("POST", "/patrol", Needs(R::Patrol, Write)),
    r("GET", "/patrols", Needs(R::Patrol, List)),
    r("GET", "/patrols/{id}", Needs(R::Patrol, Read)),
    r("POST", "/patrols/{id}/fixes", Needs(R::Patrol, Write)),
    r("POST", "/patrols/{id}/notes", Needs(R::Patrol, Write)),
    r(
        "POST",
        "/patrols/{id}/notes/{note}/case",
        Needs(R::Patrol, Write),
    ),
    r("POST", "/patrols/{id}/end", Needs(R::Patrol, Write)),
    r("GET", "/me", Needs(R::Participation, Read)),
    r("POST", "/me/register", Needs(R::Participation, Write)),
    r("POST", "/me/services", Needs(R::Participation, Write)),
    r("POST", "/me/wishes/{id}", Needs(R::Participation, Write)),
    r(
        "POST",
        "/me/wishes/{id}/complete",
        Needs(R::Participation, Write),
    ),
    r("POST", "/me/redeem", Needs(R::Participation, Write)),
    r("GET", "/participation", Needs(R::Participation, List)),
    r(
        "POST",
        "/participation/wishes/{id}",
        Needs(R::Participation, Write),
    ),
    r(
        "GET",
        "/participation/wishes/{id}/photo",
        Needs(R::Participation, Read),
    ),
    r(
        "POST",
        "/participation/members/{id}",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/services/{id}",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/items",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/items/{id}/stock",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/redemptions",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/postings/{id}/reversal",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "GET",
        "/participation/report.xlsx",
        Needs(R::ParticipationDesk, Export),
    ),
    r(
        "POST",
        "/participation/opinions/{id}",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/units",
        Needs(R::ParticipationDesk, Write),
    ),
    r(
        "POST",
        "/participation/units/{id}/listings",
        Needs(R::ParticipationDesk, Write),
    ),
    r("GET", "/surveys", Needs(R::Consultation, List)),
    r("POST", "/surveys", Needs(R::Consultation, Write)),
    r("GET", "/surveys/{id}", Needs(R::Consultation, Read)),
    r(
        "POST",
        "/surveys/{id}/questions",
        Needs(R::Consultation, Write),
    ),
    r("POST", "/surveys/{id}/close", Needs(R::Consultation, Write)),
    r(
        "POST",
        "/surveys/{id}/proxy",
        Needs(R::Participation, Write),
    ),
    r(
        "GET",
        "/surveys/{id}/answers.xlsx",
        Needs(R::Consultation, Export),
    ),
    r("GET", "/notices", Needs(R::Notice, List)),
    r("POST", "/notices", Needs(R::Notice, Write)),
    r("GET", "/notices/{id}", Needs(R::NoticeCall, List)),
    r("GET", "/notices/{id}/calls", Needs(R::NoticeCall, List)),
    r("POST", "/notices/{id}/files", Needs(R::Notice, Write)),
    r("GET", "/notice-files/{id}", Open),
    r(
        "POST",
        "/notice-calls/{id}/phones",
        Needs(R::NoticeCall, Write),
    ),
    r(
        "POST",
        "/residents/{id}/notice-consent",
        Needs(R::Resident, Write),
    ),
    r("POST", "/notice-calls/{id}", Needs(R::NoticeCall, Write)),
    r("GET", "/topics", Needs(R::Consultation, List)),
    r("GET", "/topics/{id}", Needs(R::Consultation, Read)),
    r(
        "POST",
        "/topics/{id}/decision",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/topics/{id}/meetings",
        Needs(R::Consultation, Write),
    ),
    r("POST", "/topics/{id}/votes", Needs(R::Consultation, Write)),
    r(
        "POST",
        "/topics/{id}/resolutions",
        Needs(R::Consultation, Write),
    ),
    r(
        "POST",
        "/topics/{id}/progress",
        Needs(R::Consultation, Write),
    ),
];

static BY_ROUTE: LazyLock<HashMap<(&'static str, &'static str), Guard>> = LazyLock::new(|| {
    ROUTES
        .iter()
        .map(|r| ((r.method, r.path), r.guard))
        .collect()
});

/// The guard of a route, if it has one.
pub fn guard_of(method: &Method, path: &str) -> Option<Guard> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    BY_ROUTE.get(&(method, path)).copied()
}

/// A matched route as the table writes it: without the base path a nested router adds.
pub(crate) fn unprefixed<'a>(state: &WebState, route: &'a str) -> &'a str {
    route
        .strip_prefix(state.settings().base_path.as_str())
        .filter(|r| r.starts_with('/'))
        .unwrap_or(route)
}

/// Where a route answers: the JSON API (bearer tokens, the JSON error shape) or the pages
/// (session cookies, a plain message).
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

/// Middleware: asks the route's guard before the handler runs, and leaves the authenticated
/// caller on the request for the handler's extractor.
pub async fn guard(State(state): State<WebState>, mut req: Request, next: Next) -> Response {
    let Some(route) = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| unprefixed(&state, p.as_str()).to_owned())
    else {
        // Unmatched: the fallback answers 404.
        return next.run(req).await;
    };
    let api = is_api(&route);
    let refuse = |e: AppError| -> Response {
        if api {
            ApiError(e).into_response()
        } else {
            PageError::App(e).into_response()
        }
    };
    let Some(guard) = guard_of(req.method(), &route) else {
        if ROUTES.iter().any(|r| r.path == route) {
            // A method the route does not take: the router answers 405.
            return next.run(req).await;
        }
        tracing::error!(%route, method = %req.method(), "route has no entry in the access table");
        return refuse(AppError::NotPermitted(
            "此功能尚未登记访问权限，已拒绝".into(),
        ));
    };
    if guard == Guard::Open {
        return next.run(req).await;
    }
    let caller = if api {
        match bearer(req.headers()) {
            Some(token) => accounts::by_token(&state, token).await,
            None => Ok(None),
        }
    } else {
        match CookieJar::from_headers(req.headers()).get(SESSION_COOKIE) {
            Some(c) => accounts::by_session(&state, c.value()).await,
            None => Ok(None),
        }
    };
    let p = match caller {
        Ok(Some(p)) => p,
        Ok(None) if api => {
            return refuse(AppError::Unauthorized(
                "需要登录：请在 Authorization 头中提供有效的 Bearer 令牌".into(),
            ));
        }
        Ok(None) => {
            let next = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            return PageError::Login(next).into_response();
        }
        Err(e) => return refuse(e),
    };
    if !guard.admits(p.actor.role) {
        let (resource, verb) = guard.resource().unwrap_or((R::Case, Read));
        if resource.personal()
            && let Err(e) =
                record_refusal(&state, &p, req.method(), req.uri().path(), resource).await
        {
            return refuse(e);
        }
        return refuse(policy::refusal(p.actor.role, resource, verb));
    }
    req.extensions_mut().insert(Caller(p));
    next.run(req).await
}

/// Records that personal data was asked for and refused.
async fn record_refusal(
    state: &WebState,
    p: &Principal,
    method: &Method,
    path: &str,
    resource: Resource,
) -> Result<(), AppError> {
    audit::record_alone(
        state,
        p,
        "access.refused",
        format!("route:{method} {path}"),
        p.account.node_code.as_deref(),
        serde_json::json!({"resource": resource, "role": p.actor.role}),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_route_is_listed_twice() {
        assert_eq!(BY_ROUTE.len(), ROUTES.len());
    }
}
