use super::*;
use crate::forensics::turnout::data::tests::turnout_tally;
use crate::forensics::ALL;

fn tests_named(ids: &[&str]) -> Vec<&'static ForensicTest> {
    ids.iter()
        .map(|id| ALL.iter().find(|t| t.id == *id).expect("known test"))
        .collect()
}

fn small_spec(manipulations: Vec<Manipulation>, replicates: u32) -> CalibrationSpec {
    CalibrationSpec {
        replicates,
        strengths: vec![0.3],
        inner_replicates: 50,
        manipulations,
    }
}

#[test]
fn rounding_is_seen_by_the_zero_five_test_and_the_baseline_is_quiet() {
    let tally = turnout_tally(11, 1500);
    let tests = tests_named(&["zero_five_endings", "last_digit", "fingerprint"]);
    let spec = small_spec(vec![Manipulation::RoundedCounts], 6);
    let c = calibrate(&tally, &tests, &Params::default(), &spec, &|_, _| {}).unwrap();
    assert_eq!(c.skipped.len(), 1);
    assert_eq!(c.skipped[0].test_id, "fingerprint");
    // `--timings`: each calibrated test's time over the copies, in run order.
    let timed: Vec<&str> = c.copy_seconds.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(timed, ["zero_five_endings", "last_digit"]);
    assert!(c.copy_seconds.iter().all(|(_, s)| *s >= 0.0) && c.making_seconds > 0.0);
    let rate = |id: &str| c.tests.iter().find(|t| t.test_id == id).unwrap();
    // 30 % of the stations with every count ending in 0 or 5: C05 goes from 0.20 to ~0.44.
    assert_eq!(rate("zero_five_endings").detection[0][0].flagged, 6);
    // Resampled honest counts: no test flags (each would at most 1 in 20 times by chance).
    assert!(rate("any_test").baseline.flagged <= 1, "{:?}", c.tests);
    // ~450 stations are manipulated (those already ending in 0/5 everywhere stay as they are).
    assert!(
        (400.0..=450.0).contains(&c.mean_stations_changed[0][0]),
        "{:?}",
        c.mean_stations_changed
    );
    let r = rate("zero_five_endings").detection[0][0];
    assert_eq!(r.rate, 1.0);
    // Wilson 95 % interval of 6/6: (0.6097, 1).
    assert!((r.ci95.0 - 0.6097).abs() < 1e-3 && r.ci95.1 == 1.0, "{r:?}");
}

#[test]
fn extreme_stuffing_is_seen_by_the_turnout_tests_not_the_digit_tests() {
    let tally = turnout_tally(12, 1500);
    let tests = tests_named(&[
        "turnout_distribution",
        "extreme_stations",
        "second_digit_mean",
    ]);
    let spec = small_spec(
        vec![Manipulation::ExtremeStuffing, Manipulation::BallotStuffing],
        4,
    );
    let c = calibrate(&tally, &tests, &Params::default(), &spec, &|_, _| {}).unwrap();
    let rate = |id: &str| c.tests.iter().find(|t| t.test_id == id).unwrap();
    // 30 % of stations pushed to ~100 % turnout: a second mode and a crowd of extreme stations.
    for id in ["turnout_distribution", "extreme_stations"] {
        assert_eq!(rate(id).detection[0][0].flagged, 4, "{id}");
        assert_eq!(rate(id).baseline.flagged, 0, "{id}");
    }
    // Stuffing adds votes to whole stations; the second digits of counts stay Benford-like.
    assert_eq!(rate("second_digit_mean").detection[0][0].flagged, 0);
    assert_eq!(rate("second_digit_mean").detection[1][0].flagged, 0);
}

#[test]
fn same_seed_same_calibration_whatever_the_threads() {
    let tally = turnout_tally(13, 600);
    let tests = tests_named(&["last_digit_mean", "integer_percentages"]);
    let spec = CalibrationSpec {
        replicates: 3,
        strengths: vec![0.1, 0.5],
        inner_replicates: 30,
        manipulations: vec![Manipulation::PercentagesFirst, Manipulation::VoteSwitching],
    };
    let run = || {
        let c = calibrate(&tally, &tests, &Params::default(), &spec, &|_, _| {}).unwrap();
        serde_json::to_string(&c).unwrap()
    };
    let many = run();
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(run);
    assert_eq!(many, one);
    let other_seed = calibrate(
        &tally,
        &tests,
        &Params {
            seed: 99,
            ..Params::default()
        },
        &spec,
        &|_, _| {},
    )
    .unwrap();
    assert_ne!(serde_json::to_string(&other_seed).unwrap(), many);
}

#[test]
fn figure_has_one_panel_per_manipulation_with_the_baseline_at_zero() {
    let tally = turnout_tally(14, 400);
    let tests = tests_named(&["zero_five_endings"]);
    let spec = CalibrationSpec {
        replicates: 2,
        strengths: vec![0.5, 1.0],
        inner_replicates: 30,
        manipulations: vec![Manipulation::RoundedCounts, Manipulation::VoteSwitching],
    };
    let c = calibrate(&tally, &tests, &Params::default(), &spec, &|_, _| {}).unwrap();
    let FigureSpec::Grid { panels, .. } = figure(&c, "x") else {
        panic!("a grid")
    };
    assert_eq!(panels.len(), 2);
    let Panel::Lines(p) = &panels[0] else {
        panic!("line panels")
    };
    assert_eq!(p.x_range, (0.0, 100.0));
    let any = p.series.iter().find(|s| s.name == "any test").unwrap();
    assert_eq!(any.points.len(), 3);
    assert_eq!(any.points[0].0, 0.0);
    assert_eq!(any.points[2], (100.0, 100.0));
}

#[test]
fn chart_keeps_each_manipulations_best_test_among_many() {
    let rate = |flagged: u32| Rate::of(flagged, 10);
    let test = |id: &str, m0: u32, m1: u32| TestPower {
        test_id: id.to_string(),
        baseline: rate(0),
        detection: vec![vec![rate(m0)], vec![rate(m1)]],
    };
    // Nine tests see manipulation 0 at 70 %; only the last sees manipulation 1 (and less well).
    let mut tests: Vec<TestPower> = (0..9).map(|i| test(&format!("t{i}"), 7, 0)).collect();
    tests.push(test("only_m1", 0, 6));
    tests.push(test("any_test", 10, 6));
    let c = Calibration {
        spec: CalibrationSpec {
            replicates: 10,
            strengths: vec![0.1],
            inner_replicates: 20,
            manipulations: vec![Manipulation::RoundedCounts, Manipulation::VoteSwitching],
        },
        manipulation_descriptions: vec![String::new(), String::new()],
        mean_stations_changed: vec![vec![1.0], vec![1.0]],
        mean_votes_moved: vec![vec![10.0], vec![0.0]],
        tests,
        skipped: vec![],
        copy_seconds: vec![],
        making_seconds: 0.0,
    };
    let FigureSpec::Grid {
        panels, caption, ..
    } = figure(&c, "x")
    else {
        panic!("a grid")
    };
    let Panel::Lines(p) = &panels[1] else {
        panic!("line panels")
    };
    let names: Vec<&str> = p.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        ["t0", "t1", "t2", "t3", "t4", "t5", "only m1", "any test"]
    );
    assert!(
        caption.contains("the other 3 are in the table"),
        "{caption}"
    );
}

#[test]
fn chart_draws_every_test_that_reaches_eighty_percent_whatever_the_cap() {
    let rate = |flagged: u32| Rate::of(flagged, 10);
    let test = |id: &str, m0: u32| TestPower {
        test_id: id.to_string(),
        baseline: rate(0),
        detection: vec![vec![rate(m0)]],
    };
    // Ten tests detect at 100 %: more than MAX_CURVES, all drawn.
    let mut tests: Vec<TestPower> = (0..10).map(|i| test(&format!("t{i}"), 10)).collect();
    tests.push(test("weak", 3));
    tests.push(test("any_test", 10));
    let c = Calibration {
        spec: CalibrationSpec {
            replicates: 10,
            strengths: vec![0.1],
            inner_replicates: 20,
            manipulations: vec![Manipulation::ExtremeStuffing],
        },
        manipulation_descriptions: vec![String::new()],
        mean_stations_changed: vec![vec![1.0]],
        mean_votes_moved: vec![vec![10.0]],
        tests,
        skipped: vec![],
        copy_seconds: vec![],
        making_seconds: 0.0,
    };
    let FigureSpec::Grid { panels, .. } = figure(&c, "x") else {
        panic!("a grid")
    };
    let Panel::Lines(p) = &panels[0] else {
        panic!("line panels")
    };
    let names: Vec<&str> = p.series.iter().map(|s| s.name.as_str()).collect();
    assert!(names.len() > MAX_CURVES, "{names:?}");
    for i in 0..10 {
        assert!(names.contains(&format!("t{i}").as_str()), "{names:?}");
    }
    assert!(!names.contains(&"weak"), "{names:?}");
}
