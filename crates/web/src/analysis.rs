//! The analysis document (`veedor.analysis/1`, docs/analysis.md) and the sentences that say
//! what `veedor_analysis` found, in each language: what the command line prints as JSON, the
//! API serves and the analysis pages read from.

use serde_json::{Value, json};
use veedor_analysis::{
    Analysis, AreaAnalysis, Bound, CandidateTests, DigitTest, Expected, Figure, FigureCheck,
    Fingerprint, OfficialCheck, Options, Projection, Verdict,
};
use veedor_core::{AreaCode, Election, Results};

use crate::api::{AreaRef, ElectionRef, round};
use crate::i18n::Lang;

/// What every forensic result says.
#[must_use]
pub const fn caveat(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => "una desviación es una anomalía que mirar de cerca, no una prueba de fraude",
        Lang::En => "a deviation is an anomaly to look into, not evidence of fraud",
    }
}

/// What the projection assumes.
#[must_use]
pub const fn assumption(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => {
            "las mesas que faltan de cada estrato votan como las contadas del mismo estrato"
        }
        Lang::En => "the missing tables of each stratum vote like its counted ones",
    }
}

/// Where the projection's method comes from.
#[must_use]
pub const fn method(lang: Lang) -> &'static str {
    match lang {
        Lang::Es => {
            "estimador de razón postestratificado (NDI, The Quick Count and Election Observation, 2002, cap. 7; estimador de razón combinado del conteo rápido del INE), intervalo de percentiles del 95 % de un bootstrap estratificado por mesas; docs/analysis.md"
        }
        Lang::En => {
            "post-stratified ratio estimator (NDI, The Quick Count and Election Observation, 2002, ch. 7; INE's quick-count combined ratio estimator), 95% percentile interval of a stratified bootstrap over tables; docs/analysis.md"
        }
    }
}

/// A candidate's name (`nobody` when there is none).
#[must_use]
pub fn name(election: &Election, candidate: Option<usize>, lang: Lang) -> String {
    candidate
        .and_then(|c| election.candidates.get(c))
        .map_or_else(
            || match lang {
                Lang::Es => "nadie".to_owned(),
                Lang::En => "nobody".to_owned(),
            },
            |c| c.name.clone(),
        )
}

fn id(election: &Election, candidate: Option<usize>) -> Value {
    candidate
        .and_then(|c| election.candidates.get(c))
        .map_or(Value::Null, |c| json!(c.id))
}

fn percent(fraction: f64) -> f64 {
    round(fraction * 100.0)
}

/// The plain sentence: can the missing tables change the winner?
#[must_use]
pub fn bound_sentence(election: &Election, bound: &Bound, lang: Lang) -> String {
    let n = |value: u64| lang.int(value);
    if bound.leader.is_none() {
        return match lang {
            Lang::Es => "Aún no se cuenta ningún acta aquí: no hay quien encabece.".to_owned(),
            Lang::En => "No acta is counted here yet: there is no leader to speak of.".to_owned(),
        };
    }
    let margin = n(bound.margin);
    let runner_up = name(election, bound.runner_up, lang);
    match (bound.verdict, bound.registered_without_acta, lang) {
        (Verdict::CannotChange, Some(voters), Lang::Es) => format!(
            "La ventaja de {margin} votos del primero supera a los {} electores inscritos en las mesas sin acta aceptada: ningún resultado de las mesas que faltan puede cambiar al ganador.",
            n(voters)
        ),
        (Verdict::CannotChange, Some(voters), Lang::En) => format!(
            "The leader's margin of {margin} votes exceeds the {} registered voters of the tables without an accepted acta: no outcome of the missing tables can change the winner.",
            n(voters)
        ),
        (_, Some(voters), Lang::Es) => format!(
            "La ventaja de {margin} votos del primero no supera a los {} electores inscritos en las mesas sin acta aceptada: las mesas que faltan podrían cambiar al ganador{}.",
            n(voters),
            bound.tipping.map_or_else(String::new, |tipping| format!(
                " si, con la participación de esta zona, {runner_up} obtuviera al menos el {} de sus {} votos válidos",
                lang.percent(tipping.share_needed * 100.0, 2),
                n(tipping.missing_votes)
            ))
        ),
        (_, Some(voters), Lang::En) => format!(
            "The leader's margin of {margin} votes does not exceed the {} registered voters of the tables without an accepted acta: the missing tables could change the winner{}.",
            n(voters),
            bound.tipping.map_or_else(String::new, |tipping| format!(
                " if, at this area's turnout, {runner_up} took at least {} of their {} valid votes",
                lang.percent(tipping.share_needed * 100.0, 2),
                n(tipping.missing_votes)
            ))
        ),
        (Verdict::CouldChange, None, Lang::Es) => format!(
            "La ventaja de {margin} votos del primero no supera siquiera a los {} electores inscritos en las mesas conocidas sin acta aceptada: las mesas que faltan podrían cambiar al ganador.",
            n(bound.registered_without_acta_at_least)
        ),
        (Verdict::CouldChange, None, Lang::En) => format!(
            "The leader's margin of {margin} votes does not exceed the {} registered voters of the known tables without an accepted acta alone: the missing tables could change the winner.",
            n(bound.registered_without_acta_at_least)
        ),
        (_, _, Lang::Es) => format!(
            "La ventaja del primero es de {margin} votos; no se sabe cuántos electores inscritos tienen las mesas sin acta aceptada (nada declara los electores esperados de esta zona{}), así que no se puede decir si las mesas que faltan podrían cambiar al ganador.",
            match bound.registered_without_acta_at_least {
                0 => String::new(),
                known => format!("; las conocidas tienen {}", n(known)),
            }
        ),
        (_, _, Lang::En) => format!(
            "The leader's margin is {margin} votes; how many registered voters the tables without an accepted acta hold is unknown (nothing declares this area's expected voters{}), so whether the missing tables could change the winner cannot be said.",
            match bound.registered_without_acta_at_least {
                0 => String::new(),
                known => format!("; the known ones hold {}", n(known)),
            }
        ),
    }
}

/// The sentence of one official figure.
#[must_use]
pub fn figure_sentence(
    election: &Election,
    check: &OfficialCheck,
    row: &FigureCheck,
    lang: Lang,
) -> String {
    let what = figure_name(election, row.figure, lang);
    let official = lang.int(row.official);
    let actas = lang.int(row.actas);
    match (row.impossible, row.floor, check.tables_left_out, lang) {
        (true, Some(_), Some(0), Lang::Es) => format!(
            "{what}: la cifra oficial de {official} es menor que los {actas} de las actas contadas solas: imposible"
        ),
        (true, Some(_), Some(0), Lang::En) => format!(
            "{what}: the official figure of {official} is below the {actas} of the counted actas alone: impossible"
        ),
        (true, Some(floor_votes), Some(left_out), Lang::Es) => format!(
            "{what}: la cifra oficial de {official} es menor que los {actas} de las actas contadas, y menor que los {} que dan aun sin las {} mesas que el boletín pudo dejar fuera: imposible",
            lang.int(floor_votes),
            lang.int(left_out)
        ),
        (true, Some(floor_votes), Some(left_out), Lang::En) => format!(
            "{what}: the official figure of {official} is below the {actas} of the counted actas, and below the {} they give even without the {} tables the bulletin may have left out: impossible",
            lang.int(floor_votes),
            lang.int(left_out)
        ),
        (_, None, _, Lang::Es) => format!(
            "{what}: oficial {official}, actas contadas {actas}; no se saben las mesas esperadas de la zona, así que las mesas que el boletín dejó fuera no se pueden acotar"
        ),
        (_, None, _, Lang::En) => format!(
            "{what}: official {official}, counted actas {actas}; the area's expected tables are unknown, so the tables the bulletin left out cannot be bounded"
        ),
        (_, _, _, Lang::Es) => {
            format!("{what}: oficial {official}, actas contadas {actas}: posible")
        }
        (_, _, _, Lang::En) => {
            format!("{what}: official {official}, counted actas {actas}: possible")
        }
    }
}

/// What an official figure is about.
#[must_use]
pub fn figure_name(election: &Election, figure: Figure, lang: Lang) -> String {
    match (figure, lang) {
        (Figure::Candidate(c), _) => name(election, Some(c), lang),
        (Figure::Others, Lang::Es) => "los demás candidatos juntos".to_owned(),
        (Figure::Others, Lang::En) => "the other candidates together".to_owned(),
        (Figure::Valid, Lang::Es) => "votos válidos".to_owned(),
        (Figure::Valid, Lang::En) => "valid votes".to_owned(),
        (Figure::Null, Lang::Es) => "votos nulos".to_owned(),
        (Figure::Null, Lang::En) => "null votes".to_owned(),
    }
}

/// The sensitivity line.
#[must_use]
pub fn sensitivity_sentence(election: &Election, projection: &Projection, lang: Lang) -> String {
    let sensitivity = &projection.sensitivity;
    let (Some(leader), Some(runner_up)) = (sensitivity.leader, sensitivity.runner_up) else {
        return match lang {
            Lang::Es => "No hay segundo a quien favorecer.".to_owned(),
            Lang::En => "There is no runner-up to favour.".to_owned(),
        };
    };
    let leader_name = name(election, Some(leader), lang);
    let runner_up_name = name(election, Some(runner_up), lang);
    let leader_share = lang.percent(sensitivity.shares[leader] * 100.0, 2);
    let runner_up_share = lang.percent(sensitivity.shares[runner_up] * 100.0, 2);
    match lang {
        Lang::Es => format!(
            "Si los electores que faltan de cada estrato votaran como su décima parte de mesas contadas más favorable a {runner_up_name}: {leader_name} {leader_share}, {runner_up_name} {runner_up_share}; {}.",
            if sensitivity.leader_holds {
                "el primero seguiría primero"
            } else {
                "el primero dejaría de serlo"
            }
        ),
        Lang::En => format!(
            "If the missing voters of each stratum voted like its tenth of counted tables most favourable to {runner_up_name}: {leader_name} {leader_share}, {runner_up_name} {runner_up_share}; {}.",
            if sensitivity.leader_holds {
                "the leader still leads"
            } else {
                "the leader would no longer lead"
            }
        ),
    }
}

fn expected_json(expected: Expected) -> (Value, &'static str) {
    match expected {
        Expected::Known { value, source } => (json!(value), source.as_str()),
        Expected::Unknown => (Value::Null, "unknown"),
    }
}

fn coverage_json(area: &AreaAnalysis) -> Value {
    let coverage = &area.coverage;
    let (tables, tables_from) = expected_json(coverage.tables_expected);
    let (registered, registered_from) = expected_json(coverage.registered_expected);
    json!({
        "tables_expected": tables,
        "tables_expected_from": tables_from,
        "tables_known": coverage.tables_known,
        "tables_counted": coverage.tables_counted,
        "tables_percent": coverage.tables_percent().map(round),
        "tables_without_acta": coverage.tables_without_acta(),
        "registered_expected": registered,
        "registered_expected_from": registered_from,
        "registered_known": coverage.registered_known,
        "registered_counted": coverage.registered_counted,
        "registered_percent": coverage.registered_percent().map(round),
        "registered_without_acta": coverage.registered_without_acta(),
        "registered_without_acta_at_least": coverage.registered_without_acta_at_least(),
    })
}

fn bound_json(election: &Election, bound: &Bound) -> Value {
    json!({
        "leader": id(election, bound.leader),
        "runner_up": id(election, bound.runner_up),
        "margin": bound.margin,
        "registered_without_acta": bound.registered_without_acta,
        "registered_without_acta_at_least": bound.registered_without_acta_at_least,
        "verdict": bound.verdict.as_str(),
        "highest_turnout_percent": bound.highest_turnout.map(|t| percent(t.fraction())),
        "votes_at_highest_turnout": bound.votes_at_highest_turnout,
        "verdict_at_highest_turnout": bound.verdict_at_highest_turnout.as_str(),
        "valid_turnout_percent": bound.valid_turnout.map(|t| percent(t.fraction())),
        "tipping": bound.tipping.map(|tipping| json!({
            "missing_votes": tipping.missing_votes,
            "share_needed_percent": percent(tipping.share_needed),
        })),
    })
}

fn official_json(election: &Election, checks: &[OfficialCheck], lang: Lang) -> Value {
    let checks: Vec<Value> = checks
        .iter()
        .map(|check| {
            let bulletin = &election.bulletins[check.bulletin];
            let rows: Vec<Value> = check
                .rows
                .iter()
                .map(|row| {
                    let (kind, candidate) = match row.figure {
                        Figure::Candidate(c) => ("candidate", id(election, Some(c))),
                        Figure::Others => ("others", Value::Null),
                        Figure::Valid => ("valid", Value::Null),
                        Figure::Null => ("null", Value::Null),
                    };
                    json!({
                        "figure": kind,
                        "candidate": candidate,
                        "name": figure_name(election, row.figure, lang),
                        "official": row.official,
                        "official_derived": row.official_derived,
                        "actas": row.actas,
                        "floor": row.floor,
                        "impossible": row.impossible,
                        "sentence": figure_sentence(election, check, row, lang),
                    })
                })
                .collect();
            json!({
                "bulletin": bulletin.id,
                "title": bulletin.title,
                "date": bulletin.date.to_string(),
                "coverage_percent": check.coverage_percent,
                "coverage_stated": check.coverage_stated,
                "tables_left_out": check.tables_left_out,
                "impossible": check.any_impossible(),
                "rows": rows,
            })
        })
        .collect();
    Value::Array(checks)
}

fn interval(interval: Option<(f64, f64)>, scale: f64) -> Value {
    interval.map_or(Value::Null, |(low, high)| {
        json!([round(low * scale), round(high * scale)])
    })
}

fn digit_json(test: &DigitTest) -> Value {
    json!({
        "counts": test.counts,
        "observed": test.observed,
        "expected": test.expected.map(|p| round(p * test.counts as f64)),
        "chi_square": round(test.chi_square),
        "degrees_of_freedom": 9,
        "p_value": test.p_value,
        "mean": test.mean.map(round),
        "expected_mean": round(test.expected_mean),
        "mean_interval": interval(test.mean_interval, 1.0),
    })
}

fn candidate_tests_json(election: &Election, tests: &CandidateTests, lang: Lang) -> Value {
    let round_share = &tests.zero_or_five;
    json!({
        "candidate": id(election, Some(tests.candidate)),
        "name": name(election, Some(tests.candidate), lang),
        "last_digit": digit_json(&tests.last_digit),
        "second_digit": digit_json(&tests.second_digit),
        "zero_or_five": {
            "counts": round_share.counts,
            "round": round_share.round,
            "percent": round_share.observed.map(percent),
            "expected_percent": percent(round_share.expected),
            "chi_square": round(round_share.chi_square),
            "degrees_of_freedom": 1,
            "p_value": round_share.p_value,
            "interval_percent": interval(round_share.interval, 100.0),
        },
    })
}

fn fingerprint_json(election: &Election, fingerprint: &Fingerprint, lang: Lang) -> Value {
    let bins = veedor_analysis::forensics::BINS;
    let rows: Vec<&[u64]> = fingerprint.counts.chunks(bins).collect();
    json!({
        "candidate": id(election, Some(fingerprint.candidate)),
        "name": name(election, Some(fingerprint.candidate), lang),
        "tables": fingerprint.tables,
        "bins": bins,
        "counts_by_share_then_turnout": rows,
        "corner": fingerprint.corner,
        "corner_expected": round(fingerprint.corner_expected),
        "correlation": fingerprint.correlation.map(round),
        "correlation_interval": interval(fingerprint.correlation_interval, 1.0),
    })
}

/// One area of the document.
#[must_use]
pub fn area_json(results: &Results, area: &AreaAnalysis, lang: Lang) -> Value {
    let election = results.election();
    json!({
        "area": AreaRef::new(results, area.area),
        "sentence": bound_sentence(election, &area.bound, lang),
        "coverage": coverage_json(area),
        "bound": bound_json(election, &area.bound),
        "official": official_json(election, &area.official, lang),
        "forensics": {
            "caveat": caveat(lang),
            "candidates": area.forensics.candidates.iter()
                .map(|tests| candidate_tests_json(election, tests, lang))
                .collect::<Vec<_>>(),
            "fingerprints": area.forensics.fingerprints.iter()
                .map(|fingerprint| fingerprint_json(election, fingerprint, lang))
                .collect::<Vec<_>>(),
        },
    })
}

/// The id of the projection's strata level (`national`: one stratum).
#[must_use]
pub fn strata_name(election: &Election, level: Option<usize>) -> String {
    level
        .and_then(|level| election.geography.levels.get(level))
        .map_or_else(|| "national".to_owned(), |level| level.id.clone())
}

fn projection_json(results: &Results, projection: &Projection, lang: Lang) -> Value {
    let election = results.election();
    let candidates: Vec<Value> = election
        .candidates
        .iter()
        .enumerate()
        .map(|(c, candidate)| {
            let estimate = projection.estimates[c];
            json!({
                "id": candidate.id,
                "name": candidate.name,
                "actas_percent": percent(projection.plain[c]),
                "percent": percent(estimate.share),
                "low_percent": percent(estimate.low),
                "high_percent": percent(estimate.high),
                "sensitivity_percent": percent(projection.sensitivity.shares[c]),
            })
        })
        .collect();
    let strata: Vec<Value> = projection
        .strata
        .iter()
        .map(|stratum| {
            json!({
                "area": stratum.area.map(|area| AreaRef::new(results, area)),
                "tables_counted": stratum.tables_counted,
                "registered_counted": stratum.registered_counted,
                "registered_expected": stratum.registered_expected,
            })
        })
        .collect();
    json!({
        "strata_level": strata_name(election, projection.strata_level),
        "assumption": assumption(lang),
        "method": method(lang),
        "replicates": projection.replicates,
        "seed": projection.seed,
        "leader": id(election, projection.sensitivity.leader),
        "runner_up": id(election, projection.sensitivity.runner_up),
        "candidates": candidates,
        "strata": strata,
        "unobserved_registered": projection.unobserved_registered,
        "sensitivity": {
            "favours": id(election, projection.sensitivity.runner_up),
            "leader_holds": projection.sensitivity.leader_holds,
            "sentence": sensitivity_sentence(election, projection, lang),
        },
    })
}

/// The `veedor.analysis/1` document.
#[must_use]
pub fn document(results: &Results, level: &str, analysis: &Analysis, lang: Lang) -> Value {
    json!({
        "schema": "veedor.analysis/1",
        "election": ElectionRef::new(results.election(), lang.tag()),
        "level": level,
        "projection": projection_json(results, &analysis.projection, lang),
        "areas": analysis.areas.iter().map(|area| area_json(results, area, lang)).collect::<Vec<_>>(),
    })
}

/// What the site shows of the analysis, worked out once per snapshot: the full analysis
/// (projection, official checks, forensic tests) of the nation, of every area of the first
/// level and of every area an official bulletin gives figures for, each with its own page; and every area's coverage and bound, for the one sentence on
/// its page.
#[derive(Clone, Debug)]
pub struct Analyzed {
    /// The nation and the first level's areas.
    pub full: Analysis,
    /// Every area's bound, by area.
    bounds: std::collections::HashMap<AreaCode, Bound>,
}

impl Analyzed {
    /// Analyses `results` with the default options: the first level as strata, the default
    /// seed and replicates (the same data gives the same figures, so a mirror renders again to
    /// the same bytes).
    #[must_use]
    pub fn of(results: &Results) -> Self {
        let levels = results.election().geography.levels.len();
        let options = Options {
            strata_level: (levels > 0).then_some(0),
            ..Options::default()
        };
        let mut areas = vec![AreaCode::National];
        if levels > 0 {
            areas.extend(veedor_analysis::areas_of_level(results, 0));
        }
        // And every area, of any level, that an official bulletin gives figures for: its
        // comparison is shown where those figures are.
        areas.extend(
            results
                .election()
                .bulletins
                .iter()
                .flat_map(|bulletin| bulletin.areas.keys().copied()),
        );
        areas.sort_unstable();
        areas.dedup();
        let full = veedor_analysis::analyze_areas(results, areas, &options);
        let bounds = veedor_analysis::bounds(results)
            .into_iter()
            .map(|(area, _, bound)| (area, bound))
            .collect();
        Self { full, bounds }
    }

    /// The full analysis of an area, if it has a page (the nation, the first level).
    #[must_use]
    pub fn area(&self, area: AreaCode) -> Option<&AreaAnalysis> {
        self.full
            .areas
            .iter()
            .find(|analysed| analysed.area == area)
    }

    /// An area's bound (`None` for an area that holds no table).
    #[must_use]
    pub fn bound(&self, area: AreaCode) -> Option<&Bound> {
        self.bounds.get(&area)
    }

    /// The `veedor.analysis/1` document of one analysed area, with the projection.
    #[must_use]
    pub fn document(&self, results: &Results, area: AreaCode, lang: Lang) -> Option<Value> {
        let analysed = self.area(area)?;
        let level = crate::api::AreaRef::new(results, area).level;
        Some(json!({
            "schema": "veedor.analysis/1",
            "election": ElectionRef::new(results.election(), lang.tag()),
            "level": level,
            "projection": projection_json(results, &self.full.projection, lang),
            "areas": [area_json(results, analysed, lang)],
        }))
    }
}
