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

/// A write of the volunteers' desk: it needs the session cookie and the `X-CSRF-Token` header.
fn desk_write(summary: &str, body: &[(&str, &str)], answers: &[(&str, &str)]) -> Value {
    let mut responses = serde_json::Map::new();
    for (status, description) in answers {
        responses.insert((*status).to_owned(), json!({ "description": description }));
    }
    responses.insert("401".to_owned(), error("No live session."));
    responses.insert(
        "403".to_owned(),
        error("Another role's action, or no CSRF token (`reference`: `forbidden`, `csrf`)."),
    );
    responses.insert(
        "429".to_owned(),
        error("Too many actions or attempts; see Retry-After."),
    );
    let mut operation = json!({
        "summary": summary,
        "security": [{ "session": [] }],
        "parameters": [{
            "name": "X-CSRF-Token", "in": "header", "required": true,
            "description": "The session's CSRF token, as signing in returned it.",
            "schema": { "type": "string" },
        }],
        "responses": responses,
    });
    if !body.is_empty() {
        operation["requestBody"] = json!({
            "required": true,
            "content": { "application/json": { "schema": object("The request.", body) } },
        });
    }
    operation
}

/// A read of the volunteers' desk: it needs the session cookie.
fn desk_read(summary: &str, what: &str) -> Value {
    json!({
        "summary": summary,
        "security": [{ "session": [] }],
        "responses": {
            "200": { "description": what },
            "401": error("No live session."),
            "403": error("Another role's page."),
        },
    })
}

/// The volunteers' routes, present when the server runs with `--volunteers` (docs/volunteers.md).
fn desk_paths() -> Value {
    let task = parameter(
        "id",
        "The task's number: the page's place in the queue.",
        "1",
    );
    let pseudonym = parameter("pseudonym", "A volunteer's pseudonym.", "owl-7");
    json!({
        "/api/v1/volunteer/session": {
            "post": {
                "summary": "Sign in. Sets the HttpOnly, SameSite=Strict session cookie and returns the CSRF token every write must carry. Limited per client, per account and for the whole server.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": object("Credentials.", &[("pseudonym", "the pseudonym"), ("passphrase", "the passphrase")]) } } },
                "responses": {
                    "200": { "description": "Signed in: pseudonym, role, csrf_token." },
                    "409": error("Wrong pseudonym or passphrase (the same answer for either), or a suspended account."),
                    "429": error("Too many attempts; see Retry-After."),
                },
            },
            "delete": desk_write("Sign out: the session ends.", &[], &[("200", "Signed out.")]),
        },
        "/api/v1/volunteer/activate": { "post": {
            "summary": "Choose a passphrase (12 characters or more) with the one-time sign-in code a coordinator gave; the code is spent. Limited like signing in.",
            "requestBody": { "required": true, "content": { "application/json": { "schema": object("The code and the new passphrase.", &[("pseudonym", "the pseudonym"), ("code", "the one-time code"), ("passphrase", "the new passphrase")]) } } },
            "responses": { "200": { "description": "Set." }, "409": error("The code is not valid for that pseudonym."), "400": error("A passphrase too short."), "429": error("Too many attempts.") },
        }},
        "/api/v1/volunteer/tasks": { "get": desk_read(
            "Pages waiting for people, the least covered areas first (typists, coordinators, observers). A typist sees no one else's entry, nor who claimed a page.",
            "tasks: id, file_name, page, reason, phase (open, disputed, settled), entries, claimed, claimed_by_you, offered_to_you, area, area_table_coverage_percent.",
        )},
        "/api/v1/volunteer/tasks/next": { "post": desk_write("Claim the page most in need that this typist may take.", &[], &[("200", "claimed: the task's id, or null when none is offered.")]) },
        "/api/v1/volunteer/tasks/{id}": { "get": {
            "summary": "One task: for its typist, the entry form's fields (from the election's ballot); for a coordinator, every live entry side by side.",
            "security": [{ "session": [] }],
            "parameters": [task.clone()],
            "responses": { "200": { "description": "The task." }, "401": error("No live session."), "403": error("An uploader."), "404": error("No such task.") },
        }},
        "/api/v1/volunteer/tasks/{id}/claim": { "post": desk_write("Claim this page for 15 minutes (a typist).", &[], &[("200", "claimed_until."), ("409", "Refused by the entry rules: claimed by another, entered already, settled.")]) },
        "/api/v1/volunteer/tasks/{id}/entry": { "post": desk_write(
            "Enter what the page says (the typist holding the claim). Errors found by validation refuse it with 422 unless `confirm` is true.",
            &[("table", "`centre.number`"), ("counts", "one number per ballot card (or candidate), in the ballot's order"), ("null_votes", "optional"), ("stated_valid_votes", "optional"), ("stated_registered", "optional"), ("declared_counts", "optional: the sheet's declared counts by id, {\"blank\": 4}"), ("confirm", "true: the sheet says so, errors and all")],
            &[("200", "entered, findings, settled."), ("400", "Malformed entry."), ("409", "Refused by the entry rules."), ("422", "Validation errors, not confirmed: findings.")],
        )},
        "/api/v1/volunteer/tasks/{id}/resolve": { "post": desk_write(
            "A coordinator's decision on a page whose typists disagree, always with a reason (on the audit log).",
            &[("decision", "keep, return or discard"), ("typist", "whose entry (keep, return)"), ("reason", "1 to 500 characters")],
            &[("200", "settled."), ("400", "No reason, or an unknown decision."), ("409", "Refused by the entry rules.")],
        )},
        "/api/v1/volunteer/users": {
            "get": desk_read("Every account with its role, state and agreement rate (coordinators).", "volunteers: pseudonym, role, created_at, active, suspended_at, entries_on_settled_pages, entries_agreed."),
            "post": desk_write("Add a volunteer (coordinators): the one-time sign-in code is returned once.", &[("pseudonym", "1 to 40 letters, digits, `-` or `_`; never a real name"), ("role", "coordinator, typist, uploader or observer")], &[("201", "pseudonym, role, signin_code."), ("409", "The pseudonym is taken.")]),
        },
        "/api/v1/volunteer/users/{pseudonym}/suspend": { "post": {
            "parameters": [pseudonym],
            "summary": "Suspend a volunteer (coordinators): their sessions end; their entries no one confirmed stop counting.",
            "security": [{ "session": [] }],
            "requestBody": { "required": true, "content": { "application/json": { "schema": object("Why.", &[("reason", "1 to 500 characters")]) } } },
            "responses": { "200": { "description": "suspended." }, "401": error("No live session."), "403": error("Not a coordinator, or no CSRF token.") },
        }},
        "/api/v1/volunteer/audit": { "get": {
            "summary": "Every action, newest first (coordinators); `actor` and `action` (a prefix) filter it.",
            "security": [{ "session": [] }],
            "parameters": [
                { "name": "actor", "in": "query", "required": false, "schema": { "type": "string" } },
                { "name": "action", "in": "query", "required": false, "schema": { "type": "string" } },
            ],
            "responses": { "200": { "description": "events: at, actor, action, object, detail." }, "401": error("No live session."), "403": error("Not a coordinator.") },
        }},
        "/api/v1/volunteer/conflicts": { "get": desk_read(
            "Every table whose copies disagree, decided or not (coordinators, observers): its copies side by side (id, name to keep it by, source, file, place, votes, scan) and the decision in force.",
            "tables: table, status, copies, decision.",
        )},
        "/api/v1/volunteer/conflicts/{table}/decide": { "post": desk_write(
            "A coordinator keeps one copy of a table in conflict, with a reason: a new record in the transparency log and on the table's public page; no copy is changed.",
            &[("keep", "the copy, as the list names it (`<sha256>:page N`, or `#ID`)"), ("reason", "1 to 500 characters, published")],
            &[("200", "table, keep, reason."), ("409", "Refused: no conflict, not a copy of that table, a copy with errors.")],
        )},
        "/api/v1/volunteer/upload": { "post": {
            "summary": "Send photos or scans of actas (uploaders), as multipart/form-data: `file` (repeated), an optional `table`. Each goes through the same intake as `veedor ingest`; the answer says what became of each.",
            "security": [{ "session": [] }],
            "requestBody": { "required": true, "content": { "multipart/form-data": { "schema": object("The files.", &[("file", "JPEG, PNG, TIFF or PDF; repeated"), ("table", "optional: centre.number"), ("csrf", "the CSRF token (or the header)")]) } } },
            "responses": {
                "200": { "description": "files: file, sha256, outcome (counted, waiting_for_people, partly_waiting, already_received, refused), refused, tables, waiting_pages, findings, table_given_differs; quota: sent, allowed." },
                "401": error("No live session."), "403": error("Not an uploader, or no CSRF token."), "413": error("Larger than the upload limit."),
            },
        }},
    })
}

/// The OpenAPI document, with the volunteers' routes when `desk` (they exist only then).
#[must_use]
pub fn document_with(desk: bool) -> Value {
    let mut document = document();
    if desk
        && let (Some(paths), Value::Object(more)) =
            (document["paths"].as_object_mut(), desk_paths())
    {
        paths.extend(more);
        document["components"]["securitySchemes"] = json!({
            "session": { "type": "apiKey", "in": "cookie", "name": "veedor_session",
                         "description": "`__Host-veedor_session` when the server marks it Secure." },
        });
    }
    document
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
                ("copy", "CopyView: id, counts_kind, counts, candidate_votes, null_votes, declared_counts (the sheet's declared counts the source gives: id, value; absent when none), seal (a sealed sheet's verdict: verified:<key>, broken:<finding>, unchecked:<finding>; absent when unsealed), findings, provenance (source, file_name, file_sha256, location_kind, location, received_at, device, volunteer)"),
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
