//! Integration tests: the real server, real databases, a real browser. One test binary keeps
//! linking cheap on small machines.

mod access;
mod api_assessment;
mod api_auth;
mod api_cases;
mod api_dashboard;
mod api_deadlines;
mod api_disputes;
mod api_hotline;
mod api_notify;
mod api_participation;
mod api_patrols;
mod api_regions;
mod api_search;
mod api_surveys;
mod api_topics;
mod api_visits;
mod audit;
mod browser;
mod cli;
mod common;
mod edge;
mod open311;
mod outage;
mod pages;
mod pages_admin;
mod pages_cases;
mod pages_public;
mod pages_registers;
mod photos;
mod proxy;
mod registers;
mod reports;
mod satisfaction;
mod tallies;
mod vocabulary;
