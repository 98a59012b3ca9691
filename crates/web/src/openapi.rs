//! The OpenAPI 3.1 description of `/api/v1/`, served at `/api/v1/openapi.json`. Written by hand
//! beside the documents in [`crate::api`]; a test holds every route to it.

use serde_json::{Value, json};

fn parameter(name: &str, description: &str, example: &str) -> Value {
    json!({
        "name": name, "in": "path", "required": true,
        "description": description,
        "schema": { "type": "string" }, "example": example,
    })
}

fn lang() -> Value {
    json!({
        "name": "lang", "in": "query", "required": false,
        "description": "Language of the election's title: `en` (the default) or `es`.",
        "schema": { "type": "string", "enum": ["en", "es"] },
    })
}

fn ok(schema: &str, description: &str) -> Value {
    json!({
        "description": description,
        "headers": {
            "ETag": { "schema": { "type": "string" } },
            "Cache-Control": { "schema": { "type": "string" }, "example": "public, max-age=30" },
        },
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } },
    })
}

fn error(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } },
    })
}

fn object(description: &str, properties: &[(&str, &str)]) -> Value {
    let properties: serde_json::Map<String, Value> = properties
        .iter()
        .map(|(name, text)| ((*name).to_owned(), json!({ "description": text })))
        .collect();
    json!({ "type": "object", "description": description, "properties": properties })
}

/// The OpenAPI document.
#[must_use]
pub fn document() -> Value {
    let level = parameter(
        "level",
        "`national`, or a level of the election's geography (`state`, `municipality`, `parish`, `centre`).",
        "state",
    );
    let code = parameter(
        "code",
        "An area's code: the leading digits of its centres' codes (`13`, `1306`).",
        "13",
    );
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "veedor API",
            "version": "1",
            "description": "What an election's polling-station tally sheets (actas) add up to, at every level, with their coverage; where a voter votes; every acta copy with its provenance and scan. Every page of the site has its twin here. Documents carry a `schema` field (`veedor.tally/1`, ...); within a version, fields are only added.",
            "license": { "name": "AGPL-3.0-or-later" },
        },
        "paths": {
            "/api/v1/tally/{level}": { "get": {
                "summary": "Every area of a level, as `veedor tally --format json --level LEVEL`.",
                "parameters": [level, lang()],
                "responses": { "200": ok("TallyDocument", "The tally."), "400": error("Unknown level.") },
            }},
            "/api/v1/tally/{level}/{code}": { "get": {
                "summary": "One area, as `veedor tally --format json --level LEVEL --code CODE`.",
                "parameters": [level, code, lang()],
                "responses": { "200": ok("TallyDocument", "The tally."), "400": error("Malformed code."), "404": error("No table in that area.") },
            }},
            "/api/v1/area/national": { "get": {
                "summary": "The nation with its first-level areas: the twin of the home page.",
                "parameters": [lang()],
                "responses": { "200": ok("AreaDocument", "The area.") },
            }},
            "/api/v1/area/{level}/{code}": { "get": {
                "summary": "One area with the areas below it (and, for a centre, its tables): the twin of the area's page.",
                "parameters": [level, code, lang()],
                "responses": { "200": ok("AreaDocument", "The area."), "400": error("Unknown level or malformed code."), "404": error("No table in that area.") },
            }},
            "/api/v1/table/{id}": { "get": {
                "summary": "One table with all its acta copies.",
                "parameters": [parameter("id", "`<centre code>.<table number>`.", "201301006.01"), lang()],
                "responses": { "200": ok("TableDocument", "The table."), "400": error("Malformed id."), "404": error("No such table.") },
            }},
            "/api/v1/acta/{id}": { "get": {
                "summary": "One acta copy: its numbers, findings, provenance and scan.",
                "parameters": [parameter("id", "The copy's id.", "1"), lang()],
                "responses": { "200": ok("ActaDocument", "The copy."), "404": error("No such copy.") },
            }},
            "/api/v1/lookup/{voter_id}": { "get": {
                "summary": "Where a voter votes and what that table's acta says, as `veedor lookup --format json`. Limited per client (HTTP 429 with Retry-After); never cached.",
                "parameters": [parameter("voter_id", "The voter's ID number (`12345678`, `V-12.345.678`).", "12345678"), lang()],
                "responses": {
                    "200": ok("LookupDocument", "The voter's table."),
                    "404": ok("LookupDocument", "Not in the registry (`found: false`)."),
                    "400": error("Not an ID number."),
                    "429": error("Too many lookups from this client; see Retry-After."),
                    "503": error("No voter registry is loaded."),
                },
            }},
            "/api/v1/openapi.json": { "get": {
                "summary": "This document.",
                "responses": { "200": { "description": "OpenAPI 3.1." } },
            }},
        },
        "components": { "schemas": {
            "TallyDocument": object("`veedor.tally/1`: the areas of one level, or one area.", &[
                ("schema", "`veedor.tally/1`"), ("election", "id, title, date"), ("level", "the level asked for"),
                ("areas", "AreaTally per area: area, candidates (id, name, votes, percent), valid_votes, null_votes, coverage (tables_expected, tables_counted, tables_percent, registered_expected, registered_counted, registered_percent, tables_known), tables_by_status, official (the nation only: the comparison with each official bulletin)"),
            ]),
            "AreaDocument": object("`veedor.area/1`: one area and what lies below it.", &[
                ("schema", "`veedor.area/1`"), ("election", "id, title, date"), ("area", "its AreaTally"),
                ("parents", "the areas that hold it, widest first"), ("children_level", "the level below, or null"),
                ("children", "AreaTally of each area below"), ("tables", "for a centre: TableView of each table"),
            ]),
            "TableDocument": object("`veedor.table/1`: one table.", &[
                ("schema", "`veedor.table/1`"), ("election", "id, title, date"),
                ("table", "TableView: id, centre_code, number, registered, listed, status (accepted, corroborated, decided, conflict, awaiting_person, missing), counted, areas, result, evidence, contested_votes, copies, decision (for copies that disagree, the latest coordinator's decision: keep_file_sha256, keep_location, kept_copies, overruled, coordinator, reason, decided_at, log_index, in_force; or null)"),
            ]),
            "ActaDocument": object("`veedor.acta/1`: one acta copy.", &[
                ("schema", "`veedor.acta/1`"), ("election", "id, title, date"), ("table", "the table id"),
                ("table_status", "the table's status from all its copies"), ("areas", "the table's areas"),
                ("copy", "CopyView: id, counts_kind, counts, candidate_votes, null_votes, findings, provenance (source, file_name, file_sha256, location_kind, location, received_at, device, volunteer)"),
                ("cards", "counts per ballot card (cell, party, candidate, votes)"),
                ("scan", "sha256, url, small_url of the scan, or null"),
            ]),
            "LookupDocument": object("`veedor.lookup/1`: where a voter votes.", &[
                ("schema", "`veedor.lookup/1`"), ("election", "id, title, date"), ("voter_id", "the number"),
                ("found", "whether the voter is in the registry"), ("table", "TableView, or null"),
            ]),
            "Error": object("An error.", &[
                ("error", "reference (stable: not_found, invalid_input, invalid_voter_id, rate_limited, no_registry, unavailable, internal), message, retry_after_seconds"),
            ]),
        }},
    })
}
